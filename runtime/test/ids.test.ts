import { expect } from 'chai';
import { timeOrderedId } from '../src/index.ts';

describe('runtime/ids', () => {
  it('makes RFC 9562 version-7 UUIDs carrying the millisecond timestamp', () => {
    const id = timeOrderedId(Date.UTC(2026, 10, 23, 9, 0, 0));
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace('-', '').slice(0, 12), 16)).to.equal(Date.UTC(2026, 10, 23, 9, 0, 0));
  });

  it('sorts ids made later after ids made earlier, and never repeats one', () => {
    const start = Date.UTC(2026, 10, 23);
    const ids = Array.from({ length: 1000 }, (_, i) => timeOrderedId(start + i));
    expect([...ids].sort()).to.deep.equal(ids);
    const same = Array.from({ length: 1000 }, () => timeOrderedId(start));
    expect(new Set(same).size).to.equal(1000);
  });
});
