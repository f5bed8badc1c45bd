/**
 * Signed login responses per second, beside the machine's RSA-2048 signing
 * limit (`openssl speed rsa2048`) and samlify's own response path. Prints
 * figures and ratios; never fails on a number.
 *
 *   npm run bench                       (from the root or mock-idp/)
 *   BENCH_SECONDS=1 npm run bench       (a quicker run)
 */
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sign } from 'node:crypto';
import * as samlify from 'samlify';
import { ControllableClock } from '@rehearsal/runtime';
import { freePort, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';
import { Directory } from '../src/directory/directory.ts';
import { faultyResponse, unsealed } from '../src/faults/faulty-response.ts';
import { generateCredential } from '@rehearsal/runtime/credentials';
import { loginResponseSpec, signingFor, type IdpIdentity } from '../src/saml/login-response.ts';
import { buildResponse, buildAssertion } from '../src/saml/response.ts';
import { serviceProviderInput, toServiceProvider } from '../src/service-providers/service-provider.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 8;
const SP = 'https://bench.example.test/sp';
const ACS = 'https://bench.example.test/acs';
const USER = { email: 'alice@acme.com', givenName: 'Alice', surname: 'Liddell', department: 'Engineering', password: 'alice-pass' };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Runs `fn` repeatedly for SECONDS; returns operations per CPU-second of this process and per wall second. */
async function measure(fn: () => unknown): Promise<{ perCpuSecond: number; perSecond: number; count: number }> {
  for (let i = 0; i < 50; i++) await fn(); // warm up the JIT and the key's internal state
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  let count = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    for (let i = 0; i < 20; i++) await fn();
    count += 20;
  }
  const wall = (performance.now() - t0) / 1000;
  return { perCpuSecond: count / (cpuSeconds() - cpu0), perSecond: count / wall, count };
}

function opensslRsa2048(): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', String(Math.max(1, SECONDS)), '-multi', '1', 'rsa2048'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const line = out.split('\n').find((l) => /^rsa\s+2048 bits/.test(l));
    // "rsa 2048 bits 0.000277s 0.000017s 3604.5 60167.0": the bare numbers are 2048, sign/s, verify/s.
    const numbers = line
      ?.trim()
      .split(/\s+/)
      .filter((t) => /^[\d.]+$/.test(t))
      .map(Number);
    return numbers && numbers.length === 3 ? numbers[1] : undefined;
  } catch {
    return undefined;
  }
}

function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function main() {
  const rsaLimit = opensslRsa2048();
  console.log(`mock-idp bench: signed login responses (${SECONDS} s per measurement)\n`);
  console.log(`  openssl speed rsa2048 (one core):           ${rsaLimit ? `${fmt(rsaLimit)} signatures/s` : 'openssl not found'}`);

  // ---- in process: the path the IdP takes for every login ------------------------
  const credential = await generateCredential('Bench IdP', new Date());
  const clock = new ControllableClock();
  const directory = new Directory({ users: [USER] });
  const idp: IdpIdentity = { entityId: 'http://localhost:7000/saml/metadata', credential, clock, directory };
  const sp = toServiceProvider(serviceProviderInput.parse({ entityId: SP, acsUrls: [ACS] }));
  const user = directory.getUser(USER.email);
  const spec = () => loginResponseSpec(idp, { sp, user, acsUrl: ACS, inResponseTo: '_bench', authnInstant: clock.now(), sessionIndex: '_session', mfa: false });
  const signing = signingFor(idp, sp, true);
  const tools = { subject: user, otherKey: credential, seal: unsealed };
  const respond = () => faultyResponse(spec(), signing, [], tools);

  const xmlOnly = await measure(() => {
    const s = spec();
    return buildResponse(s, buildAssertion(s.assertion!));
  });
  const signedInfo = Buffer.alloc(700, 'a');
  const rsaOnly = await measure(() => sign('sha256', signedInfo, credential.privateKey));
  const full = await measure(respond);
  console.log(`  node crypto.sign, RSA-2048 SHA-256:          ${fmt(rsaOnly.perCpuSecond)} signatures per CPU-second`);
  console.log(`  response XML alone (no signature):           ${fmt(xmlOnly.perCpuSecond)} per CPU-second`);
  console.log(`  signed response, in process:                 ${fmt(full.perCpuSecond)} per CPU-second (${fmt(full.perSecond)}/s wall)`);

  // ---- samlify's default path, for comparison --------------------------------------
  samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });
  const samlifyIdp = samlify.IdentityProvider({
    entityID: idp.entityId,
    privateKey: credential.privateKeyPem,
    signingCert: credential.certificatePem,
    isAssertionEncrypted: false,
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: 'http://localhost:7000/saml/sso' }],
  });
  const samlifySp = samlify.ServiceProvider({
    entityID: SP,
    assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: ACS }],
    wantAssertionsSigned: true,
  });
  const viaSamlify = await measure(() => samlifyIdp.createLoginResponse(samlifySp, { extract: { request: { id: '_bench' } } }, 'post', { email: USER.email }));
  console.log(`  samlify createLoginResponse, in process:     ${fmt(viaSamlify.perCpuSecond)} per CPU-second`);

  // ---- over HTTP: a real IdP process, POST /api/login ------------------------------
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-idp-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'idp.json'), JSON.stringify({ users: [USER], serviceProviders: [{ entityId: SP, acsUrls: [ACS] }] }));
  const server = spawn(process.execPath, [...(process.env.BENCH_IDP_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...entryArgs('mock-idp')], {
    env: { ...process.env, IDP_PORT: String(port), IDP_HOST: '127.0.0.1', REHEARSAL_DATA_DIR: dir, IDP_CONFIG: join(dir, 'idp.json'), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitUntilHealthy(base, 'the mock IdP');
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const body = JSON.stringify({ sp: SP, user: USER.email });
    const post = () =>
      new Promise<string>((resolve, reject) => {
        const request = http.request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/login',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => (response.statusCode === 200 ? resolve(text) : reject(new Error(`${response.statusCode} ${text}`))));
          },
        );
        request.on('error', reject);
        request.end(body);
      });
    const sample = JSON.parse(await post()) as { samlResponse: string };
    for (let i = 0; i < 200; i++) await post();
    const cpu0 = processCpuSeconds(server.pid!);
    const t0 = performance.now();
    let count = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() - t0 < SECONDS * 1000) {
          await post();
          count += 1;
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const serverCpu = processCpuSeconds(server.pid!) - cpu0;
    const perServerCpuSecond = count / serverCpu;
    console.log(
      `  POST /api/login over HTTP (IdP process):     ${fmt(perServerCpuSecond)} per CPU-second of the IdP (${fmt(count / wall)}/s wall, ${CONCURRENCY} clients sharing the machine)`,
    );

    // Every fast path still verifies with xmlsec1.
    let verified = 'xmlsec1 not found';
    try {
      const file = join(dir, 'sample.xml');
      writeFileSync(file, Buffer.from(sample.samlResponse, 'base64'));
      writeFileSync(join(dir, 'cert.pem'), readFileSync(join(dir, 'idp-signing.cert.pem')));
      execFileSync(
        'xmlsec1',
        [
          '--verify',
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
          '--pubkey-cert-pem',
          join(dir, 'cert.pem'),
          '--node-xpath',
          "//*[local-name()='Assertion']/*[local-name()='Signature']",
          file,
        ],
        { stdio: 'ignore' },
      );
      verified = 'xmlsec1 verifies the benchmarked response';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') verified = 'xmlsec1 REFUSED the benchmarked response';
    }

    console.log('');
    if (rsaLimit) {
      console.log(
        `  ratio to the RSA limit: in process ${(full.perCpuSecond / rsaLimit).toFixed(2)}, over HTTP ${(perServerCpuSecond / rsaLimit).toFixed(2)} (target 0.50)`,
      );
    }
    console.log(
      `  against the 750 responses/s target: in process ${(full.perCpuSecond / 750).toFixed(2)}×, over HTTP ${(perServerCpuSecond / 750).toFixed(2)}×`,
    );
    console.log(`  against samlify: ${(full.perCpuSecond / viaSamlify.perCpuSecond).toFixed(1)}× in process`);
    console.log(`  ${verified}`);
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
