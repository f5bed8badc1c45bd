import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../src/accounts/account.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { person } from '../rules/org-fixture.ts';

const at = '2026-11-23T09:00:00.000Z';
/** An account as the store keeps it (the rule tables' person, with what a fresh signup has). */
const account = (id: string, email: string): Account =>
  person(id, { email, managedBy: null, passwordHash: null, passwordChangedAt: null, createdAt: at, updatedAt: at });

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

  it('rolls a failed transaction back whole', async () => {
    const store = new SqliteStore(path);
    const attempt = store.transaction(async (tx) => {
      await tx.insertOrg({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at });
      await tx.insertAccount(account('a1', 'alice@acme.com'));
      throw new Error('boom after two writes');
    });
    expect(
      await attempt.then(
        () => 'committed',
        (err: Error) => err.message,
      ),
    ).to.equal('boom after two writes');
    expect(await store.read((tx) => tx.getOrg('o1'))).to.equal(undefined);
    expect(await store.read((tx) => tx.getAccount('a1'))).to.equal(undefined);
    await store.close();
  });

  it('serializes concurrent transactions that span awaits', async () => {
    const store = new SqliteStore(path);
    await store.transaction((tx) => tx.insertOrg({ id: 'o1', name: 'n0', plan: 'free', subscription: 'none', createdAt: at }));
    // each transaction reads, yields, then writes: interleaving would lose updates
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.transaction(async (tx) => {
          const org = await tx.getOrg('o1');
          await new Promise((resolve) => setImmediate(resolve));
          await tx.updateOrg('o1', { name: `n${Number(org!.name.slice(1)) + 1}` });
        }),
      ),
    );
    expect((await store.read((tx) => tx.getOrg('o1')))!.name).to.equal('n20');
    await store.close();
  });

  describe('uniqueness lives in the schema, not only in code', () => {
    let store: SqliteStore;
    beforeEach(async () => {
      store = new SqliteStore(path);
      await store.transaction(async (tx) => {
        await tx.insertOrg({ id: 'o1', name: 'A', plan: 'free', subscription: 'none', createdAt: at });
        await tx.insertOrg({ id: 'o2', name: 'B', plan: 'free', subscription: 'none', createdAt: at });
        await tx.insertDirectory({ id: 'd1', orgId: 'o1', kind: 'local', name: 'Local', scimFidelity: 'rfc', scimRateLimit: null, createdAt: at });
      });
    });
    afterEach(() => store.close());

    const fails = (work: Parameters<SqliteStore['transaction']>[0]) =>
      store.transaction(work).then(
        () => 'committed',
        (err: Error) => err.message,
      );

    it('one account per email, case-insensitively', async () => {
      await store.transaction((tx) => tx.insertAccount(account('a1', 'alice@acme.com')));
      expect(await fails((tx) => tx.insertAccount(account('a2', 'ALICE@acme.com')))).to.match(/UNIQUE constraint failed: accounts.email/);
    });

    it('one verifying organization per domain', async () => {
      const domain = (id: string, orgId: string, status: 'pending' | 'verified') => ({
        id,
        orgId,
        name: 'acme.com',
        status,
        token: 't',
        method: null,
        verifiedAt: null,
        directoryId: null,
        createdAt: at,
      });
      await store.transaction((tx) => tx.insertDomain(domain('x1', 'o1', 'verified')));
      expect(await fails((tx) => tx.insertDomain(domain('x2', 'o2', 'pending')))).to.equal('committed');
      expect(await fails((tx) => tx.updateDomain('x2', { status: 'verified' }))).to.match(/UNIQUE constraint failed: domains.name/);
      expect(await fails((tx) => tx.insertDomain(domain('x3', 'o1', 'pending')))).to.match(/UNIQUE constraint failed/);
    });

    it('one local directory and one default policy per directory; non-billable policies cannot enforce SSO', async () => {
      expect(
        await fails((tx) =>
          tx.insertDirectory({ id: 'd2', orgId: 'o1', kind: 'local', name: 'Other', scimFidelity: 'rfc', scimRateLimit: null, createdAt: at }),
        ),
      ).to.match(/UNIQUE/);
      const policy = (id: string, extra: object = {}) => ({
        id,
        orgId: 'o1',
        directoryId: 'd1',
        name: id,
        sso: 'disabled' as const,
        twoStep: 'optional' as const,
        passwordMinStrength: null,
        passwordExpiryDays: null,
        idleMinutes: 60,
        sessionExpiryMinutes: null,
        billable: true,
        isDefault: true,
        createdAt: at,
        updatedAt: at,
        ...extra,
      });
      await store.transaction((tx) => tx.insertPolicy(policy('p1')));
      expect(await fails((tx) => tx.insertPolicy(policy('p2')))).to.match(/UNIQUE constraint failed: policies.directory_id/);
      expect(await fails((tx) => tx.insertPolicy(policy('p3', { isDefault: false, billable: false, sso: 'enforced' })))).to.match(/CHECK constraint failed/);
      expect(await fails((tx) => tx.insertPolicy(policy('p4', { isDefault: false, idleMinutes: 5 })))).to.match(/CHECK constraint failed/);
    });

    it('every member in exactly one policy: moving replaces, never duplicates', async () => {
      await store.transaction(async (tx) => {
        await tx.insertAccount(account('a1', 'alice@acme.com'));
        for (const [id, isDefault] of [
          ['p1', true],
          ['p2', false],
        ] as const) {
          await tx.insertPolicy({
            id,
            orgId: 'o1',
            directoryId: 'd1',
            name: id,
            sso: 'disabled',
            twoStep: 'optional',
            passwordMinStrength: null,
            passwordExpiryDays: null,
            idleMinutes: 60,
            sessionExpiryMinutes: null,
            billable: true,
            isDefault,
            createdAt: at,
            updatedAt: at,
          });
        }
        await tx.setMembership(['a1'], 'p1', at);
        await tx.setMembership(['a1'], 'p2', at);
      });
      expect(await store.read((tx) => tx.getMembership('a1'))).to.equal('p2');
      const raw = new Database(path, { readonly: true });
      expect(raw.prepare('SELECT count(*) AS n FROM policy_members').get()).to.deep.equal({ n: 1 });
      raw.close();
    });
  });
});
