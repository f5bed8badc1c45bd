import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';

const at = '2026-11-23T09:00:00.000Z';

describe('store/sqlite-store', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rehearsal-store-'));
    path = join(dir, 'nested', 'core.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file and its folder, migrates once, and keeps data across reopening', async () => {
    const first = new SqliteStore(path);
    await first.transaction((tx) => tx.insertOrg({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at }));
    await first.close();
    const second = new SqliteStore(path);
    expect(await second.read((tx) => tx.getOrg('o1'))).to.deep.equal({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at });
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT version FROM schema_migrations').all()).to.deep.equal(MIGRATIONS.map((m) => ({ version: m.version })));
    raw.close();
  });
});
