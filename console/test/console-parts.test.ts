import { expect } from 'chai';
import { ControllableClock } from '@rehearsal/runtime';
import { ConsoleSessions, LINK_TTL_MS } from '../src/auth/console-sessions.ts';
import { emailsOf } from '../src/pages/rollout-form.ts';
import { html, query } from '../src/web/html.ts';
import { prettyXml } from '../src/web/pretty-xml.ts';

describe('console: its parts', () => {
  it('escapes every interpolated value, and only Html passes as markup', () => {
    const name = `<img src=x onerror="alert('1')">&`;
    // prettier-ignore
    expect(html`<td>${name}</td>`.text).to.equal('<td>&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</td>');
    // prettier-ignore
    expect(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.text).to.equal('<ul>&lt;a&gt;<li>ok</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.text).to.equal('0');
    expect(query({ q: 'a&b', page: 2, empty: '', none: undefined })).to.equal('?q=a%26b&page=2');
  });

  it('reads people from a list or a CSV with an email column, and names what is not an email', () => {
    expect(emailsOf('Bob@Acme.com, carol@acme.com\nbob@acme.com')).to.deep.equal({ emails: ['bob@acme.com', 'carol@acme.com'] });
    expect(emailsOf('name,Email\n"Bob",bob@acme.com\nCarol,carol@acme.com\n')).to.deep.equal({ emails: ['bob@acme.com', 'carol@acme.com'] });
    expect(emailsOf('bob@acme.com bob carol@').problem).to.equal('Not an email address: bob, carol@.');
    expect(emailsOf('').emails).to.deep.equal([]);
    const many = Array.from({ length: 10_001 }, (_, i) => `u${i}@acme.com`).join('\n');
    expect(emailsOf(many).problem).to.match(/^At most 10,000 people/);
  });

  it('lays a SAML message out one element a line, text unchanged', () => {
    const xml =
      '<samlp:Response ID="a"><saml:Issuer>idp</saml:Issuer><samlp:Status><samlp:StatusCode Value="ok"></samlp:StatusCode></samlp:Status><x/></samlp:Response>';
    expect(prettyXml(xml)).to.equal(
      [
        '<samlp:Response ID="a">',
        '  <saml:Issuer>idp</saml:Issuer>',
        '  <samlp:Status>',
        '    <samlp:StatusCode Value="ok"></samlp:StatusCode>',
        '  </samlp:Status>',
        '  <x/>',
        '</samlp:Response>',
      ].join('\n'),
    );
  });

  it('sessions idle out after 8 hours; a sign-in link works once, for 15 minutes', () => {
    const clock = new ControllableClock();
    clock.freeze(new Date('2026-12-01T09:00:00Z'));
    const sessions = new ConsoleSessions(clock);
    const session = sessions.start();
    clock.advance(7 * 3_600_000);
    expect(sessions.get(session.id)).to.equal(session);
    clock.advance(7 * 3_600_000);
    expect(sessions.get(session.id), 'renewed by use').to.equal(session);
    clock.advance(8 * 3_600_000);
    expect(sessions.get(session.id)).to.equal(undefined);
    expect(sessions.get(undefined)).to.equal(undefined);

    const link = sessions.newLink();
    expect(sessions.redeem(link.token)).to.equal(true);
    expect(sessions.redeem(link.token)).to.equal(false);
    const late = sessions.newLink();
    clock.advance(LINK_TTL_MS);
    expect(sessions.redeem(late.token)).to.equal(false);
    expect(sessions.redeem('made-up')).to.equal(false);
  });
});
