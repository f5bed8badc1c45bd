import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { postgresBin, skipWithoutServers, startPostgres, startRedis, type TestServer } from '../src/testing.ts';
import { isAlive } from '../src/service.ts';

/** One Redis command over a raw socket (RESP inline form): its first reply line. */
const redis = (port: number, command: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      resolve(data.toString().split('\r\n')[0]!);
      socket.end();
    });
    socket.once('error', reject);
  });

/** The real servers the scale-out suites run against: Debian's PostgreSQL and Redis, each in a temporary directory. */
describe('runtime/testing: PostgreSQL and Redis from Debian, started for a test', function () {
  this.timeout(120_000);
  before(function () {
    skipWithoutServers(this);
  });

  it('starts redis-server on a free loopback port, answers, and stops by its process id', async () => {
    const server: TestServer = await startRedis();
    try {
      expect(server.url).to.equal(`redis://127.0.0.1:${server.port}`);
      expect(await redis(server.port, 'PING')).to.equal('+PONG');
      expect(await redis(server.port, 'SET rehearsal 1')).to.equal('+OK');
      expect(await redis(server.port, 'CONFIG GET save')).to.equal('*2');
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).to.equal(false);
  });

  it('starts a PostgreSQL cluster of its own (as the postgres user when root), answers SQL, and stops', async () => {
    const server = await startPostgres();
    try {
      expect(server.url).to.equal(`postgres://rehearsal@127.0.0.1:${server.port}/postgres`);
      const psql = postgresBin('postgres')!.replace(/postgres$/, 'psql');
      const answer = spawnSync(psql, [server.url, '-tAc', 'SELECT 40 + 2, current_user'], { encoding: 'utf8' });
      expect(answer.stderr).to.equal('');
      expect(answer.stdout.trim()).to.equal('42|rehearsal');
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).to.equal(false);
  });

  it('runs two clusters side by side, each on its own port', async () => {
    const [a, b] = await Promise.all([startPostgres(), startPostgres()]);
    try {
      expect(a.port).not.to.equal(b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
