import type { SigningCredential } from '@rehearsal/runtime/credentials';
import { samlId } from '../saml/random-ids.ts';
import { buildAssertion, buildResponse, STATUS, type AssertionSpec, type ResponseSpec, type SigningSpec } from '../saml/response.ts';
import { insertAfterIssuer, signatureOf, signEnveloped } from '../saml/signature.ts';
import { isWrapping, type Fault, type XswVariant } from './fault.ts';

/** Values no real SP is configured with, so that the SP's error names them. */
export const WRONG = {
  audience: 'https://wrong-audience.invalid/sp',
  recipient: 'https://wrong-recipient.invalid/acs',
  destination: 'https://wrong-destination.invalid/acs',
  issuer: 'https://wrong-issuer.invalid/idp',
} as const;
/** How far outside its validity window an expired or not-yet-valid assertion is. */
const OUTSIDE_WINDOW_MS = 10 * 60_000;

export interface FaultSubject {
  /** The user the login is for: the wrapping faults impersonate someone else at the same domain. */
  email: string;
  userName: string;
}

const shift = (date: Date, ms: number) => new Date(date.getTime() + ms);
const has = (faults: Fault[], name: Fault['fault']) => faults.some((f) => f.fault === name);

function alterAssertion(a: AssertionSpec, faults: Fault[], subject: FaultSubject): AssertionSpec {
  let out = { ...a };
  const lifetime = a.notOnOrAfter.getTime() - a.notBefore.getTime();
  if (has(faults, 'expired')) {
    const notOnOrAfter = shift(a.issueInstant, -OUTSIDE_WINDOW_MS);
    out = { ...out, notOnOrAfter, notBefore: shift(notOnOrAfter, -lifetime) };
  }
  if (has(faults, 'not-yet-valid')) {
    const notBefore = shift(a.issueInstant, OUTSIDE_WINDOW_MS);
    out = { ...out, notBefore, notOnOrAfter: shift(notBefore, lifetime) };
  }
  if (has(faults, 'wrong-audience')) out.audience = WRONG.audience;
  if (has(faults, 'wrong-recipient')) out.recipient = WRONG.recipient;
  if (has(faults, 'wrong-issuer')) out.issuer = WRONG.issuer;
  if (has(faults, 'missing-name-id')) out.nameId = undefined;
  // The format still claims whatever the SP expects: what a misconfigured source attribute looks like.
  if (has(faults, 'name-id-not-email') && out.nameId)
    out.nameId = { ...out.nameId, value: subject.userName.includes('@') ? subject.email.split('@')[0]! : subject.userName };
  return out;
}

/** The response with every fault that changes values (not structure or signing) applied. */
export function alterSpec(spec: ResponseSpec, faults: Fault[], subject: FaultSubject): ResponseSpec {
  let out: ResponseSpec = { ...spec, assertion: spec.assertion && alterAssertion(spec.assertion, faults, subject) };
  if (has(faults, 'wrong-destination')) out.destination = WRONG.destination;
  if (has(faults, 'wrong-issuer')) out.issuer = WRONG.issuer;
  if (has(faults, 'wrong-in-response-to')) {
    const wrong = samlId();
    out = { ...out, inResponseTo: wrong, assertion: out.assertion && { ...out.assertion, inResponseTo: wrong } };
  }
  if (has(faults, 'status-responder'))
    out = { ...out, assertion: undefined, status: { code: STATUS.responder, message: 'The IdP failed (simulated by the status-responder fault).' } };
  if (has(faults, 'status-authn-failed'))
    out = {
      ...out,
      assertion: undefined,
      status: { code: STATUS.responder, subCode: STATUS.authnFailed, message: 'Authentication failed (simulated by the status-authn-failed fault).' },
    };
  const skew = faults.find((f): f is Extract<Fault, { fault: 'clock-skew' }> => f.fault === 'clock-skew');
  if (skew) {
    const ms = skew.seconds * 1000;
    const a = out.assertion;
    out = {
      ...out,
      issueInstant: shift(out.issueInstant, ms),
      assertion: a && {
        ...a,
        issueInstant: shift(a.issueInstant, ms),
        notBefore: shift(a.notBefore, ms),
        notOnOrAfter: shift(a.notOnOrAfter, ms),
        authnInstant: shift(a.authnInstant, ms),
        sessionNotOnOrAfter: a.sessionNotOnOrAfter && shift(a.sessionNotOnOrAfter, ms),
      },
    };
  }
  return out;
}

/** Signing as the SP is configured, changed by the signing faults. */
export function alterSigning(signing: SigningSpec, faults: Fault[], otherKey: SigningCredential): SigningSpec {
  let out = { ...signing };
  if (has(faults, 'unsigned')) out = { ...out, assertion: false, response: false };
  if (has(faults, 'wrong-key')) out.credential = otherKey;
  if (has(faults, 'rsa-sha1')) out.algorithm = 'rsa-sha1';
  return out;
}

/** Turns an assertion into what travels: itself, or an EncryptedAssertion for SPs that ask. */
export type Seal = (assertionXml: string) => Promise<string>;
export const unsealed: Seal = (xml) => Promise.resolve(xml);

export interface FaultTools {
  subject: FaultSubject;
  /** Signs for the wrong-key fault: a key pair that is not the one in the IdP's metadata. */
  otherKey: SigningCredential;
  seal: Seal;
}

/**
 * The login response with `faults` applied (none: the response the SP is
 * configured for). `signing.response` is the SP's wish; a response that ends up
 * without an assertion is signed regardless, as error responses are.
 */
export async function faultyResponse(spec: ResponseSpec, signing: SigningSpec, faults: Fault[], tools: FaultTools): Promise<string> {
  const altered = alterSpec(spec, faults, tools.subject);
  const sign = alterSigning({ ...signing, response: signing.response || !altered.assertion }, faults, tools.otherKey);
  const responseSigning = sign.response ? sign : undefined;
  const assertion = altered.assertion;
  if (!assertion) return buildResponse(altered, '', responseSigning);
  const signedAssertion = (a: AssertionSpec) => (sign.assertion ? signEnveloped(buildAssertion(a), a.id, sign.credential, sign.algorithm) : buildAssertion(a));
  const wrapping = faults.find(isWrapping);
  if (wrapping) return wrapped(altered, assertion, sign, wrapping.fault, wrapping.impersonate ?? `admin@${tools.subject.email.split('@')[1]}`, tools.seal);
  if (has(faults, 'two-assertions')) {
    const both = await Promise.all([assertion, { ...assertion, id: samlId() }].map((a) => tools.seal(signedAssertion(a))));
    return buildResponse(altered, both.join(''), responseSigning);
  }
  return buildResponse(altered, await tools.seal(signedAssertion(assertion)), responseSigning);
}

/** An unsigned copy of the assertion, claiming to be for `impersonate`. */
function evilAssertion(a: AssertionSpec, impersonate: string): string {
  const original = a.nameId?.value;
  const attributes = a.attributes.map((attr) => ({ ...attr, values: attr.values.map((v) => (v === original ? impersonate : v)) }));
  return buildAssertion({ ...a, id: samlId(), nameId: a.nameId && { ...a.nameId, value: impersonate }, attributes });
}

const insertIntoSignature = (signature: string, fragment: string) => signature.replace(/<\/Signature>$/, `${fragment}</Signature>`);

/** Each top-level assertion is sealed on its own, as an attacker holding the SP's public key could. */
async function wrapped(spec: ResponseSpec, a: AssertionSpec, signing: SigningSpec, variant: XswVariant, impersonate: string, seal: Seal): Promise<string> {
  const evil = evilAssertion(a, impersonate);
  if (variant === 'xsw1' || variant === 'xsw2') {
    // The Response's signature moves to an evil Response; the signed original rides along unsigned.
    const assertion = signing.assertion ? signEnveloped(buildAssertion(a), a.id, signing.credential, signing.algorithm) : buildAssertion(a);
    const original = buildResponse(spec, await seal(assertion), signing);
    const signature = signatureOf(original);
    const originalUnsigned = original.replace(signature, '');
    const evilResponse = buildResponse({ ...spec, id: samlId() }, await seal(evil));
    return insertAfterIssuer(evilResponse, variant === 'xsw1' ? insertIntoSignature(signature, originalUnsigned) : originalUnsigned + signature);
  }
  // 3–8: the Assertion's signature is the one wrapped; an attacker cannot keep a Response signature.
  const signed = signEnveloped(buildAssertion(a), a.id, signing.credential, signing.algorithm);
  const signature = signatureOf(signed);
  const originalUnsigned = signed.replace(signature, '');
  const evilWith = (fragment: string) => insertAfterIssuer(evil, fragment);
  const body = async (...assertions: string[]) => (await Promise.all(assertions.map(seal))).join('');
  switch (variant) {
    case 'xsw3':
      return buildResponse(spec, await body(evil, signed));
    case 'xsw4':
      return buildResponse(spec, await body(evil.replace(/<\/Assertion>$/, `${signed}</Assertion>`)));
    case 'xsw5':
      return buildResponse(spec, await body(evilWith(signature), originalUnsigned));
    case 'xsw6':
      return buildResponse(spec, await body(evilWith(insertIntoSignature(signature, originalUnsigned))));
    case 'xsw7':
      return insertAfterIssuer(buildResponse(spec, await body(signed)), `<samlp:Extensions>${await body(evil)}</samlp:Extensions>`);
    case 'xsw8':
      return buildResponse(spec, await body(evilWith(insertIntoSignature(signature, `<Object>${originalUnsigned}</Object>`))));
  }
}
