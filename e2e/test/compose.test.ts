import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { haproxyConfig } from '../../cli/src/stack/haproxy.ts';
import { ROOT } from './support/e2e-stack.ts';

const run = promisify(execFile);

/** The variables docker-compose.yml reads: a value in this process's environment would win over the env file's. */
const INTERPOLATED = ['CORE_PORT', 'CORE_SIBLINGS', 'DATABASE_URL', 'IDP_PORT', 'IDP_SIBLINGS', 'GATEWAY_PORT', 'GATEWAY_SIBLINGS', 'REDIS_URL'];
const composeEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INTERPOLATED.includes(name)));

/** docker-compose.yml as docker-compose itself reads it (Compose v1 from Debian; v2 is not packaged). */
describe('docker-compose.yml', () => {
  let config: any;
  let staging: any;
  before(async function () {
    try {
      config = parse((await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env: composeEnv })).stdout);
      staging = parse(
        (
          await run('docker-compose', ['-f', 'docker-compose.yml', '--env-file', 'deploy/staging.env', '--profile', 'staging', 'config'], {
            cwd: ROOT,
            env: composeEnv,
          })
        ).stdout,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (process.env.CI === 'true') throw new Error('docker-compose is not installed; CI must validate the compose file', { cause: err });
      console.log('    skipped: docker-compose is not installed (apt-get install docker-compose)');
      this.skip();
    }
  });

  it('is valid and brings up core, the mock IdP, the gateway and the console, each from its Dockerfile target', () => {
    for (const [service, target] of [
      ['core', 'core'],
      ['mock-idp', 'mock-idp'],
      ['gateway', 'gateway'],
      ['console', 'console'],
    ]) {
      expect(config.services[service!].build, service).to.include({ target, network: 'host' });
    }
  });

  it('keeps all traffic on the host network and creates no network of its own', () => {
    for (const service of Object.values<{ network_mode: string }>(config.services)) expect(service.network_mode).to.equal('host');
    expect(config.networks.default).to.deep.include({ name: 'host', external: true });
  });

  it('gives every service the data volume for keys and the database, and waits for health before the scenario', () => {
    for (const service of ['core', 'mock-idp', 'gateway', 'console', 'scenario'])
      expect(config.services[service].volumes, service).to.deep.include('rehearsal-data:/data:rw');
    expect(config.services.scenario.depends_on).to.deep.equal({
      core: { condition: 'service_healthy' },
      'mock-idp': { condition: 'service_healthy' },
      gateway: { condition: 'service_healthy' },
    });
    expect(config.services.gateway.depends_on).to.deep.equal({ core: { condition: 'service_healthy' } });
    expect(config.services.console.depends_on).to.deep.equal(config.services.scenario.depends_on);
  });

  it('runs one core, one IdP and one gateway on SQLite, a file and memory by default; the rest only in the staging profile', () => {
    const byProfile = (profile: string | undefined) =>
      Object.entries<{ profiles?: string[] }>(config.services)
        .filter(([, service]) => service.profiles?.[0] === profile)
        .map(([name]) => name)
        .sort();
    expect(byProfile(undefined)).to.deep.equal(['console', 'core', 'gateway', 'mock-idp', 'scenario']);
    expect(byProfile('staging')).to.deep.equal(['core-2', 'gateway-2', 'haproxy', 'idp-2', 'postgres', 'redis']);
    expect(config.services.core.environment).to.include({ CORE_PORT: '9000' });
    expect(config.services['mock-idp'].environment).to.include({ IDP_PORT: '7000' });
    expect(config.services.core.environment.DATABASE_URL ?? '').to.equal('');
    expect(config.services['mock-idp'].environment.REDIS_URL ?? '').to.equal('');
    expect(config.services.gateway.environment.REDIS_URL ?? '').to.equal('');
  });

  it('has a staging profile: PostgreSQL, Redis, two cores, two IdPs, two gateways and HAProxy in front on 9000, 7000 and 8000', () => {
    expect(Object.keys(staging.services).sort()).to.deep.equal(
      ['console', 'core', 'core-2', 'gateway', 'gateway-2', 'haproxy', 'idp-2', 'mock-idp', 'postgres', 'redis', 'scenario'].sort(),
    );
    const env = (name: string) => staging.services[name].environment as Record<string, string>;
    expect(env('core')).to.include({
      CORE_PORT: '9001',
      REHEARSAL_SIBLINGS: 'http://127.0.0.1:9002',
      DATABASE_URL: 'postgres://rehearsal@127.0.0.1:5432/rehearsal',
    });
    expect(env('core-2')).to.include({
      CORE_PORT: '9002',
      REHEARSAL_SIBLINGS: 'http://127.0.0.1:9001',
      DATABASE_URL: 'postgres://rehearsal@127.0.0.1:5432/rehearsal',
    });
    expect(env('mock-idp')).to.include({ IDP_PORT: '7001', REHEARSAL_SIBLINGS: 'http://127.0.0.1:7002', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(env('idp-2')).to.include({ IDP_PORT: '7002', REHEARSAL_SIBLINGS: 'http://127.0.0.1:7001', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(env('gateway')).to.include({ GATEWAY_PORT: '8001', REHEARSAL_SIBLINGS: 'http://127.0.0.1:8002', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(env('gateway-2')).to.include({ GATEWAY_PORT: '8002', REHEARSAL_SIBLINGS: 'http://127.0.0.1:8001', REDIS_URL: 'redis://127.0.0.1:6379' });
    // The replicas keep the stack's public URLs: HAProxy's ports.
    for (const name of ['core', 'core-2', 'mock-idp', 'idp-2', 'gateway', 'gateway-2'])
      expect(env(name)).to.include({
        CORE_PUBLIC_URL: 'http://localhost:9000',
        IDP_PUBLIC_URL: 'http://localhost:7000',
        GATEWAY_PUBLIC_URL: 'http://localhost:8000',
      });
    for (const service of Object.values<{ network_mode: string }>(staging.services)) expect(service.network_mode).to.equal('host');
    expect(staging.services['core-2'].depends_on).to.deep.equal({ postgres: { condition: 'service_healthy' } });
    expect(staging.services['idp-2'].depends_on).to.deep.equal({ redis: { condition: 'service_healthy' } });
    expect(staging.services['gateway-2'].depends_on).to.deep.equal({ redis: { condition: 'service_healthy' } });
  });

  it('gives HAProxy the configuration `up --replicas 2` writes for those ports', () => {
    const committed = readFileSync(join(ROOT, 'deploy', 'haproxy-staging.cfg'), 'utf8');
    expect(committed).to.equal(
      haproxyConfig([
        { name: 'core', port: 9000, backends: [9001, 9002] },
        { name: 'idp', port: 7000, backends: [7001, 7002], sticky: true },
        { name: 'gateway', port: 8000, backends: [8001, 8002] },
      ]),
    );
    expect(staging.services.haproxy.volumes.join(' ')).to.match(/deploy\/haproxy-staging\.cfg:\/usr\/local\/etc\/haproxy\/haproxy\.cfg:ro/);
  });
});
