import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipWithoutServers, startPostgres, type PostgresServer } from '@rehearsal/runtime/testing';
import type { Account } from '../../src/accounts/account.ts';
import { parseFilter } from '../../src/scim/filter.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { isCheckViolation, uniqueViolationTable } from '../../src/store/store-errors.ts';
import type { Store } from '../../src/store/store.ts';
import { person } from '../rules/org-fixture.ts';
import { testSchema } from '../support/test-store.ts';

const at = '2026-11-23T09:00:00.000Z';
/** An account as the store keeps it (the rule tables' person, with what a fresh signup has). */
const account = (id: string, email: string): Account =>
  person(id, { email, managedBy: null, passwordHash: null, passwordChangedAt: null, createdAt: at, updatedAt: at });

/**
 * What every store must do, run unchanged against SQLite and PostgreSQL: data
 * that survives reopening, whole rollbacks, serialized read-then-write units, and
 * the uniqueness and check rules the schema itself enforces.
 */
function storeContract(open: () => Promise<Store>, reopen: () => Promise<Store>) {
  it('keeps data across reopening', async () => {
    const first = await open();
    await first.transaction((tx) => tx.insertOrg({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at }));
    await first.close();
    const second = await reopen();
    expect(await second.read((tx) => tx.getOrg('o1'))).to.deep.equal({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at });
    await second.close();
  });

  it('wipes every row and keeps the schema', async () => {
    const store = await open();
    await store.transaction(async (tx) => {
      await tx.insertOrg({ id: 'o1', name: 'Acme', plan: 'free', subscription: 'none', createdAt: at });
      await tx.insertAccount({ ...account('a1', 'alice@acme.com'), managedBy: 'o1' });
      await tx.addOrgAdmin('o1', 'a1');
    });
    await store.wipe();
    expect(await store.read((tx) => tx.listOrgs())).to.deep.equal([]);
    expect(await store.read((tx) => tx.getAccount('a1'))).to.equal(undefined);
    await store.transaction((tx) => tx.insertOrg({ id: 'o1', name: 'Again', plan: 'free', subscription: 'none', createdAt: at }));
    expect((await store.read((tx) => tx.getOrg('o1')))?.name).to.equal('Again');
    await store.close();
  });

  it('finds accounts by email ignoring case, one at a time and in lists', async () => {
    const store = await open();
    await store.transaction(async (tx) => {
      await tx.insertAccount(account('a1', 'Alice@Acme.com'));
      await tx.insertAccount(account('a2', 'bob@acme.com'));
    });
    expect((await store.read((tx) => tx.getAccountByEmail('alice@acme.COM')))?.id).to.equal('a1');
    const listed = await store.read((tx) => tx.getAccountsByEmail(['ALICE@acme.com', 'Bob@Acme.com', 'carol@acme.com']));
    expect(listed.map((a) => a.id).sort()).to.deep.equal(['a1', 'a2']);
    await store.close();
  });

  it('answers SCIM filters the same way: case-insensitive strings, case-exact ids, sub-attributes, sorting', async () => {
    const store = await open();
    const user = (id: string, userName: string, extra: Record<string, unknown> = {}) => ({
      id,
      directoryId: 'd1',
      accountId: null,
      userName,
      externalId: `ext-${id}`,
      resource: { userName, active: true, emails: [{ value: userName, type: 'work', primary: true }], ...extra },
      version: 1,
      created: at,
      lastModified: at,
      unlinkedAt: null,
    });
    await store.transaction(async (tx) => {
      await tx.insertOrg({ id: 'o1', name: 'A', plan: 'enterprise', subscription: 'none', createdAt: at });
      await tx.insertDirectory({ id: 'd1', orgId: 'o1', kind: 'idp', name: 'IdP', scimFidelity: 'rfc', scimRateLimit: null, createdAt: at });
      await tx.insertScimUser(user('u1', 'Dana@acme.com', { title: 'Research_Lead' }));
      await tx.insertScimUser(user('u2', 'fox@acme.com', { active: false, title: 'Agent' }));
      await tx.insertScimUser(user('u3', 'walter@ACME.com'));
      await tx.insertScimGroup({ id: 'g1', directoryId: 'd1', displayName: 'X-Files', externalId: null, version: 1, created: at, lastModified: at });
      await tx.addGroupMembers('g1', [
        { memberId: 'u3', type: 'User' },
        { memberId: 'u1', type: 'User' },
      ]);
    });
    const ids = async (filter: string, sortBy?: string, descending = false) =>
      (
        await store.read((tx) =>
          tx.listScimUsers('d1', { filter: parseFilter('User', filter), ...(sortBy ? { sortBy } : {}), descending, startIndex: 1, count: 10 }),
        )
      ).users.map((u) => u.id);
    expect(await ids('userName eq "DANA@ACME.COM"')).to.deep.equal(['u1']);
    expect(await ids('userName ne "dana@acme.com"')).to.deep.equal(['u2', 'u3']);
    expect(await ids('userName co "ACME"', 'userName')).to.deep.equal(['u1', 'u2', 'u3']);
    expect(await ids('userName sw "F"')).to.deep.equal(['u2']);
    expect(await ids('userName ew ".COM"', 'userName', true)).to.deep.equal(['u3', 'u2', 'u1']);
    expect(await ids('title co "_"')).to.deep.equal(['u1']);
    expect(await ids('title co "%"')).to.deep.equal([]);
    expect(await ids('externalId eq "EXT-u1"')).to.deep.equal([]);
    expect(await ids('externalId sw "ext-u"')).to.deep.equal(['u1', 'u2', 'u3']);
    expect(await ids('externalId ew "U2"')).to.deep.equal([]);
    expect(await ids('active eq false')).to.deep.equal(['u2']);
    expect(await ids('not (active eq false) and title pr')).to.deep.equal(['u1']);
    expect(await ids('emails[type eq "WORK" and value ew "acme.com"]')).to.deep.equal(['u1', 'u2', 'u3']);
    expect(await ids('emails.value gt "E"', 'userName')).to.deep.equal(['u2', 'u3']);
    expect(await ids('meta.created ge "2026-01-01T00:00:00Z"')).to.deep.equal(['u1', 'u2', 'u3']);
    const group = await store.read((tx) => tx.findScimGroupByName('d1', 'x-files'));
    expect(group?.id).to.equal('g1');
    const members = await store.read((tx) => tx.listGroupMembers(['g1']));
    expect(members.map((m) => m.memberId)).to.deep.equal(['u3', 'u1']);
    const groups = await store.read((tx) =>
      tx.listScimGroups('d1', { filter: parseFilter('Group', 'members[value eq "u1"]'), descending: false, startIndex: 1, count: 10 }),
    );
    expect(groups.groups.map((g) => g.id)).to.deep.equal(['g1']);
    expect([...(await store.read((tx) => tx.resolveDirectoryMembers('d1', ['u1', 'g1', 'nobody']))).entries()]).to.deep.equal([
      ['u1', 'User'],
      ['g1', 'Group'],
    ]);
    await store.close();
  });

  it('rolls a failed transaction back whole', async () => {
    const store = await open();
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
    const store = await open();
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

  it('updates a counter one update at a time, each given the last value, and forgets counters on wipe', async () => {
    const store = await open();
    const bump = () => store.updateCounter<{ n: number }>('scim-rate:d1', (current) => ({ n: (current?.n ?? 0) + 1 }));
    const seen = await Promise.all(Array.from({ length: 12 }, bump));
    expect(seen.map((c) => c.n).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await store.updateCounter<{ n: number }>('scim-rate:d2', (current) => current ?? { n: 100 })).to.deep.equal({ n: 100 });
    await store.wipe();
    expect(await bump()).to.deep.equal({ n: 1 });
    await store.close();
  });

  describe('uniqueness lives in the schema, not only in code', () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
      await store.transaction(async (tx) => {
        await tx.insertOrg({ id: 'o1', name: 'A', plan: 'free', subscription: 'none', createdAt: at });
        await tx.insertOrg({ id: 'o2', name: 'B', plan: 'free', subscription: 'none', createdAt: at });
        await tx.insertDirectory({ id: 'd1', orgId: 'o1', kind: 'local', name: 'Local', scimFidelity: 'rfc', scimRateLimit: null, createdAt: at });
      });
    });
    afterEach(() => store.close());

    /** 'committed', or which rule refused the write: `unique <table>` or `check`. */
    const fails = (work: Parameters<Store['transaction']>[0]) =>
      store.transaction(work).then(
        () => 'committed',
        (err: unknown) => (uniqueViolationTable(err) ? `unique ${uniqueViolationTable(err)}` : isCheckViolation(err) ? 'check' : String(err)),
      );
    /** A policy of o1's local directory, the default unless `extra` says otherwise. */
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

    it('one account per email, case-insensitively', async () => {
      await store.transaction((tx) => tx.insertAccount(account('a1', 'alice@acme.com')));
      expect(await fails((tx) => tx.insertAccount(account('a2', 'ALICE@acme.com')))).to.equal('unique accounts');
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
      expect(await fails((tx) => tx.updateDomain('x2', { status: 'verified' }))).to.equal('unique domains');
      expect(await fails((tx) => tx.insertDomain(domain('x3', 'o1', 'pending')))).to.equal('unique domains');
    });

    it('one local directory and one default policy per directory; non-billable policies cannot enforce SSO', async () => {
      expect(
        await fails((tx) =>
          tx.insertDirectory({ id: 'd2', orgId: 'o1', kind: 'local', name: 'Other', scimFidelity: 'rfc', scimRateLimit: null, createdAt: at }),
        ),
      ).to.equal('unique directories');
      await store.transaction((tx) => tx.insertPolicy(policy('p1')));
      expect(await fails((tx) => tx.insertPolicy(policy('p2')))).to.equal('unique policies');
      expect(await fails((tx) => tx.insertPolicy(policy('p3', { isDefault: false, billable: false, sso: 'enforced' })))).to.equal('check');
      expect(await fails((tx) => tx.insertPolicy(policy('p4', { isDefault: false, idleMinutes: 5 })))).to.equal('check');
    });

    it('every member in exactly one policy: moving replaces, never duplicates', async () => {
      await store.transaction(async (tx) => {
        await tx.insertAccount(account('a1', 'alice@acme.com'));
        for (const [id, isDefault] of [
          ['p1', true],
          ['p2', false],
        ] as const) {
          await tx.insertPolicy(policy(id, { isDefault }));
        }
        await tx.setMembership(['a1'], 'p1', at);
        await tx.setMembership(['a1'], 'p2', at);
      });
      expect(await store.read((tx) => tx.getMembership('a1'))).to.equal('p2');
      expect((await store.read((tx) => tx.listMembers('p1', { limit: 10, offset: 0 }))).total).to.equal(0);
      expect((await store.read((tx) => tx.listMembers('p2', { limit: 10, offset: 0 }))).accounts.map((a) => a.id)).to.deep.equal(['a1']);
    });
  });
}

describe('store: the same contract on SQLite and PostgreSQL', () => {
  describe('SQLite', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rehearsal-store-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const open = () => Promise.resolve(new SqliteStore(join(dir, 'core.sqlite')));
    storeContract(open, open);
  });

  describe('PostgreSQL', function () {
    this.timeout(60_000);
    let server: PostgresServer | undefined;
    let schema: string;
    before(async function () {
      skipWithoutServers(this);
      server = await startPostgres();
    });
    after(() => server?.stop());
    beforeEach(() => (schema = testSchema()));
    const open = () => PostgresStore.open(server!.url, { schema, maxConnections: 4 });
    storeContract(open, open);
  });
});
