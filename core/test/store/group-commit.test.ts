import { expect } from 'chai';
import Database from 'better-sqlite3';
import { GroupCommit, GROUP_COMMIT_MAX } from '../../src/store/sqlite/group-commit.ts';
import { transactionControl } from '../../src/store/sqlite-store.ts';

/** A real SQLite connection, its transaction statements counted as they run. */
function connection() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
  const ran: string[] = [];
  const control = transactionControl(db, (sql) => ran.push(sql));
  const values = () => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v);
  return { db, ran, control, values, writer: new GroupCommit(control, db) };
}

describe('store: the group-commit writer', () => {
  it('commits units that queue together in one transaction, each answered only after the COMMIT', async () => {
    const { writer, ran, values, db } = connection();
    const answered: number[] = [];
    await Promise.all(
      [1, 2, 3].map((v) =>
        writer
          .enqueue((tx) => {
            tx.prepare('INSERT INTO t (v) VALUES (?)').run(v);
            return Promise.resolve(v);
          }, true)
          .then((value) => answered.push(value)),
      ),
    );
    expect(ran.filter((s) => s === 'BEGIN IMMEDIATE')).to.have.length(1);
    expect(ran.filter((s) => s === 'COMMIT')).to.have.length(1);
    expect(answered).to.deep.equal([1, 2, 3]);
    expect(values()).to.deep.equal([1, 2, 3]);
    db.close();
  });

  it('rolls a failing unit back alone: the others in its batch still commit', async () => {
    const { writer, values, db } = connection();
    const insert = (v: number, fail = false) =>
      writer.enqueue((tx) => {
        tx.prepare('INSERT INTO t (v) VALUES (?)').run(v);
        return fail ? Promise.reject(new Error(`unit ${v} failed`)) : Promise.resolve(v);
      }, true);
    const outcomes = await Promise.allSettled([insert(1), insert(2, true), insert(3)]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).to.equal('unit 2 failed');
    expect(values()).to.deep.equal([1, 3]);
    db.close();
  });

  it(`shares one transaction among at most ${GROUP_COMMIT_MAX} units`, async () => {
    const { writer, ran, values, db } = connection();
    const n = GROUP_COMMIT_MAX * 2 + 2;
    await Promise.all(Array.from({ length: n }, (_, v) => writer.enqueue((tx) => Promise.resolve(tx.prepare('INSERT INTO t (v) VALUES (?)').run(v)), true)));
    expect(ran.filter((s) => s === 'BEGIN IMMEDIATE')).to.have.length(3);
    expect(values()).to.have.length(n);
    db.close();
  });

  it('runs reads alone without a transaction, and one at a time across awaits', async () => {
    const { writer, ran, db } = connection();
    const order: string[] = [];
    const unit = (name: string) =>
      writer.enqueue(async () => {
        order.push(`${name} start`);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`${name} end`);
      }, false);
    await Promise.all([unit('a'), unit('b')]);
    expect(order).to.deep.equal(['a start', 'a end', 'b start', 'b end']);
    expect(ran).to.deep.equal([]);
    db.close();
  });
});
