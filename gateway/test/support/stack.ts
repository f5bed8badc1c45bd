import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ControllableClock, sharedState, type SharedState } from '@rehearsal/runtime';
import { GATEWAY_KEY, startCore, type TestCore } from '../../../core/test/support/core.ts';
import { rolloutFixture } from '../../../core/test/support/org-fixture.ts';
import { formFields, httpRequest, startIdp, type HttpReply, type TestIdp } from '../../../mock-idp/test/support/idp.ts';
import { countingProxy, type CountingProxy } from './counting-proxy.ts';
import { roundRobinProxy } from './round-robin-proxy.ts';
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
  /** Where the gateway keeps its state: memory, or Redis (REDIS_URL; every replica shares it). */
  state: SharedState;
  /** With `replicas`: the round-robin proxy in front of them (`url` is the proxy's). */
  balancer: Awaited<ReturnType<typeof roundRobinProxy>> | undefined;
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
    /** Several gateways on one shared state (Redis: REDIS_URL must be set), each request to the next in turn. */
    replicas?: number;
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
  // With REDIS_URL (npm test's second run), the state lives in Redis, in a namespace of this stack's own.
  if ((options.replicas ?? 1) > 1 && !process.env.REDIS_URL) throw new Error('replicas share their state in Redis: set REDIS_URL');
  const state = await sharedState(process.env.REDIS_URL, clock, `gateway-test-${randomBytes(6).toString('hex')}`);
  // Replicas hold the same secrets and keys (serve.ts shares them through Redis).
  const shared = {
    cookieSecret: randomBytes(32),
    identityKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    spPrivateKeyPem:
      options.spPrivateKeyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const servers: Server[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const app = createGatewayApp({
      publicUrl: options.publicUrl ?? 'http://localhost:8000',
      coreUrl: proxy?.url ?? core.url,
      coreKey: GATEWAY_KEY,
      adminKey: ADMIN_KEY,
      clock,
      state,
      ...shared,
    });
    servers.push(
      await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      }),
    );
  }
  const urls = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
  const balancer = urls.length > 1 ? await roundRobinProxy(urls) : undefined;
  const url = balancer?.url ?? urls[0]!;
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
    state,
    balancer,
    // The gateway answers JSON when asked: tests ask unless they say otherwise.
    request: (method, path, body, headers = {}) => httpRequest(url, method, path, body, { accept: 'application/json', ...headers }),
    close: async () => {
      await balancer?.close();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await state.clear();
      await state.close();
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

/** The steps of an SSO login's trace (`GET /api/logins`), in order. */
export const SSO_TRACE_STEPS = ['core:decision', 'gateway:authn-request', 'idp:response', 'gateway:checks', 'core:session'];
