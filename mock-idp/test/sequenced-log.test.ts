import { expect } from 'chai';
import { SequencedLog } from '../src/ledger/sequenced-log.ts';

describe('mock-idp: sequenced logs (the ledger, the provisioning log)', () => {
  it('numbers entries in order and shows only the newest `capacity`, however many were added', () => {
    const log = new SequencedLog<{ seq: number; even: boolean }>(20);
    for (let i = 0; i < 57; i++) log.add((seq) => ({ seq, even: seq % 2 === 0 }));
    expect(log.last).to.equal(57);
    const all = log.select(() => true);
    expect(all.map((e) => e.seq)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 38 + i));
    expect(log.select((e) => e.even, 50).map((e) => e.seq)).to.deep.equal([52, 54, 56]);
  });

  it('removes and clears without renumbering', () => {
    const log = new SequencedLog<{ seq: number; target: string }>(10);
    for (const target of ['a', 'b', 'a']) log.add((seq) => ({ seq, target }));
    log.remove((e) => e.target === 'a');
    expect(log.select(() => true)).to.deep.equal([{ seq: 2, target: 'b' }]);
    log.clear();
    expect(log.add((seq) => ({ seq, target: 'c' })).seq).to.equal(4);
  });
});
