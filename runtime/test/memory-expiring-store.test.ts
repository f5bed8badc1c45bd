import { expect } from 'chai';
import { ControllableClock } from '../src/clock.ts';
import { MemoryExpiringStore } from '../src/shared-state/expiring-store.ts';

describe('runtime: expiring store in memory (AuthnRequest IDs, replay cache, pending logins of one process)', () => {
  const clock = () => {
    const c = new ControllableClock();
    c.freeze(new Date('2026-11-23T09:00:00Z'));
    return c;
  };

  it('never returns an expired value, even one that expired out of order', async () => {
    const c = clock();
    const map = new MemoryExpiringStore<string>(c, 100);
    const t = c.now().getTime();
    await map.set('long', 'a', t + 60_000);
    await map.set('short', 'b', t + 1_000);
    c.advance(2_000);
    expect(await map.get('short')).to.equal(undefined);
    expect(await map.get('long')).to.equal('a');
    c.advance(60_000);
    expect(await map.get('long')).to.equal(undefined);
  });

  it('keeps at most its bound: the oldest give way', async () => {
    const c = clock();
    const map = new MemoryExpiringStore<number>(c, 3);
    for (let i = 0; i < 5; i++) await map.set(`k${i}`, i, c.now().getTime() + 60_000);
    expect(await Promise.all(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => map.get(k)))).to.deep.equal([undefined, undefined, 2, 3, 4]);
    expect(map.size).to.equal(3);
  });
});
