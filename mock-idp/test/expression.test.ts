import { expect } from 'chai';
import { evaluate, ExpressionError, parseExpression, type SourceValues } from '../src/provisioning/expression.ts';
import { parseScimPath, readPath, writePath } from '../src/provisioning/scim-path.ts';

const alice: SourceValues = { givenName: 'Alice', surname: 'Liddell', email: 'Alice@Acme.com', department: 'Engineering', active: 'true', userName: 'alice' };
const run = (text: string, source = alice) => evaluate(parseExpression(text), source);

describe('mock-idp: mapping expressions', () => {
  it('reads attributes (and Entra’s names for them) and string constants', () => {
    expect(run('[givenName]')).to.equal('Alice');
    expect(run('[ mail ]')).to.equal('Alice@Acme.com');
    expect(run('[userPrincipalName]')).to.equal('alice');
    expect(run('"Acme"')).to.equal('Acme');
    expect(run("'single \\'quoted\\''")).to.equal("single 'quoted'");
    expect(run('[jobTitle]'), 'absent').to.equal(undefined);
  });

  it('Join skips absent values; Coalesce takes the first present one', () => {
    expect(run('Join(" ", [givenName], [surname])')).to.equal('Alice Liddell');
    expect(run('Join(", ", [surname], [jobTitle], [givenName])')).to.equal('Liddell, Alice');
    expect(run('Join(" ", [jobTitle])')).to.equal(undefined);
    expect(run('Coalesce([jobTitle], [department], "none")')).to.equal('Engineering');
    expect(run('Coalesce([jobTitle], [manager])')).to.equal(undefined);
  });

  it('ToLower, ToUpper, Replace, Left and Switch', () => {
    expect(run('ToLower([mail])')).to.equal('alice@acme.com');
    expect(run('ToUpper([surname])')).to.equal('LIDDELL');
    expect(run('Replace([mail], "@Acme.com", "@example.com")')).to.equal('Alice@example.com');
    expect(run('Replace([department], "", "x")'), 'an empty find changes nothing').to.equal('Engineering');
    expect(run('Left([surname], 3)')).to.equal('Lid');
    expect(run('Left([surname], 30)')).to.equal('Liddell');
    expect(run('Switch([department], "Other", "Engineering", "R&D", "Sales", "Go-to-market")')).to.equal('R&D');
    expect(run('Switch([department], "Other", "Sales", "Go-to-market")')).to.equal('Other');
    expect(run('Switch([active], "False", "true", "True")')).to.equal('True');
    expect(run('ToUpper(Left(Join("", [givenName], [surname]), 4))')).to.equal('ALIC');
  });

  it('names what is wrong and where', () => {
    const cases: [string, RegExp, number][] = [
      ['[nickname]', /unknown attribute \[nickname\]/, 1],
      ['Concat([givenName])', /unknown function Concat/, 1],
      ['Join(" ")', /Join takes at least 2 arguments, got 1/, 1],
      ['ToLower([givenName], [surname])', /ToLower takes 1 arguments, got 2/, 1],
      ['Left([surname], "3")', /Left needs a number/, 1],
      ['Switch([department], "x", "Sales")', /key\/value pairs/, 1],
      ['Join(" ", [givenName]', /unclosed Join\(/, 22],
      ['"open', /unclosed string/, 1],
      ['[givenName', /unclosed \[/, 1],
      ['[givenName] [surname]', /unexpected "\[surname\]" after the expression/, 13],
      ['Join(" " [givenName])', /expected , or \) in Join, found "\["/, 10],
      ['', /expected a value, found the end/, 1],
    ];
    for (const [text, message, position] of cases) {
      let error: unknown;
      try {
        parseExpression(text);
      } catch (err) {
        error = err;
      }
      expect(error, text).to.be.instanceOf(ExpressionError);
      expect((error as ExpressionError).message, text).to.match(message);
      expect((error as ExpressionError).position, text).to.equal(position);
    }
  });
});

describe('mock-idp: SCIM attribute paths', () => {
  it('writes and reads core, complex, filtered and extension attributes', () => {
    const paths = [
      'userName',
      'name.givenName',
      'emails[type eq "work"].value',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
      'active',
    ].map((p) => parseScimPath(p)!);
    const resource: Record<string, unknown> = {};
    writePath(resource, paths[0]!, 'alice');
    writePath(resource, paths[1]!, 'Alice');
    writePath(resource, paths[2]!, 'alice@acme.com');
    writePath(resource, paths[3]!, 'Engineering');
    writePath(resource, paths[4]!, false);
    expect(resource).to.deep.equal({
      userName: 'alice',
      name: { givenName: 'Alice' },
      emails: [{ type: 'work', primary: true, value: 'alice@acme.com' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Engineering' },
      active: false,
    });
    // Servers answer with their own casing; SCIM attribute names are case-insensitive.
    const served = {
      UserName: 'alice',
      Emails: [
        { Type: 'home', value: 'a@home' },
        { type: 'Work', Value: 'alice@acme.com' },
      ],
    };
    expect(readPath(served, paths[0]!)).to.equal('alice');
    expect(readPath(served, paths[2]!)).to.equal('alice@acme.com');
    expect(readPath(served, paths[3]!)).to.equal(undefined);
  });

  it('refuses what is not a path', () => {
    for (const bad of ['', 'emails[type eq "work"]', 'name..givenName', 'emails[type co "w"].value', '1abc'])
      expect(parseScimPath(bad), bad).to.equal(undefined);
  });
});
