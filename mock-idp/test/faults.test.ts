import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { expect } from 'chai';
import { XSW_VARIANTS } from '../src/faults/fault.ts';
import { WRONG } from '../src/faults/faulty-response.ts';
import { generateCredential, type SigningCredential } from '@rehearsal/runtime/credentials';
import {
  ACS,
  SP,
  SP2,
  authnRequestXml,
  decodeResponse,
  formFields,
  oneloginJudge,
  pysaml2Judge,
  redirectParam,
  startIdp,
  xmlsecVerify,
  type SpVerdict,
  type TestIdp,
} from './support/idp.ts';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

const parse = (xml: string): Document => new DOMParser().parseFromString(xml, 'text/xml');
const all = (doc: Document | Element, ns: string, name: string) => Array.from<Element>(doc.getElementsByTagNameNS(ns, name));
const one = (doc: Document | Element, ns: string, name: string) => all(doc, ns, name)[0];
const nameIds = (doc: Document | Element) => all(doc, SAML, 'NameID').map((e) => e.textContent);

/** A login answering an AuthnRequest with id `requestId`, so that InResponseTo is set. */
function loginBody(faults: unknown[], requestId = '_req-faults', sp = SP, user = 'alice@acme.com') {
  return { sp, user, faults, authnRequest: `http://sp.example.test/login?SAMLRequest=${redirectParam(authnRequestXml({ id: requestId, issuer: sp }))}` };
}

async function faultyXml(idp: TestIdp, faults: unknown[], requestId?: string): Promise<string> {
  const res = await idp.request('POST', '/api/login', loginBody(faults, requestId), { accept: 'application/json' });
  expect(res.status, res.text).to.equal(200);
  return decodeResponse(res.body.samlResponse);
}

describe('mock-idp: fault injection judged by SPs we did not write (pysaml2, python3-saml)', () => {
  // Both check time against the real clock, so this IdP runs on it too.
  let idp: TestIdp;
  const responses: { samlResponse: string; inResponseTo: string }[] = [];

  /**
   * What each independent SP says of each fault: a refusal must be for the
   * fault's own reason. `accepted` is where an SP does not check (and where a
   * test of your SP shows whether yours does).
   */
  const expectations: [fault: unknown, pysaml2: RegExp | 'accepted', onelogin: RegExp | 'accepted'][] = [
    ['expired', /ResponseLifetimeExceed|too old/, /expired/],
    ['not-yet-valid', /ToEarly/, /not yet valid/],
    ['clock-skew:600', /ToEarly/, /not yet valid/],
    ['clock-skew:-600', /ResponseLifetimeExceed/, /expired/],
    // Within the minute of slack NotBefore leaves for clocks that run behind.
    ['clock-skew:30', 'accepted', 'accepted'],
    ['wrong-audience', /AudienceRestrictions/, /not a valid audience/],
    ['wrong-recipient', 'accepted', /valid SubjectConfirmation was not found/],
    ['wrong-destination', /no assertion accepted/, /instead of https:\/\/wrong-destination\.invalid/],
    ['wrong-issuer', /MissingKey: https:\/\/wrong-issuer\.invalid/, /Invalid issuer/],
    ['unsigned', /Signature missing/, /not signed/],
    ['wrong-key', /SignatureError: Failed to verify signature/, /Signature validation failed/],
    ['rsa-sha1', 'accepted', 'accepted'],
    ['missing-name-id', 'accepted', /NameID not found/],
    ['name-id-not-email', 'accepted', 'accepted'],
    ['wrong-in-response-to', /UnsolicitedResponse/, /does not match the ID of the AuthNRequest/],
    ['two-assertions', /Invalid number of assertions in Response: 2/, /must contain 1 assertion/],
    ['status-responder', /StatusError|Responder/, /was not Success, was Responder/],
    ['status-authn-failed', /StatusAuthnFailed/, /was not Success, was Responder/],
    ['xsw1', /SignatureError/, /must contain 1 assertion/],
    ['xsw2', /SignatureError/, /must contain 1 assertion/],
    ['xsw3', /Invalid number of assertions/, /must contain 1 assertion/],
    ['xsw4', /Signature missing/, /must contain 1 assertion/],
    ['xsw5', /Invalid number of assertions/, /must contain 1 assertion/],
    ['xsw6', /SignatureError/, /must contain 1 assertion/],
    // pysaml2 ignores the Extensions and takes the signed assertion: Alice, not the impersonated admin.
    ['xsw7', 'accepted', /must contain 1 assertion/],
    ['xsw8', /SignatureError/, /must contain 1 assertion/],
  ];

  before(async () => {
    idp = await startIdp({ frozen: false });
    for (const [i, fault] of [undefined, ...expectations.map(([f]) => f)].entries()) {
      const requestId = `_req-judge-${i}`;
      const res = await idp.request('POST', '/api/login', loginBody(fault === undefined ? [] : [fault], requestId), { accept: 'application/json' });
      expect(res.status, `${String(fault)}: ${res.text}`).to.equal(200);
      responses.push({ samlResponse: res.body.samlResponse as string, inResponseTo: requestId });
    }
  });
  after(() => idp.close());

  function check(verdicts: SpVerdict[], which: 1 | 2) {
    const [clean, ...rest] = verdicts;
    expect(clean, 'the response without faults').to.include({ ok: true, nameId: 'alice@acme.com' });
    expectations.forEach((row, i) => {
      const [fault, expected] = [row[0], row[which]];
      const verdict = rest[i]!;
      if (expected === 'accepted') expect(verdict, String(fault)).to.include({ ok: true });
      else {
        expect(verdict.ok, `${String(fault)} was accepted`).to.equal(false);
        expect(verdict.error, String(fault)).to.match(expected);
      }
      expect(verdict.nameId, `${String(fault)}: never the impersonated user`).not.to.equal('admin@acme.com');
    });
  }

  it('pysaml2 refuses each fault it checks for the fault’s own reason', async () => {
    check(await pysaml2Judge(idp, { entityId: SP, acs: ACS }, responses), 1);
  });

  it('python3-saml in strict mode refuses each fault it checks for the fault’s own reason', async () => {
    check(await oneloginJudge(idp, { entityId: SP, acs: ACS }, responses), 2);
  });
});

describe('mock-idp: what each fault changes', () => {
  let idp: TestIdp;
  let faultKey: SigningCredential;
  before(async () => (faultKey = await generateCredential('Test fault key', new Date())));
  beforeEach(async () => (idp = await startIdp({ faultCredential: faultKey })));
  afterEach(() => idp.close());

  const verifies = async (xml: string, which: 'Response' | 'Assertion', cert = idp.credential.certificatePem) =>
    (await xmlsecVerify(xml, cert, which, idp.dir)).code === 0;

  it('expired, not yet valid and clock skew move the validity window and keep a valid signature', async () => {
    // The frozen clock reads 2026-11-23T09:00:00Z; assertions last 5 minutes.
    const expired = parse(await faultyXml(idp, ['expired']));
    expect(one(expired, SAML, 'Conditions')!.getAttribute('NotOnOrAfter')).to.equal('2026-11-23T08:50:00Z');
    expect(one(expired, SAML, 'SubjectConfirmationData')!.getAttribute('NotOnOrAfter')).to.equal('2026-11-23T08:50:00Z');
    const early = parse(await faultyXml(idp, ['not-yet-valid']));
    expect(one(early, SAML, 'Conditions')!.getAttribute('NotBefore')).to.equal('2026-11-23T09:10:00Z');
    const skewedXml = await faultyXml(idp, [{ fault: 'clock-skew', seconds: -120 }]);
    const skewed = parse(skewedXml);
    expect(skewed.documentElement!.getAttribute('IssueInstant')).to.equal('2026-11-23T08:58:00Z');
    expect(one(skewed, SAML, 'Assertion')!.getAttribute('IssueInstant')).to.equal('2026-11-23T08:58:00Z');
    expect(one(skewed, SAML, 'AuthnStatement')!.getAttribute('AuthnInstant')).to.equal('2026-11-23T08:58:00Z');
    expect(one(skewed, SAML, 'Conditions')!.getAttribute('NotOnOrAfter')).to.equal('2026-11-23T09:03:00Z');
    expect(await verifies(skewedXml, 'Assertion')).to.equal(true);
  });

  it('wrong audience, recipient, destination and issuer put values no SP is configured with', async () => {
    const audience = parse(await faultyXml(idp, ['wrong-audience']));
    expect(one(audience, SAML, 'Audience')!.textContent).to.equal(WRONG.audience);
    const recipient = parse(await faultyXml(idp, ['wrong-recipient']));
    expect(one(recipient, SAML, 'SubjectConfirmationData')!.getAttribute('Recipient')).to.equal(WRONG.recipient);
    expect(recipient.documentElement!.getAttribute('Destination')).to.equal(ACS);
    const destination = parse(await faultyXml(idp, ['wrong-destination']));
    expect(destination.documentElement!.getAttribute('Destination')).to.equal(WRONG.destination);
    expect(one(destination, SAML, 'SubjectConfirmationData')!.getAttribute('Recipient')).to.equal(ACS);
    const issuerXml = await faultyXml(idp, ['wrong-issuer']);
    expect(all(parse(issuerXml), SAML, 'Issuer').map((e) => e.textContent)).to.deep.equal([WRONG.issuer, WRONG.issuer]);
    expect(await verifies(issuerXml, 'Assertion')).to.equal(true);
  });

  it('unsigned, wrong key and rsa-sha1 change only the signature', async () => {
    expect(all(parse(await faultyXml(idp, ['unsigned'])), DSIG, 'Signature')).to.have.length(0);
    const wrongKey = await faultyXml(idp, ['wrong-key']);
    expect(await verifies(wrongKey, 'Assertion')).to.equal(false);
    expect(await verifies(wrongKey, 'Assertion', faultKey.certificatePem)).to.equal(true);
    expect(one(parse(wrongKey), DSIG, 'X509Certificate')!.textContent).to.equal(faultKey.certificateBase64);
    const sha1 = await faultyXml(idp, ['rsa-sha1']);
    expect(one(parse(sha1), DSIG, 'SignatureMethod')!.getAttribute('Algorithm')).to.equal('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
    expect(await verifies(sha1, 'Assertion')).to.equal(true);
  });

  it('missing NameID, NameID not an email and wrong InResponseTo', async () => {
    expect(all(parse(await faultyXml(idp, ['missing-name-id'])), SAML, 'NameID')).to.have.length(0);
    const notEmail = one(parse(await faultyXml(idp, ['name-id-not-email'])), SAML, 'NameID')!;
    expect(notEmail.textContent).to.equal('alice');
    expect(notEmail.getAttribute('Format')).to.equal('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    const wrong = parse(await faultyXml(idp, ['wrong-in-response-to'], '_req-77'));
    const inResponseTo = wrong.documentElement!.getAttribute('InResponseTo');
    expect(inResponseTo)
      .to.match(/^_[0-9a-f]{40}$/)
      .and.not.equal('_req-77');
    expect(one(wrong, SAML, 'SubjectConfirmationData')!.getAttribute('InResponseTo')).to.equal(inResponseTo);
  });

  it('two assertions: both signed, with different IDs', async () => {
    const xml = await faultyXml(idp, ['two-assertions']);
    const assertions = all(parse(xml), SAML, 'Assertion');
    expect(assertions.map((a) => a.getAttribute('ID')))
      .to.have.length(2)
      .and.satisfy((ids: string[]) => ids[0] !== ids[1]);
    expect(all(parse(xml), DSIG, 'Signature')).to.have.length(2);
  });

  it('status faults send a signed Responder status and no assertion', async () => {
    const xml = await faultyXml(idp, ['status-authn-failed']);
    const doc = parse(xml);
    expect(all(doc, SAML, 'Assertion')).to.have.length(0);
    expect(all(doc, SAMLP, 'StatusCode').map((e) => e.getAttribute('Value'))).to.deep.equal([
      'urn:oasis:names:tc:SAML:2.0:status:Responder',
      'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
    ]);
    expect(await verifies(xml, 'Response')).to.equal(true);
    const responder = parse(await faultyXml(idp, ['status-responder']));
    expect(all(responder, SAMLP, 'StatusCode').map((e) => e.getAttribute('Value'))).to.deep.equal(['urn:oasis:names:tc:SAML:2.0:status:Responder']);
  });

  it('replay sends the previous response to that SP verbatim, and says when there is none', async () => {
    const none = await idp.request('POST', '/api/login', loginBody(['replay']), { accept: 'application/json' });
    expect(none.status).to.equal(409);
    expect(none.body.error.code).to.equal('nothing-to-replay');
    const first = await idp.request('POST', '/api/login', loginBody([], '_req-first'), { accept: 'application/json' });
    const again = await idp.request('POST', '/api/login', loginBody(['replay'], '_req-second'), { accept: 'application/json' });
    expect(again.body.samlResponse).to.equal(first.body.samlResponse);
    // Another SP's previous response is not this one's.
    const other = await idp.request('POST', '/api/login', loginBody(['replay'], '_req-3', SP2), { accept: 'application/json' });
    expect(other.status).to.equal(409);
  });

  for (const variant of XSW_VARIANTS) {
    it(`${variant}: a correctly signed original for Alice, and an unsigned assertion claiming another user`, async () => {
      const xml = await faultyXml(idp, [{ fault: variant, impersonate: 'root@acme.com' }]);
      const doc = parse(xml);
      expect(nameIds(doc)).to.have.members(['alice@acme.com', 'root@acme.com']);
      const signatures = all(doc, DSIG, 'Signature');
      expect(signatures.length).to.be.greaterThan(0);
      const byId = new Map([...all(doc, SAMLP, 'Response'), ...all(doc, SAML, 'Assertion')].map((e) => [e.getAttribute('ID'), e]));
      for (const signature of signatures) {
        const signed = byId.get(one(signature, DSIG, 'Reference')!.getAttribute('URI')!.slice(1))!;
        expect(nameIds(signed), 'every signature covers the original only').to.deep.equal(['alice@acme.com']);
      }
      // Where the original sits outside the Signature, a strict XML-DSig processor still
      // verifies it: an SP must notice the wrapping itself. Where it sits inside (1, 6, 8),
      // the enveloped-signature transform removes it, and xmlsec1 refuses at the signature.
      const which = variant === 'xsw1' || variant === 'xsw2' ? 'Response' : 'Assertion';
      const xpath = which === 'Response' ? "/*/*[local-name()='Signature']" : "//*[local-name()='Signature']";
      const checked = await xmlsecVerify(xml, idp.credential.certificatePem, which, idp.dir, xpath);
      expect(checked.code === 0, checked.output).to.equal(!['xsw1', 'xsw6', 'xsw8'].includes(variant));
    });
  }

  it('defaults the impersonated user to admin at the same domain', async () => {
    expect(nameIds(parse(await faultyXml(idp, ['xsw3'])))).to.include('admin@acme.com');
  });

  it('refuses unknown and conflicting faults with a 400 naming them, and sends nothing', async () => {
    const cases: [unknown[], RegExp][] = [
      [['expird'], /unknown fault "expird"/],
      [['expired', 'not-yet-valid'], /both expired and not yet valid/],
      [['replay', 'expired'], /replay sends the previous response verbatim/],
      [['unsigned', 'xsw3'], /cannot be unsigned/],
      [['unsigned', 'wrong-key'], /no key or algorithm/],
      [['status-responder', 'expired'], /sends no assertion/],
      [['xsw1', 'xsw2'], /one signature-wrapping variant/],
      [['expired', 'expired'], /given twice/],
      [[{ fault: 'clock-skew', seconds: 100_000 }], /86400/],
      [['clock-skew:99999999'], /at most 86400/],
      [[{ fault: 'xsw3', impersonate: 'not an email' }], /email/i],
    ];
    for (const [faults, message] of cases) {
      const res = await idp.request('POST', '/api/login', loginBody(faults), { accept: 'application/json' });
      expect(res.status, JSON.stringify(faults)).to.equal(400);
      expect(res.body.error.message, JSON.stringify(faults)).to.match(message);
    }
    const ledger = await idp.request('GET', '/api/ledger?message=Response');
    expect(ledger.body.entries).to.have.length(0);
  });
});

describe('mock-idp: fault rules for a user or an SP', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  const loginXml = async (user: string, sp = SP) =>
    parse(decodeResponse((await idp.request('POST', '/api/login', { sp, user }, { accept: 'application/json' })).body.samlResponse));
  const audience = (doc: Document) => one(doc, SAML, 'Audience')?.textContent;

  it('applies a user rule to every SP, an SP rule to every user, and counts down rules limited to N logins', async () => {
    const userRule = await idp.request('POST', '/api/faults', { user: 'alice@acme.com', faults: ['wrong-audience'] });
    expect(userRule.status, userRule.text).to.equal(201);
    expect(userRule.body).to.include({ user: 'alice@acme.com' });
    const spRule = await idp.request('POST', '/api/faults', { sp: SP2, faults: ['missing-name-id'], times: 2 });
    expect(spRule.status).to.equal(201);

    expect(audience(await loginXml('alice@acme.com'))).to.equal(WRONG.audience);
    expect(audience(await loginXml('bob@acme.com'))).to.equal(SP);
    const aliceAtSp2 = await loginXml('alice@acme.com', SP2);
    expect(audience(aliceAtSp2)).to.equal(WRONG.audience);
    expect(all(aliceAtSp2, SAML, 'NameID')).to.have.length(0);
    expect(all(await loginXml('bob@acme.com', SP2), SAML, 'NameID')).to.have.length(0);
    // The SP rule was for two logins: gone now.
    expect(all(await loginXml('bob@acme.com', SP2), SAML, 'NameID')).to.have.length(1);
    const rules = (await idp.request('GET', '/api/faults')).body.rules;
    expect(rules.map((r: { id: string }) => r.id)).to.deep.equal([userRule.body.id]);

    expect((await idp.request('DELETE', `/api/faults/${userRule.body.id}`)).status).to.equal(204);
    expect(audience(await loginXml('alice@acme.com'))).to.equal(SP);
    expect((await idp.request('DELETE', `/api/faults/${userRule.body.id}`)).status).to.equal(404);
  });

  it('merges request faults with rules, and refuses a login whose faults conflict', async () => {
    await idp.request('POST', '/api/faults', { user: 'alice@acme.com', sp: SP, faults: ['expired'], times: 5 });
    const merged = parse(
      decodeResponse((await idp.request('POST', '/api/login', { sp: SP, user: 'alice@acme.com', faults: ['wrong-audience'] })).body.samlResponse),
    );
    expect(audience(merged)).to.equal(WRONG.audience);
    expect(one(merged, SAML, 'Conditions')!.getAttribute('NotOnOrAfter')).to.equal('2026-11-23T08:50:00Z');
    const conflict = await idp.request('POST', '/api/login', { sp: SP, user: 'alice@acme.com', faults: ['not-yet-valid'] });
    expect(conflict.status).to.equal(400);
    expect(conflict.body.error.code).to.equal('faults-conflict');
    // The refused login did not use up one of the rule's five.
    expect((await idp.request('GET', '/api/faults')).body.rules[0].remaining).to.equal(4);
  });

  it('refuses bad rules with a 400 and keeps the rules as they were', async () => {
    const bad: [unknown, string][] = [
      [{ faults: [] }, 'invalid-request'],
      [{ faults: ['nope'] }, 'invalid-request'],
      [{ user: 'nobody@acme.com', faults: ['expired'] }, 'user-not-found'],
      [{ sp: 'https://unknown.example/sp', faults: ['expired'] }, 'sp-not-registered'],
      [{ faults: ['expired', 'not-yet-valid'] }, 'faults-conflict'],
      [{ faults: ['expired'], times: 0 }, 'invalid-request'],
      [{ faults: ['expired'], extra: true }, 'invalid-request'],
    ];
    for (const [body, code] of bad) {
      const res = await idp.request('POST', '/api/faults', body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.error.code, JSON.stringify(body)).to.equal(code);
    }
    expect((await idp.request('GET', '/api/faults')).body.rules).to.deep.equal([]);
  });

  it('loads rules from configuration, and reset restores them', async () => {
    const configured = await startIdp({ faultRules: [{ user: 'bob@acme.com', faults: ['unsigned'], times: 1 }] });
    try {
      const login = () => configured.request('POST', '/api/login', { sp: SP, user: 'bob@acme.com' });
      expect(decodeResponse((await login()).body.samlResponse)).not.to.contain('<Signature');
      expect(decodeResponse((await login()).body.samlResponse)).to.contain('<Signature');
      await configured.request('POST', '/api/reset');
      expect(decodeResponse((await login()).body.samlResponse)).not.to.contain('<Signature');
    } finally {
      await configured.close();
    }
    const refused = await startIdp({ faultRules: [{ faults: ['bogus'] }] }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(refused?.message).to.match(/faults\[0\]\.faults\.0: unknown fault "bogus"/);
  });

  it('lets a browser tester pick a fault on the login page', async () => {
    const start = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-page' }))}`);
    const page = await idp.request('GET', start.headers.get('location')!);
    expect(page.text).to.contain('<option>wrong-audience</option>');
    const posted = await idp.request('POST', start.headers.get('location')!, 'username=alice%40acme.com&password=alice-pass&fault=wrong-audience');
    expect(audience(parse(decodeResponse(formFields(posted.text).samlResponse!)))).to.equal(WRONG.audience);
  });
});

describe('mock-idp: the ledger', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  it('lists every message received and sent, with decoded XML, faults, outcome and time', async () => {
    const before = (await idp.request('GET', '/api/ledger')).body.last;
    const start = await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-ledger' }))}&RelayState=%2Fboards`);
    await idp.request('POST', start.headers.get('location')!, 'username=alice%40acme.com&password=alice-pass&fault=expired');
    await idp.request('GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-bad', acsUrl: 'https://evil.example/acs' }))}`);

    const { entries } = (await idp.request('GET', `/api/ledger?after=${before}`)).body;
    expect(entries.map((e: { direction: string; message: string; outcome: string }) => [e.direction, e.message, e.outcome])).to.deep.equal([
      ['received', 'AuthnRequest', 'accepted'],
      ['sent', 'Response', 'sent'],
      ['received', 'AuthnRequest', 'acs-not-registered'],
    ]);
    const [request, response] = entries;
    expect(request).to.include({ binding: 'redirect', sp: SP, id: '_req-ledger', relayState: '/boards', time: '2026-11-23T09:00:00.000Z' });
    expect(request.xml).to.contain('ID="_req-ledger"');
    expect(response).to.include({ sp: SP, user: 'alice@acme.com', inResponseTo: '_req-ledger', destination: ACS, relayState: '/boards' });
    expect(response.faults).to.deep.equal([{ fault: 'expired' }]);
    expect(response.xml).to.contain('NotOnOrAfter="2026-11-23T08:50:00Z"');

    const filtered = (await idp.request('GET', '/api/ledger?message=Response&user=ALICE@acme.com')).body.entries;
    expect(filtered).to.have.length(1);
    expect((await idp.request('GET', '/api/ledger?limit=0')).status).to.equal(400);
    expect((await idp.request('GET', '/api/ledger?bogus=1')).status).to.equal(400);
    expect((await idp.request('DELETE', '/api/ledger')).status).to.equal(204);
    expect((await idp.request('GET', '/api/ledger')).body.entries).to.deep.equal([]);
  });

  it('records a message that could not even be decoded, without XML', async () => {
    await idp.request('GET', '/saml/sso?SAMLRequest=not*base64');
    const [entry] = (await idp.request('GET', '/api/ledger')).body.entries;
    expect(entry).to.include({ direction: 'received', message: 'AuthnRequest', outcome: 'invalid-encoding' });
    expect(entry.xml).to.equal(undefined);
  });
});
