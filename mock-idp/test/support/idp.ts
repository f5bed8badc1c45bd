import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { ControllableClock, deleteNamespace, redisState, systemClock } from '@rehearsal/runtime';
import { openSharedIdpState } from '../../src/state/open-state.ts';
import { createIdpApp, type IdpAppOptions } from '../../src/app.ts';
import { generateCredential, type SigningCredential } from '@rehearsal/runtime/credentials';

export const SP = 'https://sp.example.test/saml/metadata';
export const HARNESS_KEY = 'idp-test-harness-key-0123456789';
/** The harness and reset need the key: tests send it there, and prove elsewhere that nothing works without it. */
const needsHarnessKey = (path: string) => path.startsWith('/_rehearsal/') || path === '/api/reset';
export const ACS = 'https://sp.example.test/saml/acs';
export const SP2 = 'https://other.example.test/sp';
export const ACS2 = 'https://other.example.test/acs';

let credential: Promise<SigningCredential> | undefined;
/** One generated key for the whole run: RSA key generation is slow and its result is not under test here. */
export const testCredential = () => (credential ??= generateCredential('Rehearsal test IdP', new Date()));

export const scenario = {
  users: [
    {
      email: 'alice@acme.com',
      givenName: 'Alice',
      surname: 'Liddell',
      department: 'Engineering',
      jobTitle: 'Engineer',
      timezone: 'Europe/Berlin',
      password: 'alice-pass',
      groups: ['engineering'],
    },
    { email: 'bob@acme.com', givenName: 'Bob', surname: 'Stone', department: 'Sales', password: 'bob-pass', groups: ['sales'], mfa: { code: '123456' } },
  ],
  groups: [{ name: 'engineering' }, { name: 'sales' }, { name: 'everyone', groups: ['engineering', 'sales'] }],
};

export interface TestIdp {
  url: string;
  clock: ControllableClock;
  credential: SigningCredential;
  dir: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpReply>;
  close(): Promise<void>;
}

export async function startIdp(options: Partial<IdpAppOptions> & { frozen?: boolean } = {}): Promise<TestIdp> {
  const clock = new ControllableClock();
  if (options.frozen ?? true) clock.freeze(new Date('2026-11-23T09:00:00Z'));
  const cred = await testCredential();
  // With REDIS_URL (npm test's second run), the state lives in Redis, in a namespace of this IdP's own.
  const shared = options.state || !process.env.REDIS_URL ? undefined : await sharedTestState(process.env.REDIS_URL);
  const app = tryOrClose(shared, () =>
    createIdpApp({
      publicUrl: 'http://localhost:7000',
      credential: cred,
      clock,
      directory: scenario,
      harnessKey: HARNESS_KEY,
      serviceProviders: [
        { entityId: SP, acsUrls: [ACS, `${ACS}/second`] },
        { entityId: SP2, acsUrls: [ACS2], signing: 'both', signatureAlgorithm: 'rsa-sha512' },
      ],
      ...(shared ? { state: shared.state, ledger: shared.ledger } : {}),
      ...options,
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    clock,
    credential: cred,
    dir: mkdtempSync(join(tmpdir(), 'rehearsal-idp-')),
    request: (method, path, body, headers) =>
      httpRequest(url, method, path, body, needsHarnessKey(path) ? { authorization: `Bearer ${HARNESS_KEY}`, ...headers } : headers),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await shared?.close();
    },
  };
}

/** A configuration the IdP refuses must not leave the test's Redis connection open (mocha would never exit). */
function tryOrClose<T>(shared: { close(): Promise<void> } | undefined, make: () => T): T {
  try {
    return make();
  } catch (err) {
    void shared?.close();
    throw err;
  }
}

/** A Redis state of its own for one test's IdP, forgotten on close. */
export async function sharedTestState(url: string, namespace = `idp-test-${randomBytes(6).toString('hex')}`, journalLength?: number) {
  const connection = await redisState(url, systemClock, namespace);
  const { state, ledger, flush } = await openSharedIdpState(connection.redis!, connection.prefix, () => undefined, journalLength);
  return {
    state,
    ledger,
    close: async () => {
      await flush();
      await deleteNamespace(connection.redis!, connection.prefix);
      await connection.close();
    },
  };
}

export interface HttpReply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/**
 * One request to a service under test, redirects not followed: a string body is
 * sent as a form, anything else as JSON; the answer is parsed when it is JSON.
 */
export async function httpRequest(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
  const isForm = typeof body === 'string';
  const response = await fetch(base + path, {
    method,
    redirect: 'manual',
    headers: { ...(body === undefined ? {} : { 'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json' }), ...headers },
    body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // HTML or XML
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

export function authnRequestXml(
  options: { id?: string; issuer?: string; acsUrl?: string; forceAuthn?: boolean; isPassive?: boolean; nameIdFormat?: string; doctype?: boolean } = {},
): string {
  const attrs = [
    `ID="${options.id ?? '_req-1'}"`,
    'Version="2.0"',
    'IssueInstant="2026-11-23T09:00:00Z"',
    'Destination="http://localhost:7000/saml/sso"',
    options.acsUrl ? `AssertionConsumerServiceURL="${options.acsUrl}"` : '',
    options.forceAuthn ? 'ForceAuthn="true"' : '',
    options.isPassive ? 'IsPassive="true"' : '',
  ].join(' ');
  return `${options.doctype ? '<!DOCTYPE foo [<!ENTITY x "y">]>' : ''}<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ${attrs}><saml:Issuer>${options.issuer ?? SP}</saml:Issuer>${options.nameIdFormat ? `<samlp:NameIDPolicy Format="${options.nameIdFormat}" AllowCreate="true"/>` : ''}</samlp:AuthnRequest>`;
}

/** The SAMLRequest query value of the HTTP-Redirect binding. */
export const redirectParam = (xml: string) => encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));

export const decodeResponse = (samlResponse: string) => Buffer.from(samlResponse, 'base64').toString('utf8');

/** The SAMLResponse, RelayState and action of an auto-POST form page. */
export function formFields(html: string) {
  const field = (name: string) =>
    new RegExp(`name="${name}" value="([^"]*)"`)
      .exec(html)?.[1]
      ?.replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  return { action: /action="([^"]*)"/.exec(html)?.[1], samlResponse: field('SAMLResponse'), relayState: field('RelayState') };
}

const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    execFile(cmd, args, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
  });

/** Verifies one signature with xmlsec1 against our certificate: the Response's or the Assertion's. */
export async function xmlsecVerify(
  xml: string,
  certificatePem: string,
  which: 'Response' | 'Assertion' | 'LogoutResponse',
  dir: string,
  signatureXpath?: string,
) {
  const file = join(dir, `${which}-${Math.random().toString(36).slice(2)}.xml`);
  const cert = join(dir, 'idp-cert.pem');
  writeFileSync(file, xml);
  writeFileSync(cert, certificatePem);
  const xpath = signatureXpath ?? (which !== 'Assertion' ? "/*/*[local-name()='Signature']" : "//*[local-name()='Assertion']/*[local-name()='Signature']");
  return run('xmlsec1', [
    '--verify',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:protocol:Response',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse',
    '--pubkey-cert-pem',
    cert,
    '--node-xpath',
    xpath,
    file,
  ]);
}

export { run };

/** What an independent SP made of a response. */
export interface SpVerdict {
  ok: boolean;
  nameId?: string | null;
  format?: string | null;
  attributes?: Record<string, string[]>;
  error?: string;
}

type JudgeInput = { samlResponse: string; inResponseTo?: string }[];

/** Runs one of the Python SP scripts over many responses: one process for the whole list. */
async function judgeWith(script: string, args: string[], responses: JudgeInput): Promise<SpVerdict[]> {
  const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn('/usr/bin/python3', [fileURLToPath(new URL(script, import.meta.url)), ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(responses.map((r) => JSON.stringify({ samlResponse: r.samlResponse, inResponseTo: r.inResponseTo ?? null })).join('\n') + '\n');
  });
  if (code !== 0) throw new Error(`${script} failed (${code}): ${err}`);
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SpVerdict);
}

/**
 * Judges responses with pysaml2 (Debian's python3-pysaml2), an SP we did not
 * write, configured from the IdP's metadata. `keys` lets it decrypt.
 */
export async function pysaml2Judge(
  idp: TestIdp,
  sp: { entityId: string; acs: string; keys?: { privateKeyPem: string; certificatePem: string } },
  responses: JudgeInput,
): Promise<SpVerdict[]> {
  const metadataFile = join(idp.dir, 'idp-metadata.xml');
  writeFileSync(metadataFile, (await idp.request('GET', '/saml/metadata')).text);
  const args = [metadataFile, sp.entityId, sp.acs];
  if (sp.keys) {
    writeFileSync(join(idp.dir, 'sp.key.pem'), sp.keys.privateKeyPem);
    writeFileSync(join(idp.dir, 'sp.cert.pem'), sp.keys.certificatePem);
    args.push(join(idp.dir, 'sp.key.pem'), join(idp.dir, 'sp.cert.pem'));
  }
  return judgeWith('./pysaml2_sp.py', args, responses);
}

/** Judges responses with OneLogin's python3-saml in strict mode (Debian's python3-onelogin-saml2). */
export async function oneloginJudge(idp: TestIdp, sp: { entityId: string; acs: string }, responses: JudgeInput): Promise<SpVerdict[]> {
  const certFile = join(idp.dir, 'idp-cert-for-onelogin.pem');
  writeFileSync(certFile, idp.credential.certificatePem);
  return judgeWith('./onelogin_sp.py', ['http://localhost:7000/saml/metadata', certFile, sp.entityId, sp.acs], responses);
}
