import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '@rehearsal/runtime/testing';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** The mock IdP as `npm start` runs it: a real process, its config file, its data directory. */
async function startMain(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    // With REDIS_URL (npm test's second run) the state, and the key, live in a namespace of the data directory's own.
    env: {
      ...process.env,
      IDP_PORT: String(port),
      IDP_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      REDIS_NAMESPACE: `main-test-${basename(env.REHEARSAL_DATA_DIR ?? String(port))}`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // Readiness is the process telling us it listens (or exiting), not a timed wait.
  await Promise.race([new Promise<void>((resolve) => child.stderr.on('data', () => stderr.includes('is up at') && resolve())), exited]);
  return { child, url, stderr: () => stderr };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))));

describe('mock-idp: the process npm start runs', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rehearsal-idp-main-'))));

  it('loads users, service providers, fault rules and provisioning targets from its config file, and keeps its generated key across restarts', async () => {
    const config = join(dir, 'idp.yaml');
    writeFileSync(
      config,
      [
        'users:',
        '  - {email: alice@acme.com, givenName: Alice, surname: Liddell, password: alice-pass}',
        'serviceProviders:',
        '  - {entityId: https://app.example.test/saml, acsUrls: [https://app.example.test/acs]}',
        'faults:',
        '  - {user: alice@acme.com, faults: [wrong-audience], times: 1}',
        'provisioning:',
        '  - {id: product, baseUrl: "http://127.0.0.1:9/scim/v2", token: secret-scim-token, profile: okta}',
      ].join('\n'),
    );
    const env = { IDP_CONFIG: config, REHEARSAL_DATA_DIR: dir };
    const first = await startMain(env);
    let fingerprint: string;
    try {
      expect(first.stderr()).to.contain('Signing certificate (generated now)');
      const rules = (await (await fetch(`${first.url}/api/faults`)).json()) as { rules: { user: string; remaining: number }[] };
      expect(rules.rules).to.have.length(1);
      expect(rules.rules[0]).to.include({ user: 'alice@acme.com', remaining: 1 });
      const targets = await (await fetch(`${first.url}/api/provisioning/targets`)).text();
      expect(JSON.parse(targets).targets[0]).to.include({ id: 'product', profile: 'okta', token: '[redacted]' });
      expect(targets).not.to.contain('secret-scim-token');
      const cert = readFileSync(join(dir, 'idp-signing.cert.pem'), 'utf8');
      const metadata = await (await fetch(`${first.url}/saml/metadata`)).text();
      expect(metadata).to.contain(cert.replace(/-----[A-Z ]+-----|\s/g, ''));
      fingerprint = /SHA-256 ([0-9A-F:]+)/.exec(first.stderr())![1]!;
    } finally {
      await stop(first.child);
    }
    const second = await startMain(env);
    try {
      expect(second.stderr()).to.contain('Signing certificate (loaded)');
      expect(second.stderr()).to.contain(`SHA-256 ${fingerprint}`);
    } finally {
      await stop(second.child);
    }
  });

  it('refuses a config file with a bad entry: exit code 2 and the entry named', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'users: []\nfaults:\n  - {faults: [expird]}\n');
    const started = await startMain({ IDP_CONFIG: config, REHEARSAL_DATA_DIR: dir });
    await stop(started.child);
    expect(started.child.exitCode).to.equal(2);
    expect(started.stderr()).to.match(/bad\.yaml at faults\[0\]\.faults\.0: .*unknown fault "expird"/);
  });
});
