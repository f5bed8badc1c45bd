import { expect } from 'chai';
import Database from 'better-sqlite3';
import pg from 'pg';
import { skipWithoutServers, startPostgres, type PostgresServer } from '@rehearsal/runtime/testing';
import type { RunningService } from '@rehearsal/runtime';
import { serveCore } from '../../src/serve.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { PG_MIGRATIONS } from '../../src/store/postgres/pg-migrations.ts';
import { toPositional } from '../../src/store/postgres/placeholders.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { StoreUnavailableError } from '../../src/store/store-errors.ts';
import { testSchema } from '../support/test-store.ts';
import { ControllableClock } from '@rehearsal/runtime';
import type { Directory } from '../../src/directories/directory.ts';
import { ScimRateLimiter } from '../../src/scim/scim-limits.ts';
import type { ScimError } from '../../src/scim/scim-error.ts';

const at = '2026-11-23T09:00:00.000Z';

describe('store: PostgreSQL placeholders', () => {
  it('numbers ? and :name parameters, leaving literals and casts alone', () => {
    expect(toPositional('SELECT * FROM t WHERE a = ? AND b = ? LIMIT ?', ['x', 'y', 3])).to.deep.equal({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 LIMIT $3',
      values: ['x', 'y', 3],
    });
    expect(toPositional("SELECT ':not', '?', x::text FROM t WHERE a = :org OR b = :org AND c = :only", { org: 'o1', only: '[]' })).to.deep.equal({
      text: "SELECT ':not', '?', x::text FROM t WHERE a = $1 OR b = $1 AND c = $2",
      values: ['o1', '[]'],
    });
    expect(toPositional('UPDATE t SET a = ? WHERE id = ?', [undefined, 'i']).values).to.deep.equal([null, 'i']);
  });
});

describe('store: PostgreSQL, against a real server', function () {
  this.timeout(120_000);
  let server: PostgresServer | undefined;
  let admin: pg.Client;
  before(async function () {
    skipWithoutServers(this);
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.url });
    // The restart tests below end this session too; nothing uses it after them.
    admin.on('error', () => undefined);
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await server?.stop();
  });

  it('migrates once when several cores start together on a new schema', async () => {
    const schema = testSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(server!.url, { schema, maxConnections: 2 })));
    const applied = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    expect(applied.rows).to.deep.equal(PG_MIGRATIONS.map((m) => ({ version: m.version })));
    await Promise.all(stores.map((s) => s.close()));
    const again = await PostgresStore.open(server!.url, { schema });
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`)).rows[0].n).to.equal(PG_MIGRATIONS.length);
    await again.close();
  });

  it('gives a directory one SCIM rate across cores: two stores on one schema spend one bucket', async () => {
    const schema = testSchema();
    const one = await PostgresStore.open(server!.url, { schema, maxConnections: 4 });
    const other = await PostgresStore.open(server!.url, { schema, maxConnections: 4 });
    const clock = new ControllableClock();
    clock.freeze(new Date(at));
    const limiters = [new ScimRateLimiter(clock, one), new ScimRateLimiter(clock, other)];
    const directory = { id: 'd1', scimRateLimit: { requests: 5, perSeconds: 60 } } as unknown as Directory;
    // Twelve requests at once, half to each core: five fit, the rest are told to wait 12 s.
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        limiters[i % 2]!.take(directory).then(
          () => 'ok',
          (err: ScimError) => err.retryAfterSeconds,
        ),
      ),
    );
    expect(outcomes.filter((o: unknown) => o === 'ok')).to.have.length(5);
    expect(new Set(outcomes.filter((o: unknown) => o !== 'ok'))).to.deep.equal(new Set([12]));
    clock.advance(12_000);
    await limiters[1]!.take(directory);
    await Promise.all([one.close(), other.close()]);
    await PostgresStore.dropSchema(server!.url, schema);
  });

  it('has the columns SQLite has, table by table', async () => {
    const schema = testSchema();
    const store = await PostgresStore.open(server!.url, { schema, dropSchemaOnClose: true });
    const pgColumns = await admin.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, column_name`,
      [schema],
    );
    const sqlite = new SqliteStore(':memory:');
    // The SQLite store's own connection is private: read the same schema from a fresh one built by the same migrations.
    const raw = new Database(':memory:');
    for (const m of MIGRATIONS) raw.exec(m.sql);
    const sqliteColumns: string[] = [];
    for (const { name } of raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]) {
      for (const c of raw.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]) sqliteColumns.push(`${name}.${c.name}`);
    }
    raw.close();
    await sqlite.close();
    // PostgreSQL keeps the insertion order of group members in a column of its own (SQLite's rowid),
    // and the counters cores share (SQLite's one core keeps them in memory).
    const extra = new Set(['scim_group_members.seq', 'shared_counters.key', 'shared_counters.value']);
    const pgList = pgColumns.rows
      .map((r) => `${r.table_name}.${r.column_name}`)
      .filter((c) => !extra.has(c) && !c.startsWith('schema_migrations.'))
      .sort();
    expect(pgList).to.deep.equal(sqliteColumns.sort());
    await store.close();
  });

  it('serializes writes across cores sharing the database: read-then-write units lose no update', async () => {
    const schema = testSchema();
    const a = await PostgresStore.open(server!.url, { schema, dropSchemaOnClose: true, maxConnections: 5 });
    const b = await PostgresStore.open(server!.url, { schema, maxConnections: 5 });
    await a.transaction((tx) => tx.insertOrg({ id: 'o1', name: 'n0', plan: 'free', subscription: 'none', createdAt: at }));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? a : b).transaction(async (tx) => {
          const org = await tx.getOrg('o1');
          await new Promise((resolve) => setImmediate(resolve));
          await tx.updateOrg('o1', { name: `n${Number(org!.name.slice(1)) + 1}` });
        }),
      ),
    );
    expect((await b.read((tx) => tx.getOrg('o1')))!.name).to.equal('n30');
    await b.close();
    await a.close();
  });

  it('answers store-unavailable while the server is down, and recovers without reopening', async () => {
    const store = await PostgresStore.open(server!.url, { schema: testSchema(), dropSchemaOnClose: true, maxConnections: 2 });
    await store.transaction((tx) => tx.insertOrg({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at }));
    await server!.down();
    try {
      for (const attempt of [() => store.read((tx) => tx.listOrgs()), () => store.transaction((tx) => tx.updateOrg('o1', { name: 'Down' }))]) {
        const err = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(StoreUnavailableError);
        expect(err).to.include({ code: 'store-unavailable', status: 503 });
      }
    } finally {
      await server!.up();
    }
    expect((await store.read((tx) => tx.getOrg('o1')))?.name).to.equal('Acme');
    await store.close();
    // As SQLite's, closing twice is harmless (a test stack closes a core it already stopped).
    await store.close();
  });

  describe('a core on PostgreSQL (DATABASE_URL)', () => {
    let core: RunningService | undefined;
    afterEach(async () => {
      await core?.close();
      core = undefined;
    });
    const env = (schema: string) => ({
      DATABASE_URL: server!.url,
      DATABASE_SCHEMA: schema,
      REHEARSAL_DATA_DIR: `/tmp/rehearsal-core-pg-${schema}`,
      CORE_PORT: '0',
      LOG_LEVEL: 'silent',
      CORE_ADMIN_KEY: 'pg-admin-key-0123456789abcdef',
      CORE_GATEWAY_KEY: 'pg-gateway-key-0123456789abcdef',
    });
    const call = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(core!.url.replace('localhost', '127.0.0.1') + path, {
        ...init,
        headers: { authorization: 'Bearer pg-admin-key-0123456789abcdef', 'content-type': 'application/json' },
      });
      return { status: response.status, body: (await response.json()) as any };
    };

    it('names the store in its banner, without a password', async () => {
      // Trust authentication ignores the password: the core starts either way.
      core = await serveCore({ ...env(testSchema()), DATABASE_URL: server!.url.replace('rehearsal@', 'rehearsal:s3cret@') });
      const banner = core.banner.join('\n');
      expect(banner).to.match(/Store: postgres:\/\/rehearsal:\*\*\*@127\.0\.0\.1:\d+\/postgres \(schema test_/);
      expect(banner).not.to.contain('s3cret');
    });

    it('answers 400, never 5xx, for a NUL in an id taken from the path (PostgreSQL keeps no NUL in text)', async () => {
      core = await serveCore(env(testSchema()));
      for (const path of ['/api/orgs/a%00b', '/api/accounts/%00', '/api/orgs/%00/policies']) {
        const answer = await call(path);
        expect(answer.status, path).to.equal(400);
        expect(answer.body.error.code).to.equal('invalid-request');
      }
      expect((await call('/api/orgs')).status).to.equal(200);
    });

    it('answers 503 store-unavailable while PostgreSQL restarts, then serves again without a restart of its own', async () => {
      core = await serveCore(env(testSchema()));
      expect((await call('/api/orgs', { method: 'POST', body: JSON.stringify({ name: 'Acme', plan: 'free', admins: ['root@acme.com'] }) })).status).to.equal(
        201,
      );
      await server!.down();
      try {
        const down = await call('/api/orgs');
        expect(down.status).to.equal(503);
        expect(down.body.error.code).to.equal('store-unavailable');
        expect(JSON.stringify(down.body)).not.to.match(/127\.0\.0\.1|ECONNREFUSED/);
        const write = await call('/api/orgs', { method: 'POST', body: JSON.stringify({ name: 'Other', plan: 'free', admins: ['root@other.com'] }) });
        expect(write.status).to.equal(503);
      } finally {
        await server!.up();
      }
      const up = await call('/api/orgs');
      expect(up.status).to.equal(200);
      expect(up.body.map((o: { name: string }) => o.name)).to.deep.equal(['Acme']);
    });
  });
});
