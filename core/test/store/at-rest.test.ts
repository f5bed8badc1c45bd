import { expect } from 'chai';
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret, generateSync } from 'otplib';
import { serveCore } from '../../src/serve.ts';
import type { RunningService } from '@rehearsal/runtime';

/**
 * Issue 13.7: the database and its -wal/-shm files were 0644 in a 0755 folder,
 * with TOTP secrets in plaintext. The data directory is 0700, the files 0600,
 * and TOTP secrets are sealed with a key of the data directory.
 */
describe('store: data at rest', () => {
  let parent: string;
  let dataDir: string;
  let core: RunningService | undefined;
  const env = () => ({
    REHEARSAL_DATA_DIR: dataDir,
    CORE_PORT: '0',
    LOG_LEVEL: 'silent',
    CORE_ADMIN_KEY: 'at-rest-admin-key-0123456789',
    CORE_GATEWAY_KEY: 'at-rest-gateway-key-0123456789',
  });
  const call = async (method: string, path: string, body?: unknown, key = 'at-rest-admin-key-0123456789') => {
    const response = await fetch(core!.url.replace('localhost', '127.0.0.1') + path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  };
  const mode = (path: string) => statSync(path).mode & 0o777;

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'rehearsal-at-rest-'));
    dataDir = join(parent, 'data');
  });
  afterEach(async () => {
    await core?.close();
    core = undefined;
    rmSync(parent, { recursive: true, force: true });
  });

  it('creates the data directory 0700 and the database, its WAL and shared-memory files and every key 0600', async () => {
    core = await serveCore(env());
    await call('POST', '/api/accounts', { email: 'alice@acme.com', password: 'alice-long-passphrase-1' });
    expect(mode(dataDir)).to.equal(0o700);
    for (const file of ['core.sqlite', 'core.sqlite-wal', 'core.sqlite-shm', 'core-secrets-key', 'harness-key'])
      expect(mode(join(dataDir, file)), file).to.equal(0o600);
  });

  it('tightens a data directory that exists with wider permissions', async () => {
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    core = await serveCore(env());
    expect(mode(dataDir)).to.equal(0o700);
  });

  it('keeps TOTP secrets encrypted in the database, and readable after a restart with the same data directory', async () => {
    core = await serveCore(env());
    await call('POST', '/api/accounts', { email: 'alice@acme.com', password: 'alice-long-passphrase-1' });
    const secret = generateSecret();
    const code = (at: number) => generateSync({ secret, epoch: Math.floor(at / 1000) });
    const enrolled = await call(
      'POST',
      '/api/login/two-step/enrol',
      { email: 'alice@acme.com', secret, code: code(Date.now()) },
      'at-rest-gateway-key-0123456789',
    );
    expect(enrolled.body).to.include({ enrolled: true });
    await core.close();
    core = undefined;

    const db = new Database(join(dataDir, 'core.sqlite'), { readonly: true });
    const stored = db.prepare('SELECT totp_secret FROM accounts WHERE email = ?').get('alice@acme.com') as { totp_secret: string };
    db.close();
    expect(stored.totp_secret).to.match(/^enc:v1:/);
    expect(stored.totp_secret).not.to.contain(secret);

    core = await serveCore(env());
    // The next time step's code: the one used at enrolment is never accepted twice.
    const verified = await call(
      'POST',
      '/api/login/two-step/verify',
      { email: 'alice@acme.com', code: code(Date.now() + 30_000) },
      'at-rest-gateway-key-0123456789',
    );
    expect(verified.body).to.include({ valid: true, reason: 'totp-valid' });
  });
});
