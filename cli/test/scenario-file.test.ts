import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, readScenarioFile, ScenarioError, type ScenarioProblem } from '../src/scenario/scenario-file.ts';
import { expand } from '../src/scenario/references.ts';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const HEAD = 'organization: {name: Acme, admins: [root@acme.com]}\n';

function problemsOf(text: string): ScenarioProblem[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it('loads every shipped example', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
    expect(files).to.include.members(['acme.yaml', 'attribute-overwrite.yaml', 'billing-surprise.yaml']);
    for (const f of files) expect(() => readScenarioFile(join(EXAMPLES, f)), f).not.to.throw();
  });

  it('loads the pilot example of the issue as written, with its defaults filled in', () => {
    const s = readScenarioFile(join(EXAMPLES, 'acme.yaml'));
    expect(s.organization).to.deep.equal({ name: 'Acme', plan: 'enterprise', subscription: 'none', admins: ['root@acme.com'] });
    expect(s.idp!.users.map((u) => 'email' in u && u.email)).to.deep.equal(['alice@acme.com', 'bob@acme.com']);
    expect(s.idp!.groups.find((g) => g.name === 'everyone')!.groups).to.deep.equal(['engineering', 'sales']);
    expect(s.idp!.provisioning).to.include({ profile: 'entra', runOnApply: true });
    expect(s.policies[0]).to.include({ name: 'SSO pilot', sso: 'enforced', twoStep: 'idp', idleSession: '1h' });
    expect(s.trello).to.deep.include({ enterprise: 'Acme Boards', linkToOrganization: true, boards: [{ name: 'Roadmap', visibility: 'organization' }] });
  });

  it('expands repeat entries, {n} zero-padded to the width asked', () => {
    const s = parseScenario(HEAD + 'accounts:\n  - {repeat: 3, email: "staff{n:4}@acme.com", displayName: "Staff {n}", products: [trello]}\n');
    expect(expand(s.accounts)).to.deep.equal([1, 2, 3].map((n) => ({ email: `staff000${n}@acme.com`, displayName: `Staff ${n}`, products: ['trello'] })));
  });

  const cases: [string, string, Partial<ScenarioProblem>][] = [
    [
      'a value outside an enumeration',
      HEAD + 'policies:\n  - {name: P, sso: sideways}\n',
      { line: 3, path: 'policies.0.sso', expected: 'enforced | optional | disabled' },
    ],
    ['an unknown field', HEAD + 'domains:\n  - {name: acme.com, verfy: dns}\n', { line: 3, path: 'domains.0.verfy', message: 'unknown field' }],
    ['a bad duration', HEAD + 'policies:\n  - name: P\n    idleSession: soon\n', { line: 4, column: 18, path: 'policies.0.idleSession' }],
    ['a bad email', HEAD + 'accounts:\n  - {email: not-an-email}\n', { line: 3, path: 'accounts.0.email', message: 'not an email address' }],
    [
      'an IdP user field the mock IdP refuses',
      HEAD + 'idp:\n  users:\n    - {email: a@acme.com, timezone: Mars/Olympus}\n',
      { line: 4, path: 'idp.users.0.timezone' },
    ],
    [
      'a repeat entry without {n}',
      HEAD + 'accounts:\n  - {repeat: 2, email: same@acme.com}\n',
      { line: 3, path: 'accounts.0.email', message: 'a repeat entry needs {n} in its email' },
    ],
    [
      'a group nobody declared',
      HEAD + 'idp:\n  users:\n    - {email: a@acme.com, groups: [ghosts]}\n',
      { line: 4, path: 'idp.users.0.groups.0', message: 'group "ghosts" is not declared under idp.groups' },
    ],
    ['a member nobody declared', HEAD + 'policies:\n  - {name: P, members: [zed@acme.com]}\n', { line: 3, path: 'policies.0.members.0' }],
    [
      'two defaults in one directory',
      HEAD + 'policies:\n  - {name: A, directory: local, default: true}\n  - {name: B, directory: local, default: true}\n',
      { line: 4, path: 'policies.1.default' },
    ],
    [
      'a policy in an IdP directory without an IdP',
      HEAD + 'policies:\n  - {name: A, directory: idp, sso: enforced}\n',
      { line: 3, path: 'policies.0.directory' },
    ],
    ['the same IdP user twice', HEAD + 'idp:\n  users:\n    - {email: a@acme.com}\n    - {email: A@acme.com}\n', { line: 5, path: 'idp.users.1.email' }],
    [
      'a workspace nobody declared',
      HEAD + 'accounts:\n  - {email: a@acme.com, products: [trello], workspaces: [Nowhere]}\n',
      { line: 3, path: 'accounts.0.workspaces.0' },
    ],
    ['an idle limit core refuses', HEAD + 'policies:\n  - {name: P, directory: local, idleSession: 5m}\n', { line: 3, path: 'policies.0.idleSession' }],
    ['SSO in the local directory', HEAD + 'policies:\n  - {name: P, directory: local, sso: enforced}\n', { line: 3, path: 'policies.0.sso' }],
    [
      'a non-billable default outside the local directory',
      HEAD + 'idp: {users: []}\npolicies:\n  - {name: P, directory: idp, default: true, billable: false}\n',
      { line: 4, path: 'policies.0.billable' },
    ],
    ['SSO without Atlassian Guard', 'organization: {name: Small, plan: free, admins: [root@small.example]}\nidp: {users: []}\n', { line: 2, path: 'idp' }],
    [
      'a second policy without Atlassian Guard',
      'organization: {name: Small, plan: standard, admins: [root@small.example]}\npolicies:\n  - {name: P, directory: local}\n',
      { line: 3, path: 'policies' },
    ],
    [
      'an unknown deprovisioning mode',
      'organization: {name: Acme, plan: enterprise, admins: [root@acme.com]}\nidp:\n  users: []\n  provisioning: {deprovision: purge}\n',
      { line: 4, path: 'idp.provisioning.deprovision' },
    ],
    [
      'a bad soft-delete period',
      'organization: {name: Acme, plan: enterprise, admins: [root@acme.com]}\nidp:\n  users: []\n  provisioning: {softDeletePeriod: later}\n',
      { line: 4, path: 'idp.provisioning.softDeletePeriod' },
    ],
    [
      'mock IdP users beside an external IdP',
      'organization: {name: Acme, plan: enterprise, admins: [root@acme.com]}\nidp:\n  metadata: https://tenant.okta.com/app/x/sso/saml/metadata\n  users:\n    - {email: a@acme.com}\n',
      { line: 5, path: 'idp.users' },
    ],
    ['broken YAML', HEAD + 'policies: [\n', { line: 3, path: '' }],
    ['a duplicate key', HEAD + 'domains: []\ndomains: []\n', { line: 3, path: '' }],
  ];
  for (const [what, text, expected] of cases) {
    it(`refuses ${what}, naming file, line and path`, () => {
      const [first] = problemsOf(text);
      expect(first).to.include({ file: 'test.yaml', ...expected });
      expect(first!.message).to.be.a('string').and.have.length.greaterThan(0);
    });
  }

  it('reads an external IdP: a metadata URL as written, a metadata file beside the scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rehearsal-scenario-'));
    try {
      const file = join(dir, 'okta.yaml');
      writeFileSync(file, 'organization: {name: Acme, plan: enterprise, admins: [root@acme.com]}\nidp: {directory: Okta, metadata: okta-metadata.xml}\n');
      expect(readScenarioFile(file).idp).to.include({ directory: 'Okta', metadata: join(dir, 'okta-metadata.xml') });
      const url = 'https://tenant.okta.com/app/x/sso/saml/metadata';
      expect(parseScenario(`organization: {name: Acme, admins: [root@acme.com]}\nidp: {metadata: '${url}'}\n`).idp!.metadata).to.equal(url);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the file cannot be read', () => {
    expect(() => readScenarioFile('/nonexistent/scenario.yaml')).to.throw(ScenarioError, /cannot read the file: ENOENT/);
  });
});
