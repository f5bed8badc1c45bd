import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { ControllableClock } from '@rehearsal/runtime';
import { GATEWAY_KEY, startCore, type TestCore } from '../../../core/test/support/core.ts';
import { rolloutFixture } from '../../../core/test/support/org-fixture.ts';
import { formFields, httpRequest, startIdp, type HttpReply, type TestIdp } from '../../../mock-idp/test/support/idp.ts';
import { countingProxy, type CountingProxy } from './counting-proxy.ts';
import { createGatewayApp } from '../../src/app.ts';

export const ADMIN_KEY = 'gateway-admin-key-0123456789';
export const NOW = new Date('2026-11-23T09:00:00Z');

export type Reply = HttpReply;

/**
 * Core, the mock IdP and the gateway, each really listening on loopback, with
 * clocks frozen at the same instant. Core's SAML connection trusts the mock
 * IdP's certificate; the mock IdP knows the gateway's SP entity ID and ACS URL.
 */
export interface Stack {
  core: TestCore;
  idp: TestIdp;
  url: string;
  clock: ControllableClock;
  org: { id: string };
  pilot: { id: string };
  directoryId: string;
  connection: { id: string; spEntityId: string; acsUrl: string };
  /** With `countCoreCalls`: what the gateway asked core, by path. */
  coreCalls: CountingProxy | undefined;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export async function startStack(
  options: {
    allowIdpInitiated?: boolean;
    wantAssertionsSigned?: boolean;
    displayNameFromSaml?: string;
    pilot?: string[];
    singleLogout?: boolean;
    signAuthnRequests?: boolean;
    spPrivateKeyPem?: string;
    publicUrl?: string;
    countCoreCalls?: boolean;
  } = {},
): Promise<Stack> {
  // Core checks identity tokens against the gateway's JWKS, whose port is known once the gateway listens.
  const jwks: { get?: ReturnType<typeof createRemoteJWKSet> } = {};
  const identityKeys: JWTVerifyGetKey = (header, token) => jwks.get!(header, token);
  const [core, idp] = await Promise.all([startCore({ identityKeys }), startIdp()]);
  const { org, pilot, idp: directory } = await rolloutFixture(core);
  await core.put(`/api/orgs/${org.id}/directories/${directory.id}/saml`, {
    idpEntityId: 'http://localhost:7000/saml/metadata',
    ssoUrl: 'http://localhost:7000/saml/sso',
    certificate: idp.credential.certificatePem,
    // Unless a test says, the connection keeps core's default (no IdP-initiated login).
    ...(options.allowIdpInitiated === undefined ? {} : { allowIdpInitiated: options.allowIdpInitiated }),
    ...(options.wantAssertionsSigned === undefined ? {} : { wantAssertionsSigned: options.wantAssertionsSigned }),
    ...(options.singleLogout ? { sloUrl: 'http://localhost:7000/saml/slo' } : {}),
    ...(options.signAuthnRequests ? { signAuthnRequests: true } : {}),
    ...(options.displayNameFromSaml ? { displayNameFromSaml: options.displayNameFromSaml } : {}),
  });
  const pilotMembers = options.pilot ?? ['alice@acme.com'];
  if (pilotMembers.length) await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: pilotMembers });
  // The connection's SP URLs, as core shows them to the admin.
  const saml = (await core.get(`/api/orgs/${org.id}/directories/${directory.id}/saml`)).body;
  const connection = { id: saml.id, spEntityId: saml.spEntityId, acsUrl: saml.acsUrl };
  await idp.request('POST', '/api/service-providers', {
    entityId: connection.spEntityId,
    acsUrls: [connection.acsUrl],
    ...(options.singleLogout ? { sloUrl: connection.acsUrl.replace('/login/callback', '/logout/callback') } : {}),
  });

  const clock = new ControllableClock();
  clock.freeze(NOW);
  const proxy = options.countCoreCalls ? await countingProxy(core.url) : undefined;
  const app = createGatewayApp({
    publicUrl: options.publicUrl ?? 'http://localhost:8000',
    coreUrl: proxy?.url ?? core.url,
    coreKey: GATEWAY_KEY,
    adminKey: ADMIN_KEY,
    clock,
    ...(options.spPrivateKeyPem ? { spPrivateKeyPem: options.spPrivateKeyPem } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  jwks.get = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
  return {
    core,
    idp,
    url,
    clock,
    org,
    pilot,
    directoryId: directory.id,
    connection,
    coreCalls: proxy,
    // The gateway answers JSON when asked: tests ask unless they say otherwise.
    request: (method, path, body, headers = {}) => httpRequest(url, method, path, body, { accept: 'application/json', ...headers }),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([core.close(), idp.close(), proxy?.close()]);
    },
  };
}

/** A cookie a response set, as a Cookie header value. */
const cookieSet = (reply: Reply, name: string) =>
  reply.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];
/** The session cookie a response set. */
export const sessionCookie = (reply: Reply) => cookieSet(reply, 'rehearsal_gw_session');
/** The cookie an AuthnRequest was bound to (the browser that started the login). */
export const browserCookie = (reply: Reply) => cookieSet(reply, 'rehearsal_gw_authn');

/**
 * SP-initiated SSO without a browser: the gateway's redirect to the IdP, the
 * mock IdP's headless login (with faults, if any), the POST back to the ACS.
 */
export async function ssoLogin(
  stack: Stack,
  email: string,
  options: { faults?: unknown[]; relayState?: string; cookie?: string; tamper?: (xml: string) => string } = {},
) {
  const start = await stack.request('POST', '/login', { email, ...(options.relayState ? { relayState: options.relayState } : {}) });
  if (start.status !== 302) return { start, callback: start };
  const authnRequest = start.headers.get('location')!;
  const issued = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user: email, authnRequest, faults: options.faults ?? [] });
  if (issued.status !== 200) throw new Error(`the mock IdP refused: ${issued.text}`);
  let samlResponse: string = issued.body.samlResponse;
  if (options.tamper) samlResponse = Buffer.from(options.tamper(Buffer.from(samlResponse, 'base64').toString())).toString('base64');
  // The browser that started the login posts the answer: it carries the cookie the AuthnRequest was bound to.
  const browser = [browserCookie(start), options.cookie].filter(Boolean).join('; ');
  const callback = await postResponse(stack, samlResponse, issued.body.relayState, browser || undefined);
  return { start, callback, samlResponse, authnRequest, browser };
}

export function postResponse(stack: Stack, samlResponse: string, relayState?: string | null, cookie?: string) {
  const form = `SAMLResponse=${encodeURIComponent(samlResponse)}${relayState ? `&RelayState=${encodeURIComponent(relayState)}` : ''}`;
  return stack.request('POST', `/login/callback?connection=saml-${stack.connection.id}`, form, cookie ? { cookie } : {});
}

/** A path on a service, from the URL it published (http://localhost:7000/..., :8000/...). */
export const localPath = (url: string) => url.slice(url.indexOf('/', 'http://'.length));

/**
 * SP-initiated SSO as a browser makes it: the mock IdP's login page (so the
 * IdP keeps a session too), the Response posted back from the browser that
 * started. The gateway's and the IdP's session cookies.
 */
export async function browserLogin(stack: Stack, email = 'alice@acme.com', password = 'alice-pass') {
  const start = await stack.request('POST', '/login', { email });
  const atIdp = await stack.idp.request('GET', localPath(start.headers.get('location')!));
  const posted = await stack.idp.request(
    'POST',
    atIdp.headers.get('location')!,
    `username=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}`,
  );
  const fields = formFields(posted.text);
  const back = await postResponse(stack, fields.samlResponse!, fields.relayState, browserCookie(start));
  if (back.status !== 303) throw new Error(`the gateway refused the login: ${back.text}`);
  return { gateway: sessionCookie(back)!, idp: posted.headers.get('set-cookie')!.split(';')[0]! };
}
