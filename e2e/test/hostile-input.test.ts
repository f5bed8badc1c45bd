import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { scenarioPath } from './support/e2e-stack.ts';
import { serviceRoutes, type Route } from './support/routes.ts';
import { ServiceClient, start, type Stack } from '@rehearsal/cli';

type ServiceName = 'core' | 'idp' | 'gateway' | 'console';

/** One hostile request: headers, a query string and a body as bytes, sent as they are. */
interface Hostile {
  name: string;
  headers?: Record<string, string>;
  query?: string;
  body?: Buffer | string;
  contentType?: string;
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** The table of hostile inputs (issue 13.3): cookies, headers, query strings, bodies and XML. */
const HOSTILE: Hostile[] = [
  {
    name: 'undecodable session cookies',
    headers: { cookie: 'rehearsal_gw_session=%E0%A4%A; rehearsal_idp_session=%E0%A4%A; rehearsal_gw_pending=%; rehearsal_gw_csrf=%zz' },
  },
  { name: 'cookie soup', headers: { cookie: '=;;=; a=b=c; "x; rehearsal_gw_session="unterminated' } },
  { name: 'huge cookie', headers: { cookie: `rehearsal_gw_session=${'x'.repeat(7000)}` } },
  { name: 'Latin-1 cookie', headers: { cookie: 'rehearsal_gw_session=\u00e9t\u00e9.\u00ff' } },
  { name: 'non-ASCII bearer', headers: { authorization: `Bearer ${'\u00e9'.repeat(32)}` } },
  { name: 'basic auth', headers: { authorization: 'Basic Zm9vOmJhcg==' } },
  { name: 'empty bearer', headers: { authorization: 'Bearer ' } },
  { name: 'strange accept', headers: { accept: 'application/json;q=foo, */*;q=nan, text/html;level=;' } },
  { name: 'stale if-match', headers: { 'if-match': '"' }, body: '{}', contentType: 'application/json' },
  { name: 'repeated query parameters', query: 'a=1&a=2&filter=x&filter=y&connection=a&connection=b&reason=a&reason=b&sp=a&sp=b&SAMLRequest=a&SAMLRequest=b' },
  { name: 'non-ASCII and malformed query keys', query: '%E0%A4%A=1&%=2&\u00e9=3&__proto__[polluted]=1&constructor.prototype.x=1' },
  { name: 'huge numbers', query: 'startIndex=99999999999999999999&count=-99999999999999999999&limit=1e400&offset=-1&after=NaN' },
  { name: 'deep filter', query: `filter=${encodeURIComponent('('.repeat(500) + 'userName pr' + ')'.repeat(500))}` },
  {
    name: 'hostile SAML query',
    query: `SAMLRequest=${encodeURIComponent('%%%not base64')}&SAMLResponse=${encodeURIComponent(b64('<a/><b/>'))}&RelayState=//evil.example&relayState=//evil.example&Signature=x&SigAlg=http://www.w3.org/2000/09/xmldsig%23hmac-sha1`,
  },
  { name: 'malformed JSON', body: '{"a":', contentType: 'application/json' },
  { name: 'JSON that is not an object', body: '[[1],"x",null]', contentType: 'application/json' },
  { name: 'JSON null', body: 'null', contentType: 'application/json' },
  { name: 'prototype pollution', body: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}', contentType: 'application/json' },
  { name: 'deeply nested JSON', body: nested(20_000), contentType: 'application/json' },
  {
    name: 'JSON with control characters',
    body: JSON.stringify({ name: 'a\u0000b', email: 'x\u202e@acme.com', displayName: '\u0007', userName: '\n', emails: [{ value: '\u0000' }] }),
    contentType: 'application/json',
  },
  {
    name: 'SCIM body of the wrong shapes',
    body: JSON.stringify({ schemas: 5, userName: ['a'], Operations: [{ op: 'replace', path: 'members[value eq', value: {} }], members: 'all' }),
    contentType: 'application/scim+json',
  },
  { name: 'unsupported charset', body: '{}', contentType: 'application/json; charset=utf-7' },
  { name: 'gzip that is not gzip', body: '{}', contentType: 'application/json', headers: { 'content-encoding': 'gzip' } },
  { name: 'bytes that are not UTF-8', body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28]), contentType: 'application/json' },
  {
    name: 'form with repeated and odd fields',
    body: 'email=a&email=b&csrf=%E9&csrf=x&password=%00&code=%&SAMLResponse=&RelayState=%2F%2Fevil',
    contentType: 'application/x-www-form-urlencoded',
  },
  ...(
    [
      ['two roots', '<a/><b/>'],
      ['text', 'hello'],
      ['unclosed', '<a>'],
      ['duplicated attribute', '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="a" ID="b"/>'],
      ['bare declaration', '<?xml?>'],
      ['DOCTYPE', '<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'],
    ] as const
  ).map(([what, xml]): Hostile => ({
    name: `SAML message: ${what}`,
    body: `SAMLResponse=${encodeURIComponent(b64(xml))}&SAMLRequest=${encodeURIComponent(b64(xml))}`,
    contentType: 'application/x-www-form-urlencoded',
  })),
  {
    name: 'SAML message: UTF-16 bytes',
    body: `SAMLResponse=${encodeURIComponent(b64(Buffer.from('\ufeff<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>', 'utf16le')))}`,
    contentType: 'application/x-www-form-urlencoded',
  },
  {
    name: 'XML as the body',
    body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>',
    contentType: 'application/xml',
  },
];

/** Path parameters: hostile values, and (for a second pass) real ids of the applied scenario. */
const HOSTILE_PARAMS = [
  '%E0%A4%A',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  encodeURIComponent("'; DROP TABLE accounts; --"),
  'x'.repeat(2000),
  encodeURIComponent('é\u202e'),
];

function send(baseUrl: string, method: string, path: string, input: Hostile, authorization: string | undefined, cookie?: string): Promise<number> {
  const url = new URL(baseUrl);
  const body = input.body === undefined ? undefined : Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body, 'latin1');
  const headers: Record<string, string | number> = {
    accept: 'application/json',
    ...(authorization ? { authorization } : {}),
    ...(cookie ? { cookie } : {}),
    ...input.headers,
  };
  if (body) Object.assign(headers, { 'content-type': input.contentType ?? 'application/octet-stream', 'content-length': body.length });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: Number(url.port), method, path: path + (input.query ? `${path.includes('?') ? '&' : '?'}${input.query}` : ''), headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A request Node's own client would not send: a raw line straight onto the socket. */
function sendRaw(baseUrl: string, raw: string): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), '127.0.0.1', () => socket.end(raw));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

/**
 * Issue 13.3: every route of the three services, started as processes, gets
 * every hostile input; no answer is a 5xx and no process dies.
 */
describe('hostile input on every route of the three services and the console, started as processes', function () {
  this.timeout(600_000);
  let stack: Stack;
  let routes: Record<ServiceName, Route[]>;
  /** The console's routes answer a signed-in browser: its session cookie (a hostile cookie replaces it). */
  let consoleSession: string;

  before(async () => {
    [stack, routes] = await Promise.all([start({ scenario: scenarioPath('examples/acme.yaml'), mode: 'processes' }), serviceRoutes()]);
    const link = await new ServiceClient('console', stack.urls.console, stack.credentials.coreAdminKey).call<{ url: string }>('POST', '/api/sign-in-links');
    const signedIn = await fetch(link.url, { redirect: 'manual' });
    consoleSession = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
  });
  after(() => stack?.close());

  /** The key each route wants, so hostile input gets past authentication to the parsers. */
  const keyFor = (service: ServiceName, path: string): string | undefined => {
    const { credentials, applied } = stack;
    if (path.startsWith('/_rehearsal') || path === '/api/reset') return credentials.harnessKey;
    if (service === 'core' && path.startsWith('/scim/')) return applied!.directories.find((d) => d.scim)!.scim!.token;
    if (service === 'core') return credentials.coreAdminKey;
    if (service === 'gateway') return credentials.gatewayAdminKey;
    if (service === 'console' && path === '/api/sign-in-links') return credentials.coreAdminKey;
    return undefined;
  };
  /** Real ids, where the scenario has one for a parameter of that name. */
  const realParams = (): Record<string, string> => {
    const idp = stack.applied!.directories.find((d) => d.kind === 'idp')!;
    return {
      orgId: stack.applied!.orgId,
      directoryId: idp.id,
      policyId: stack.applied!.policies[0]!.id,
      connectionId: idp.saml!.connectionId,
      id: 'core',
      key: 'alice@acme.com',
      entityId: encodeURIComponent(idp.saml!.spEntityId),
      product: 'trello',
    };
  };
  const fill = (path: string, value: (name: string) => string) => path.replace(/:(\w+)/g, (_m, name: string) => value(name)).replace(/\*\w*/g, 'x');

  const services: ServiceName[] = ['core', 'idp', 'gateway', 'console'];
  for (const service of services) {
    it(`${service}: no 5xx for any hostile input on any route, and the process lives`, async () => {
      const fiveHundreds: string[] = [];
      const table = routes[service];
      expect(table.length, 'routes found in the table').to.be.greaterThan({ gateway: 15, console: 20 }[service as string] ?? 25);
      const base = stack.urls[service];
      // Destructive routes with real ids would empty the stack for the routes after them: they get hostile ids only.
      const destructive = (r: Route) => r.method === 'DELETE' || /reset|scim-token/.test(r.path);
      let sent = 0;
      for (const route of table) {
        const paths = [
          fill(route.path, () => HOSTILE_PARAMS[sent % HOSTILE_PARAMS.length]!),
          ...(destructive(route) ? [] : [fill(route.path, (name) => realParams()[name] ?? 'unknown-id')]),
        ];
        for (const path of [...new Set(paths)]) {
          // Once without credentials, then every hostile input with the route's key.
          const anonymous = await send(base, route.method, path, { name: 'nothing' }, undefined);
          const cookie = service === 'console' ? consoleSession : undefined;
          if (anonymous >= 500) fiveHundreds.push(`${service} ${route.method} ${path} (no key): ${anonymous}`);
          for (const input of HOSTILE) {
            const key = keyFor(service, route.path);
            const status = await send(base, route.method, path, input, input.headers?.authorization ? undefined : key ? `Bearer ${key}` : undefined, cookie);
            sent++;
            if (status >= 500) fiveHundreds.push(`${service} ${route.method} ${path} [${input.name}]: ${status}`);
          }
        }
      }
      for (const raw of [
        'GET /%%% HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: x\r\nCookie: rehearsal_gw_session=%E0%A4%A\r\n\r\n',
        'POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        `GET /?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      ]) {
        const answer = await sendRaw(base, raw);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        if (status >= 500) fiveHundreds.push(`${service} raw ${JSON.stringify(raw.slice(0, 40))}: ${status}`);
      }
      expect(fiveHundreds, fiveHundreds.slice(0, 30).join('\n')).to.deep.equal([]);
      expect(sent).to.be.greaterThan(table.length * HOSTILE.length - 1);
      // The process lives, and still does its job.
      expect((await fetch(`${base}/healthz`)).status).to.equal(200);
      expect(() => process.kill(stack.pids()[service]!, 0)).not.to.throw();
    });
  }

  it('still logs alice in through all three afterwards', async () => {
    const { headlessLogin } = await import('@rehearsal/cli');
    await stack.reset();
    const login = await headlessLogin(stack.urls, 'alice@acme.com', { then: '/api/products/trello' });
    expect(login).to.include({ outcome: 'logged-in', reason: 'sso-login' });
    expect(login.page?.status).to.equal(200);
  });
});
