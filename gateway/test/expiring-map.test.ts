import { expect } from 'chai';
import { ControllableClock } from '@rehearsal/runtime';
import { ExpiringMap } from '../src/expiring-map.ts';

describe('gateway: expiring maps (AuthnRequest IDs, replay cache, pending logins)', () => {
  const clock = () => {
    const c = new ControllableClock();
    c.freeze(new Date('2026-11-23T09:00:00Z'));
    return c;
  };

  it('never returns an expired value, even one that expired out of order', () => {
    const c = clock();
    const map = new ExpiringMap<string>(c, 100);
    const t = c.now().getTime();
    map.set('long', 'a', t + 60_000);
    map.set('short', 'b', t + 1_000);
    c.advance(2_000);
    expect(map.get('short')).to.equal(undefined);
    expect(map.get('long')).to.equal('a');
    c.advance(60_000);
    expect(map.get('long')).to.equal(undefined);
  });

  it('keeps at most its bound: the oldest give way', () => {
    const c = clock();
    const map = new ExpiringMap<number>(c, 3);
    for (let i = 0; i < 5; i++) map.set(`k${i}`, i, c.now().getTime() + 60_000);
    expect(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => map.get(k))).to.deep.equal([undefined, undefined, 2, 3, 4]);
  });
});
