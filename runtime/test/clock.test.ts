import { expect } from 'chai';
import { ControllableClock, parseDuration, type Clock } from '../src/index.ts';

/** A source clock the test moves by hand: no wall-clock reads anywhere. */
function manualSource(start: number): Clock & { tick(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), tick: (ms) => (now += ms) };
}

describe('runtime/clock', () => {
  describe('parseDuration', () => {
    const cases: [string, number | undefined][] = [
      ['31m', 31 * 60_000],
      ['1h30m', 90 * 60_000],
      ['2d', 2 * 86_400_000],
      ['45s', 45_000],
      ['250ms', 250],
      ['1w', 604_800_000],
      ['PT31M', 31 * 60_000],
      ['P1DT2H', 26 * 3_600_000],
      ['pt1.5s', 1500],
      ['', undefined],
      ['31', undefined],
      ['31 minutes', undefined],
      ['-5m', undefined],
      ['P', undefined],
      ['PT', undefined],
      ['5x', undefined],
    ];
    for (const [text, expected] of cases) {
      it(`reads ${JSON.stringify(text)} as ${expected}`, () => expect(parseDuration(text)).to.equal(expected));
    }
  });

  describe('ControllableClock', () => {
    it('follows its source while running, shifted by advances', () => {
      const source = manualSource(1_000_000);
      const clock = new ControllableClock(source);
      clock.advance(5000);
      source.tick(1000);
      expect(clock.now().getTime()).to.equal(1_006_000);
      expect(clock.state()).to.include({ frozen: false, offsetMs: 5000 });
    });

    it('stands still when frozen, and advances only when told', () => {
      const source = manualSource(1_000_000);
      const clock = new ControllableClock(source);
      clock.freeze();
      source.tick(60_000);
      expect(clock.now().getTime()).to.equal(1_000_000);
      clock.advance(31 * 60_000);
      expect(clock.now().getTime()).to.equal(1_000_000 + 31 * 60_000);
    });

    it('resumes from the frozen reading when unfrozen', () => {
      const source = manualSource(1_000_000);
      const clock = new ControllableClock(source);
      clock.freeze(new Date(5_000_000));
      clock.unfreeze();
      source.tick(10);
      expect(clock.now().getTime()).to.equal(5_000_010);
    });

    it('jumps to a set time, frozen or running', () => {
      const source = manualSource(0);
      const clock = new ControllableClock(source);
      clock.set(new Date('2030-01-01T00:00:00Z'));
      expect(clock.now().toISOString()).to.equal('2030-01-01T00:00:00.000Z');
      clock.freeze();
      clock.set(new Date('2031-01-01T00:00:00Z'));
      expect(clock.now().toISOString()).to.equal('2031-01-01T00:00:00.000Z');
    });

    it('refuses to move backwards and resets to its source', () => {
      const source = manualSource(42);
      const clock = new ControllableClock(source);
      expect(() => clock.advance(-1)).to.throw(RangeError);
      clock.freeze(new Date(99));
      clock.reset();
      expect(clock.now().getTime()).to.equal(42);
    });
  });
});
