import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';
import { ENTERPRISE, entraUser, scimFixture, type ScimClient } from '../support/scim.ts';

describe('SCIM: PATCH dialects on Users', () => {
  let core: TestCore;
  let scim: ScimClient;
  let id: string;
  beforeEach(async () => {
    core = await startCore();
    ({ scim } = await scimFixture(core));
    id = (await scim.createUser(entraUser('alice', { title: 'Engineer', [ENTERPRISE]: { department: 'Eng', organization: 'Acme' } }))).body.id;
  });
  afterEach(() => core.close());

  const patch = async (operations: unknown[]) => {
    const response = await scim.patch(`/Users/${id}`, operations);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body;
  };

  it('accepts op in any case, as Entra sends "Replace"', async () => {
    expect((await patch([{ op: 'Replace', path: 'title', value: 'Lead' }])).title).to.equal('Lead');
    expect((await patch([{ op: 'ADD', path: 'nickName', value: 'ali' }])).nickName).to.equal('ali');
    expect(await patch([{ op: 'Remove', path: 'nickName' }])).not.to.have.property('nickName');
  });

  it('reads booleans sent as strings', async () => {
    expect((await patch([{ op: 'Replace', path: 'active', value: 'False' }])).active).to.equal(false);
    expect((await patch([{ op: 'replace', path: 'active', value: 'True' }])).active).to.equal(true);
  });

  it('takes a missing path with an object value, whose keys may be paths or URNs', async () => {
    const user = await patch([
      { op: 'replace', value: { displayName: 'Alice L', 'name.givenName': 'Ally', [`${ENTERPRISE}:department`]: 'R&D', active: false } },
    ]);
    expect(user).to.deep.include({ displayName: 'Alice L', active: false });
    expect(user.name.givenName).to.equal('Ally');
    expect(user[ENTERPRISE]).to.deep.equal({ department: 'R&D', organization: 'Acme' });
  });

  it('takes the enterprise extension URN before a path', async () => {
    expect((await patch([{ op: 'replace', path: `${ENTERPRISE}:department`, value: 'Sales' }]))[ENTERPRISE].department).to.equal('Sales');
    expect((await patch([{ op: 'add', path: `${ENTERPRISE}:employeeNumber`, value: '7' }]))[ENTERPRISE]).to.deep.include({
      employeeNumber: '7',
      department: 'Sales',
    });
    expect((await patch([{ op: 'remove', path: `${ENTERPRISE}:department` }]))[ENTERPRISE]).not.to.have.property('department');
  });

  it('treats path attribute names case-insensitively and reaches into multi-valued attributes by filter', async () => {
    expect((await patch([{ op: 'replace', path: 'NAME.FAMILYNAME', value: 'Liddell' }])).name.familyName).to.equal('Liddell');
    const user = await patch([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'alice.l@acme.com' }]);
    expect(user.emails[0].value).to.equal('alice.l@acme.com');
  });

  it('follows the patch to the account: email, profile, deactivation', async () => {
    const user = await patch([
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'alice.l@acme.com' },
      { op: 'replace', path: 'title', value: 'CTO' },
    ]);
    const account = (await core.get(`/api/accounts/${user['urn:ietf:params:scim:schemas:extension:atlassian-external:2.0:User'].atlassianAccountId}`)).body;
    expect(account).to.include({ email: 'alice.l@acme.com', jobTitle: 'CTO' });
  });

  const refusals: [string, unknown[], string][] = [
    ['an unknown op', [{ op: 'move', path: 'title', value: 'x' }], 'invalidSyntax'],
    ['remove without a path', [{ op: 'remove' }], 'noTarget'],
    ['a path naming no attribute', [{ op: 'replace', path: 'favouriteColour', value: 'blue' }], 'invalidPath'],
    ['a malformed path', [{ op: 'replace', path: 'emails[type eq', value: 'x' }], 'invalidPath'],
    ['a filter on a single-valued attribute', [{ op: 'replace', path: 'title[value eq "x"]', value: 'x' }], 'invalidPath'],
    ['a read-only attribute', [{ op: 'replace', path: 'id', value: 'mine' }], 'mutability'],
    ['groups, which are read-only on users', [{ op: 'add', path: 'groups', value: [{ value: 'g' }] }], 'mutability'],
    ['a value that breaks the user', [{ op: 'replace', path: 'timezone', value: 'Nowhere/Land' }], 'invalidValue'],
    ['removing userName', [{ op: 'remove', path: 'userName' }], 'invalidValue'],
    ['replace without a value', [{ op: 'replace', path: 'title' }], 'invalidValue'],
    [
      'a filter that matches nothing',
      [
        { op: 'remove', path: 'emails[type eq "fax"]' },
        { op: 'replace', path: 'title', value: 'x' },
      ],
      'noTarget',
    ],
  ];
  for (const [what, operations, scimType] of refusals) {
    it(`refuses ${what} with 400 ${scimType}, atomically`, async () => {
      const response = await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'displayName', value: 'CHANGED' }, ...operations]);
      expect(response.status).to.equal(400);
      expect(response.body).to.include({ status: '400', scimType });
      const user = (await scim.request('GET', `/Users/${id}`)).body;
      expect(user.displayName).to.equal('Alice Example');
      expect(user.meta.version).to.equal('W/"1"');
    });
  }

  it('refuses a body that is not a PatchOp', async () => {
    for (const body of [
      { schemas: ['urn:wrong'], Operations: [{ op: 'add', path: 'title', value: 'x' }] },
      { Operations: [] },
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] },
      [],
    ]) {
      const response = await scim.request('PATCH', `/Users/${id}`, body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(response.body.scimType).to.equal('invalidSyntax');
    }
    const tooMany = await scim.patch(
      `/Users/${id}`,
      Array.from({ length: 1001 }, () => ({ op: 'add', path: 'title', value: 'x' })),
    );
    expect(tooMany.body.scimType).to.equal('tooMany');
  });
});
