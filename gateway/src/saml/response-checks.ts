import type { GatewayReason } from '../reasons.ts';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

/**
 * The checks the gateway makes on a SAML Response before (and beside) the
 * library's signature check: what @node-saml/node-saml does not do by default
 * (reference/security.md). Pure: XML and expectations in, a reason code out.
 */

export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** base64 of the posted SAMLResponse, and the XML it decodes to. */
export const MAX_ENCODED_BYTES = 256 * 1024;
export const MAX_XML_BYTES = 192 * 1024;
/** How far the IdP's clock may be from ours. */
export const CLOCK_SKEW_MS = 3 * 60_000;

export const ALLOWED_SIGNATURES = new Set(['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512']);
const ALLOWED_DIGESTS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);
const ALLOWED_TRANSFORMS = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
]);

export interface Expectations {
  /** The connection's ACS URL: Destination and Recipient must name it. */
  acsUrl: string;
  /** The SP entity ID the IdP was given: the Audience. */
  audience: string;
  /** The IdP entity ID the connection pins. */
  issuer: string;
  now: Date;
  /** The assertion must carry its own signature; when false, a signed Response around it is enough. Default true. */
  wantAssertionsSigned?: boolean;
}

export interface CheckedResponse {
  xml: string;
  inResponseTo?: string;
  assertionId: string;
  /** When the assertion stops being usable: how long its ID stays in the replay cache. */
  notOnOrAfter: Date;
  nameId: string;
  /** The checks passed, in order. */
  checks: string[];
}

/** A refusal with its stable reason code. */
export class SamlRejection extends Error {
  constructor(
    readonly code: GatewayReason,
    message: string,
  ) {
    super(message);
  }
}

const reject = (code: GatewayReason, message: string): never => {
  throw new SamlRejection(code, message);
};

const elements = (root: Document | Element, ns: string, name: string) => Array.from<Element>(root.getElementsByTagNameNS(ns, name));
export const children = (el: Element, ns: string, name: string) =>
  Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name);

/** Whether an element carries, as a direct child, a signature whose one reference is the element itself. */
function signsItsParent(el: Element): boolean {
  const signature = children(el, DSIG, 'Signature')[0];
  const reference = signature && elements(signature, DSIG, 'Reference')[0]?.getAttribute('URI');
  return signature !== undefined && !!el.getAttribute('ID') && reference === `#${el.getAttribute('ID')}`;
}

export function decodeSamlResponse(encoded: unknown): string {
  if (typeof encoded !== 'string' || !encoded) return reject('saml-response-missing', 'No SAMLResponse was posted.');
  if (encoded.length > MAX_ENCODED_BYTES) return reject('saml-response-too-large', `The SAMLResponse is larger than ${MAX_ENCODED_BYTES / 1024} KiB.`);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) return reject('saml-response-malformed', 'The SAMLResponse is not base64.');
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  if (Buffer.byteLength(xml) > MAX_XML_BYTES) return reject('saml-response-too-large', `The decoded SAMLResponse is larger than ${MAX_XML_BYTES / 1024} KiB.`);
  return xml;
}

/**
 * Parses a SAML message, refusing a DOCTYPE (entity expansion) before the
 * parser sees it and anything not well-formed, each with the caller's code.
 */
export function parseSaml(xml: string, what: string, codes: { doctype: GatewayReason; malformed: GatewayReason }): Document {
  if (/<!DOCTYPE/i.test(xml)) reject(codes.doctype, `The ${what} carries a DOCTYPE, which SAML forbids.`);
  let failure: string | undefined;
  let doc: Document | undefined;
  try {
    doc = new DOMParser({ onError: (level: string, message: string) => void (level !== 'warning' && (failure ??= message)) }).parseFromString(xml, 'text/xml');
  } catch (err) {
    // @xmldom/xmldom 0.9 throws on fatal errors (two roots, unclosed tags, duplicate attributes...).
    failure ??= (err as Error).message;
  }
  if (failure || !doc?.documentElement) reject(codes.malformed, `The ${what} is not well-formed XML${failure ? `: ${failure.split('\n')[0]}` : ''}.`);
  return doc!;
}

const time = (value: string | null, what: string): Date | undefined => {
  if (!value) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) reject('saml-response-malformed', `${what} is not a date: ${value}.`);
  return new Date(ms);
};

/** A response read but not yet checked: enough to find the request it answers (and so its connection). */
export interface ReadResponse {
  xml: string;
  doc: Document;
  /** InResponseTo as the Response states it (checked against the assertion's later). */
  inResponseTo: string | undefined;
}

export function readResponse(xml: string): ReadResponse {
  const doc = parseSaml(xml, 'SAMLResponse', { doctype: 'saml-doctype', malformed: 'saml-response-malformed' });
  const root = doc.documentElement!;
  if (root.namespaceURI !== SAMLP || root.localName !== 'Response') reject('saml-response-malformed', `Expected a samlp:Response, got ${root.tagName}.`);
  return { xml, doc, inResponseTo: root.getAttribute('InResponseTo') || undefined };
}

export function checkResponse(response: string | ReadResponse, expect: Expectations): CheckedResponse {
  const { xml, doc } = typeof response === 'string' ? readResponse(response) : response;
  const root = doc.documentElement!;
  // What passed, in order, for traces (`rehearsal login --trace`): a refusal stops the list at the check that failed.
  const checks: string[] = ['size', 'no-doctype', 'well-formed'];

  // Status first: an IdP error is not a forgery.
  const status = children(root, SAMLP, 'Status')[0];
  const codes = status ? elements(status, SAMLP, 'StatusCode').map((c) => c.getAttribute('Value') ?? '') : [];
  if (codes[0] !== SUCCESS) {
    const message = status ? elements(status, SAMLP, 'StatusMessage')[0]?.textContent : undefined;
    reject('saml-status-not-success', `The IdP answered ${codes.map((c) => c.split(':').pop()).join('/') || 'no status'}${message ? `: ${message}` : ''}.`);
  }

  checks.push('status-success');

  // Exactly one assertion, anywhere in the document (wrapping hides copies in Extensions, Signature, Object...).
  const assertions = elements(doc, SAML, 'Assertion');
  const encrypted = elements(doc, SAML, 'EncryptedAssertion');
  if (encrypted.length) reject('saml-assertion-encrypted', 'The assertion is encrypted; this connection expects plain, signed assertions.');
  if (assertions.length !== 1)
    reject(
      assertions.length ? 'saml-assertion-count' : 'saml-assertion-missing',
      `The response holds ${assertions.length} assertions; exactly one is accepted.`,
    );
  const assertion = assertions[0]!;
  if (assertion.parentNode !== root) reject('saml-assertion-count', 'The assertion is not a direct child of the Response.');
  if (elements(doc, SAMLP, 'Response').length !== 1) reject('saml-response-malformed', 'The document holds more than one Response.');

  checks.push('one-assertion');

  // Identifiers must be unique: a duplicate ID is how a wrapped copy gets picked.
  const ids = [root, assertion, ...elements(doc, DSIG, 'Signature')].map((e) => e.getAttribute('ID')).filter(Boolean);
  if (new Set(ids).size !== ids.length) reject('saml-duplicate-id', 'Two elements carry the same ID.');

  checks.push('unique-ids');

  // Algorithms: an allow-list, for every signature in the document.
  for (const method of elements(doc, DSIG, 'SignatureMethod')) {
    const alg = method.getAttribute('Algorithm') ?? '';
    if (!ALLOWED_SIGNATURES.has(alg)) reject('saml-signature-algorithm', `Signature algorithm ${alg} is not accepted: rsa-sha256 or rsa-sha512 only.`);
  }
  for (const method of elements(doc, DSIG, 'DigestMethod')) {
    const alg = method.getAttribute('Algorithm') ?? '';
    if (!ALLOWED_DIGESTS.has(alg)) reject('saml-signature-algorithm', `Digest algorithm ${alg} is not accepted: sha256 or sha512 only.`);
  }
  for (const signedInfo of elements(doc, DSIG, 'SignedInfo')) {
    if (elements(signedInfo, DSIG, 'Reference').length !== 1) reject('saml-signature-invalid', 'A signature must cover exactly one element.');
    const transforms = elements(signedInfo, DSIG, 'Transform');
    if (transforms.length > 2 || transforms.some((t) => !ALLOWED_TRANSFORMS.has(t.getAttribute('Algorithm') ?? '')))
      reject('saml-signature-invalid', 'A signature uses transforms SAML does not need.');
  }
  for (const signature of elements(doc, DSIG, 'Signature')) {
    if (children(signature, DSIG, 'SignedInfo').length !== 1) reject('saml-signature-invalid', 'A signature must hold exactly one SignedInfo.');
  }
  checks.push('algorithms');

  // The assertion signed itself; where the connection allows it, a signed Response covering it instead (the library checks each signature).
  const assertionSigned = signsItsParent(assertion);
  const responseSigned = signsItsParent(root);
  if (!assertionSigned && (expect.wantAssertionsSigned ?? true))
    reject('saml-assertion-unsigned', 'The assertion is not signed by the IdP (this connection wants assertions signed).');
  if (!assertionSigned && !responseSigned) reject('saml-assertion-unsigned', 'Neither the assertion nor the response is signed by the IdP.');

  checks.push(assertionSigned ? 'assertion-signed' : 'response-signed');

  // Where and for whom. SAML requires a Destination on signed Responses only (SAML bindings §3.5.5.2).
  const destination = root.getAttribute('Destination');
  if (!destination && responseSigned) reject('saml-destination-missing', 'The response is signed but names no Destination.');
  if (destination && destination !== expect.acsUrl) reject('saml-destination-mismatch', `The response is for ${destination}, not this ACS (${expect.acsUrl}).`);
  const issuers = [children(root, SAML, 'Issuer')[0], children(assertion, SAML, 'Issuer')[0]];
  if (!issuers[1]) reject('saml-issuer-missing', 'The assertion names no Issuer.');
  for (const issuer of issuers) {
    if (issuer && issuer.textContent?.trim() !== expect.issuer)
      reject('saml-issuer-mismatch', `The response comes from ${issuer.textContent?.trim()}, not the connection's IdP (${expect.issuer}).`);
  }
  const audiences = elements(assertion, SAML, 'Audience').map((a) => a.textContent?.trim());
  if (!audiences.length) reject('saml-audience-missing', 'The assertion has no AudienceRestriction.');
  if (!audiences.includes(expect.audience)) reject('saml-audience-mismatch', `The assertion is for ${audiences.join(', ')}, not ${expect.audience}.`);

  checks.push('destination', 'issuer', 'audience');

  const bearer = elements(assertion, SAML, 'SubjectConfirmation').find((c) => c.getAttribute('Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  const data = bearer && children(bearer, SAML, 'SubjectConfirmationData')[0];
  if (!data) reject('saml-subject-confirmation-missing', 'The assertion has no bearer SubjectConfirmationData.');
  if (data!.getAttribute('Recipient') !== expect.acsUrl)
    reject('saml-recipient-mismatch', `The assertion may be used at ${data!.getAttribute('Recipient')}, not this ACS (${expect.acsUrl}).`);

  checks.push('recipient');

  // Time, on the gateway's clock, with the allowed skew.
  const now = expect.now.getTime();
  const conditions = children(assertion, SAML, 'Conditions')[0];
  const notBefore = time(conditions?.getAttribute('NotBefore') ?? null, 'NotBefore');
  const windows = [
    time(conditions?.getAttribute('NotOnOrAfter') ?? null, 'NotOnOrAfter'),
    time(data!.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter'),
  ].filter((d): d is Date => d !== undefined);
  if (!windows.length) reject('saml-assertion-expired', 'The assertion has no NotOnOrAfter: it would never expire.');
  if (notBefore && now + CLOCK_SKEW_MS < notBefore.getTime())
    reject('saml-assertion-not-yet-valid', `The assertion is valid from ${notBefore.toISOString()}; it is ${expect.now.toISOString()} here.`);
  const notOnOrAfter = new Date(Math.min(...windows.map((d) => d.getTime())));
  if (now - CLOCK_SKEW_MS >= notOnOrAfter.getTime())
    reject('saml-assertion-expired', `The assertion expired at ${notOnOrAfter.toISOString()}; it is ${expect.now.toISOString()} here.`);

  checks.push('time-window');

  // InResponseTo must agree between the Response and the confirmation data.
  const inResponseTo = root.getAttribute('InResponseTo') || undefined;
  const confirmationIrt = data!.getAttribute('InResponseTo') || undefined;
  if (inResponseTo !== confirmationIrt && confirmationIrt !== undefined)
    reject('saml-in-response-to-mismatch', 'The Response and its assertion answer different requests.');

  checks.push('in-response-to-consistent');

  // The NameID, whole: a comment inside it must not shorten what is read.
  const nameIdElement = elements(assertion, SAML, 'NameID')[0];
  if (!nameIdElement) reject('saml-name-id-missing', 'The assertion has no NameID.');
  if (Array.from(nameIdElement!.childNodes).some((n) => n.nodeType !== 3)) reject('saml-name-id-malformed', 'The NameID holds markup or comments.');
  const nameId = nameIdElement!.textContent?.trim() ?? '';
  if (!nameId) reject('saml-name-id-missing', 'The NameID is empty.');

  checks.push('name-id');
  return { xml, inResponseTo: inResponseTo ?? confirmationIrt, assertionId: assertion.getAttribute('ID')!, notOnOrAfter, nameId, checks };
}
