import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { generateCredential } from '@rehearsal/runtime/credentials';
import { browserCookie, postResponse, sessionCookie, startStack, type Stack } from './support/stack.ts';

const IDP = 'https://pysaml2-idp.example.test';

/** Asks pysaml2's IdP (Debian's python3-pysaml2) to answer AuthnRequests: one Python process for the list. */
function pysaml2Idp(
  files: { key: string; cert: string; spMetadata: string },
  algorithm: 'sha256' | 'sha1',
  requests: { authnRequestUrl: string; email: string }[],
) {
  return new Promise<{ samlResponse?: string; relayState?: string; error?: string }[]>((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [
      fileURLToPath(new URL('./support/pysaml2_idp.py', import.meta.url)),
      IDP,
      files.key,
      files.cert,
      files.spMetadata,
      algorithm,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l)),
          )
        : reject(new Error(`pysaml2 IdP failed: ${err}`)),
    );
    child.stdin.end(requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}

describe('gateway: logging in through an IdP we did not write (pysaml2)', function () {
  this.timeout(60_000);
  let stack: Stack;
  afterEach(() => stack?.close());

  it('publishes SP metadata that pysaml2 reads, and accepts pysaml2’s signed response; refuses it altered', async () => {
    stack = await startStack();
    // pysaml2 stamps its assertions with the real time: every clock here follows it.
    stack.clock.reset();
    stack.core.clock.reset();
    const credential = await generateCredential('pysaml2 test IdP', new Date());
    const dir = mkdtempSync(join(tmpdir(), 'rehearsal-pysaml2-idp-'));
    const files = { key: join(dir, 'idp.key'), cert: join(dir, 'idp.crt'), spMetadata: join(dir, 'sp.xml') };
    writeFileSync(files.key, credential.privateKeyPem);
    writeFileSync(files.cert, credential.certificatePem);
    await stack.core.put(`/api/orgs/${stack.org.id}/directories/${stack.directoryId}/saml`, {
      idpEntityId: IDP,
      ssoUrl: `${IDP}/sso`,
      certificate: credential.certificatePem,
      allowIdpInitiated: false,
    });

    const metadata = await stack.request('GET', `/saml/${stack.connection.id}/metadata`, undefined, { accept: 'application/samlmetadata+xml' });
    expect(metadata.status).to.equal(200);
    expect(metadata.text)
      .to.contain(`entityID="${stack.connection.spEntityId}"`)
      .and.contain(`Location="${stack.connection.acsUrl.replace(/&/g, '&amp;')}"`);
    writeFileSync(files.spMetadata, metadata.text);

    const starts = [];
    // One browser starts three logins: every AuthnRequest is bound to its cookie.
    let browser: string | undefined;
    for (let i = 0; i < 3; i++) {
      const start = await stack.request('POST', '/login', { email: 'alice@acme.com', relayState: '/trello' }, browser ? { cookie: browser } : {});
      browser ??= browserCookie(start);
      starts.push(start.headers.get('location')!);
    }
    expect(starts[0]).to.match(new RegExp(`^${IDP}/sso\\?SAMLRequest=`));
    const [good, altered] = await pysaml2Idp(
      files,
      'sha256',
      starts.slice(0, 2).map((authnRequestUrl) => ({ authnRequestUrl, email: 'alice@acme.com' })),
    );
    expect(good!.error, good!.error).to.equal(undefined);

    const back = await postResponse(stack, good!.samlResponse!, good!.relayState, browser);
    expect(back.status, back.text).to.equal(303);
    expect(back.headers.get('location')).to.equal('/trello');
    expect((await stack.request('GET', '/me', undefined, { cookie: sessionCookie(back)! })).body).to.include({ email: 'alice@acme.com', method: 'sso' });
    expect(JSON.stringify((await stack.core.get('/api/accounts?email=alice@acme.com')).body)).to.contain('"displayName":"Ada Lovelace"');

    const xml = Buffer.from(altered!.samlResponse!, 'base64')
      .toString()
      .replace(/Lovelace/g, 'Byron');
    const refused = await postResponse(stack, Buffer.from(xml).toString('base64'), altered!.relayState, browser);
    expect(refused.status).to.equal(401);
    expect(refused.body.error.code).to.equal('saml-signature-invalid');

    // pysaml2's own default, rsa-sha1, is refused for what it is.
    const [sha1] = await pysaml2Idp(files, 'sha1', [{ authnRequestUrl: starts[2]!, email: 'alice@acme.com' }]);
    const legacy = await postResponse(stack, sha1!.samlResponse!, sha1!.relayState, browser);
    expect(legacy.body.error.code).to.equal('saml-signature-algorithm');
  });
});
