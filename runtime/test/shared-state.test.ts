import { expect } from 'chai';
import { ControllableClock } from '../src/clock.ts';
import { memoryState, redisState, type SharedState } from '../src/shared-state/shared-state.ts';
import { skipWithoutServers, startRedis, type TestServer } from '../src/testing.ts';

/** What every replica relies on, in memory and in a real Redis alike: expiry on the injected clock, one-use keys used once. */
function expiringStoreContract(open: (clock: ControllableClock) => Promise<SharedState>) {
  let clock: ControllableClock;
  let states: SharedState[];
  const state = async () => {
    const s = await open(clock);
    states.push(s);
    return s;
  };
  beforeEach(() => {
    clock = new ControllableClock();
    clock.freeze(new Date('2026-11-23T09:00:00Z'));
    states = [];
  });
  afterEach(async () => {
    await states[0]?.clear();
    await Promise.all(states.map((s) => s.close()));
  });
  const at = (minutes: number) => clock.now().getTime() + minutes * 60_000;

  it('keeps a value until its expiry on the injected clock, whatever the wall clock says', async () => {
    const store = (await state()).store<{ n: number }>('values', 10);
    await store.set('a', { n: 1 }, at(10));
    expect(await store.get('a')).to.deep.equal({ n: 1 });
    clock.advance(9 * 60_000);
    expect(await store.get('a')).to.deep.equal({ n: 1 });
    clock.advance(60_000);
    expect(await store.get('a')).to.equal(undefined);
    expect(await store.take('a')).to.equal(undefined);
  });

  it('adds a key once: a second add, even from elsewhere, is a replay until the first expires', async () => {
    const one = (await state()).store<string>('seen', 10);
    const other = (await state()).store<string>('seen', 10);
    expect(await one.add('id-1', 'x', at(5))).to.equal(true);
    expect(await other.add('id-1', 'y', at(5))).to.equal(states[0]!.redis ? false : true);
    expect(await one.add('id-1', 'z', at(5))).to.equal(false);
    clock.advance(5 * 60_000);
    expect(await one.add('id-1', 'again', at(5))).to.equal(true);
    expect(await one.get('id-1')).to.equal('again');
  });

  it('gives a taken entry to one caller only, among many at once', async () => {
    const stores = [(await state()).store<string>('requests', 10), (await state()).store<string>('requests', 10)];
    await stores[0]!.set('req', 'connection-1', at(10));
    if (states[0]!.redis) await stores[1]!.set('req', 'connection-1', at(10));
    const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % (states[0]!.redis ? 2 : 1)]!.take('req')));
    expect(taken.filter((t) => t !== undefined)).to.deep.equal(['connection-1']);
    expect(await stores[0]!.delete('req')).to.equal(false);
  });
}

describe('runtime: shared state (ExpiringStore)', () => {
  describe('in memory', () => {
    expiringStoreContract((clock) => Promise.resolve(memoryState(clock, 'test')));
  });

  describe('in Redis (a real redis-server)', function () {
    this.timeout(60_000);
    let server: TestServer | undefined;
    before(async function () {
      skipWithoutServers(this);
      server = await startRedis();
    });
    after(() => server?.stop());
    expiringStoreContract((clock) => redisState(server!.url, clock, 'test'));

    it('bounds memory with a real TTL a day past the expiry on the clock, and keeps namespaces apart', async () => {
      const clock = new ControllableClock();
      const gateway = await redisState(server!.url, clock, 'gateway');
      const idp = await redisState(server!.url, clock, 'idp');
      try {
        await gateway.store<number>('s', 0).set('k', 1, clock.now().getTime() + 60_000);
        await idp.store<number>('s', 0).set('k', 2, clock.now().getTime() + 60_000);
        const ttl = await gateway.redis!.pttl('gateway:s:k');
        expect(ttl)
          .to.be.greaterThan(24 * 60 * 60_000)
          .and.at.most(24 * 60 * 60_000 + 60_000);
        await gateway.clear();
        expect(await gateway.store<number>('s', 0).get('k')).to.equal(undefined);
        expect(await idp.store<number>('s', 0).get('k')).to.equal(2);
        expect(gateway.where).to.equal(server!.url);
      } finally {
        await idp.clear();
        await gateway.close();
        await idp.close();
      }
    });
  });
});
