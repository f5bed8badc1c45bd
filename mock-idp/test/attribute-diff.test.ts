import { expect } from 'chai';
import { changedAttributes, clearedByReplace, createdAttributes, diffUser } from '../src/provisioning/attribute-diff.ts';
import { compileMappings, type MappedValues } from '../src/provisioning/mapping.ts';

const mappings = compileMappings([
  { target: 'userName', source: '[userName]', matching: true },
  { target: 'displayName', source: '[displayName]' },
  { target: 'title', source: '[jobTitle]' },
  { target: 'externalId', source: '[id]', apply: 'on-create' },
]);
const desired = (values: Record<string, string>): MappedValues => new Map(Object.entries(values));
const change = (diff: ReturnType<typeof diffUser>, path: string) => diff.attributes.find((a) => a.path === path)?.change;

/** The provisioning plan's attribute diff, one row per rule, without a target or a directory (issue 15.5). */
describe('provisioning: the attribute diff (pure)', () => {
  const rows: [
    rule: string,
    current: Record<string, unknown>,
    want: Record<string, string>,
    lastSent: Record<string, string> | undefined,
    path: string,
    expected: string,
  ][] = [
    ['the same value is unchanged', { displayName: 'Alice' }, { displayName: 'Alice' }, undefined, 'displayName', 'unchanged'],
    ['a value the target lacks is added', {}, { displayName: 'Alice' }, undefined, 'displayName', 'add'],
    ['a value the IdP changed is updated', { displayName: 'Alice' }, { displayName: 'Alice L.' }, { displayName: 'Alice' }, 'displayName', 'update'],
    [
      'a value edited on the target since the IdP sent it is overwritten',
      { displayName: 'Ally' },
      { displayName: 'Alice' },
      { displayName: 'Alice' },
      'displayName',
      'overwrite',
    ],
    ['without a record of what was sent, a difference is an update', { displayName: 'Ally' }, { displayName: 'Alice' }, undefined, 'displayName', 'update'],
    ['a value the IdP no longer sends is cleared', { title: 'CTO' }, {}, { title: 'CTO' }, 'title', 'clear'],
    ['an empty string equals no value', { title: '' }, {}, undefined, 'title', 'unchanged'],
  ];
  for (const [rule, current, want, lastSent, path, expected] of rows) {
    it(`${rule} (${expected})`, () => expect(change(diffUser(mappings, current, desired(want), lastSent), path)).to.equal(expected));
  }

  it('leaves on-create attributes out of the diff and keeps what the target holds for them', () => {
    const diff = diffUser(mappings, { externalId: 'T-1', userName: 'a@acme.com' }, desired({ userName: 'a@acme.com', externalId: 'idp-1' }), undefined);
    expect(diff.attributes.map((a) => a.path)).to.not.include('externalId');
    expect(diff.kept.get('externalId')).to.equal('T-1');
    expect(diff.changes).to.deep.equal([]);
  });

  it('lists the changes a write must make, and the log keeps only those', () => {
    const diff = diffUser(mappings, { userName: 'a@acme.com', displayName: 'Ally' }, desired({ userName: 'a@acme.com', displayName: 'Alice' }), {
      displayName: 'Alice',
    });
    expect(diff.changes).to.deep.equal([{ path: 'displayName', value: 'Alice', present: true }]);
    expect(changedAttributes(diff.attributes).map((a) => [a.path, a.change])).to.deep.equal([['displayName', 'overwrite']]);
  });

  it('shows what a whole-user PUT clears, sparing mapped and read-only paths', () => {
    const cleared = clearedByReplace({ userName: 'a@acme.com', nickName: 'Al', meta: { created: 'x' } }, new Set(['username', 'meta.created']));
    expect(cleared).to.deep.equal([{ path: 'nickName', current: 'Al', change: 'clear' }]);
  });

  it('adds every mapped value of a new user', () => {
    expect(createdAttributes(desired({ userName: 'a@acme.com' }))).to.deep.equal([{ path: 'userName', desired: 'a@acme.com', change: 'add' }]);
  });
});
