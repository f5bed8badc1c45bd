import { expect } from 'chai';
import http from 'node:http';
import { ACS, SP, decodeResponse, startIdp, type TestIdp } from './support/idp.ts';

/** One raw request: headers and body exactly as given (chunked when no content-length is set), the answer as text. */
function raw(
  idp: TestIdp,
  options: { path?: string; headers?: Record<string, string>; chunks?: (string | Buffer)[]; abortAfterFirst?: boolean },
): Promise<{ status: number; text: string; type: string }> {
  const { port } = new URL(idp.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: options.path ?? '/api/login', method: 'POST', headers: options.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    const [first, ...rest] = options.chunks ?? [];
    if (first !== undefined) req.write(first);
    if (options.abortAfterFirst) {
      setImmediate(() => req.destroy());
      resolve({ status: 0, text: '', type: '' });
      return;
    }
    for (const chunk of rest) req.write(chunk);
    req.end();
  });
}

const json = { 'content-type': 'application/json', accept: 'application/json' };
const body = JSON.stringify({ sp: SP, user: 'alice@acme.com', relayState: '/boards' });
const errorCode = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;

describe('mock-idp: the headless login API (POST /api/login), before express and through it', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  const sentResponses = async () => ((await idp.request('GET', '/api/ledger?message=Response')).body.entries as unknown[]).length;

  it('answers the same JSON whichever path takes the request', async () => {
    const plain = await raw(idp, { headers: json, chunks: [body] });
    // A charset, an `Accept` that lists several types and a chunked body are all still JSON in, JSON out.
    const chunked = await raw(idp, {
      headers: { 'content-type': 'application/json; charset=UTF-8', accept: 'application/json, text/plain, */*' },
      chunks: [body.slice(0, 10), body.slice(10)],
    });
    // The query string sends it through express (which reads and ignores it).
    const viaExpress = await raw(idp, { path: '/api/login?via=express', headers: json, chunks: [body] });
    for (const answer of [plain, chunked, viaExpress]) {
      expect(answer.status).to.equal(200);
      expect(answer.type).to.equal('application/json; charset=utf-8');
      const parsed = JSON.parse(answer.text) as { acsUrl: string; relayState: string; samlResponse: string };
      expect(parsed).to.include({ acsUrl: ACS, relayState: '/boards' });
      expect(decodeResponse(parsed.samlResponse)).to.contain('>alice@acme.com</NameID>');
    }
    expect(await sentResponses()).to.equal(3);
  });

  it('answers an auto-posting form to a client that prefers HTML', async () => {
    const page = await raw(idp, { headers: { 'content-type': 'application/json', accept: 'text/html' }, chunks: [body] });
    expect(page.status).to.equal(200);
    expect(page.type).to.contain('text/html');
    expect(page.text).to.contain(`action="${ACS}"`).and.to.contain('name="SAMLResponse"');
  });

  const refusals: [string, Parameters<typeof raw>[1], number, string][] = [
    ['invalid JSON', { headers: json, chunks: ['{"sp": '] }, 400, 'malformed-json'],
    ['a JSON string at the top level', { headers: json, chunks: ['"alice@acme.com"'] }, 400, 'malformed-json'],
    ['a JSON number at the top level', { headers: json, chunks: ['42'] }, 400, 'malformed-json'],
    ['an empty body', { headers: json, chunks: [] }, 400, 'invalid-request'],
    ['an unknown field', { headers: json, chunks: [JSON.stringify({ sp: SP, user: 'alice@acme.com', admin: true })] }, 400, 'invalid-request'],
    ['an unknown user', { headers: json, chunks: [JSON.stringify({ sp: SP, user: 'nobody@acme.com' })] }, 404, 'user-not-found'],
    [
      'a body over 1 MB, announced',
      { headers: { ...json, 'content-length': String(2 * 1024 * 1024) }, chunks: [Buffer.alloc(2 * 1024 * 1024, 0x20)] },
      413,
      'payload-too-large',
    ],
    ['a body over 1 MB, chunked', { headers: json, chunks: Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x20)) }, 413, 'payload-too-large'],
  ];
  for (const [what, request, status, code] of refusals)
    it(`refuses ${what} with ${status} ${code} and sends nothing, before express and through it`, async () => {
      for (const path of ['/api/login', '/api/login?via=express']) {
        const answer = await raw(idp, { ...request, path });
        expect(answer.status, path).to.equal(status);
        expect(errorCode(answer.text), path).to.equal(code);
      }
      expect(await sentResponses()).to.equal(0);
    });

  it('lives through a client that hangs up halfway through its body', async () => {
    await raw(idp, { headers: { ...json, 'content-length': '5000' }, chunks: ['{"sp":'], abortAfterFirst: true });
    const after = await raw(idp, { headers: json, chunks: [body] });
    expect(after.status).to.equal(200);
  });
});
