import { inflateRawSync } from 'node:zlib';
import type { Element } from '@xmldom/xmldom';
import type { GatewayReason } from '../reasons.ts';
import { ALLOWED_SIGNATURES, children, DSIG, parseSaml, SAML, SAMLP, SamlRejection } from './response-checks.ts';

/** A logout message as it arrived, on either front-channel binding. */
export type LogoutDelivery =
  { binding: 'redirect'; query: Record<string, string | undefined>; rawQuery: string } | { binding: 'post'; fields: Record<string, string | undefined> };

/** What the gateway reads of a logout message before its signature is checked (by node-saml, with the connection's certificate). */
export interface LogoutEnvelope {
  kind: 'request' | 'response';
  xml: string;
  id: string;
  inResponseTo?: string;
  destination?: string;
  issuer?: string;
  status?: string;
  relayState?: string;
  /** A LogoutRequest's NameID and SessionIndexes (read from the signed root, used once its signature holds). */
  nameId?: string;
  sessionIndexes: string[];
}

const MAX_XML_BYTES = 64 * 1024;
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

const codes = (kind: 'request' | 'response') =>
  kind === 'request'
    ? ({ unsigned: 'slo-request-unsigned', invalid: 'slo-request-invalid' } as const)
    : ({ unsigned: 'slo-response-unsigned', invalid: 'slo-response-invalid' } as const);
const reject = (code: GatewayReason, message: string): never => {
  throw new SamlRejection(code, message);
};

/**
 * Decodes and reads a LogoutRequest or LogoutResponse, refusing what SAML's
 * front-channel bindings forbid before any library sees it: no DOCTYPE, a
 * bounded size, and a signature (SAML profiles §4.4.4.1: logout messages on
 * these bindings MUST be signed) with an accepted algorithm.
 */
export function readLogoutMessage(delivery: LogoutDelivery): LogoutEnvelope {
  const values = delivery.binding === 'redirect' ? delivery.query : delivery.fields;
  const kind = values.SAMLRequest ? 'request' : values.SAMLResponse ? 'response' : reject('slo-message-missing', 'No SAMLRequest or SAMLResponse.');
  const { unsigned, invalid } = codes(kind);
  const encoded = (kind === 'request' ? values.SAMLRequest : values.SAMLResponse)!;
  if (encoded.length > MAX_XML_BYTES * 2 || !/^[A-Za-z0-9+/=\s]+$/.test(encoded)) reject(invalid, 'The logout message is not base64, or too large.');
  let xml: string;
  try {
    const bytes = Buffer.from(encoded, 'base64');
    xml = (delivery.binding === 'redirect' ? inflateRawSync(bytes, { maxOutputLength: MAX_XML_BYTES }) : bytes).toString('utf8');
  } catch {
    return reject(invalid, 'The logout message does not decode (the Redirect binding deflates it).');
  }
  if (Buffer.byteLength(xml) > MAX_XML_BYTES) reject(invalid, 'The logout message is too large.');
  const root = parseSaml(xml, 'logout message', { doctype: invalid, malformed: invalid }).documentElement!;
  const expected = kind === 'request' ? 'LogoutRequest' : 'LogoutResponse';
  if (root.namespaceURI !== SAMLP || root.localName !== expected) reject(invalid, `Expected a samlp:${expected}.`);
  const child = (ns: string, name: string): Element | undefined => children(root, ns, name)[0];
  if (delivery.binding === 'redirect') {
    if (!delivery.query.Signature || !delivery.query.SigAlg) reject(unsigned, `The ${expected} is not signed (SAML requires it on this binding).`);
    if (!ALLOWED_SIGNATURES.has(delivery.query.SigAlg!))
      reject(invalid, `Signature algorithm ${delivery.query.SigAlg} is not accepted: rsa-sha256 or rsa-sha512 only.`);
  } else if (!child(DSIG, 'Signature')) {
    reject(unsigned, `The ${expected} is not signed (SAML requires it on this binding).`);
  }
  const statusCode = child(SAMLP, 'Status');
  const code = statusCode && Array.from(statusCode.getElementsByTagNameNS(SAMLP, 'StatusCode'))[0]?.getAttribute('Value');
  return {
    kind,
    xml,
    id: root.getAttribute('ID') ?? '',
    inResponseTo: root.getAttribute('InResponseTo') || undefined,
    destination: root.getAttribute('Destination') || undefined,
    issuer: child(SAML, 'Issuer')?.textContent?.trim(),
    status: code ?? undefined,
    relayState: values.RelayState,
    nameId: child(SAML, 'NameID')?.textContent?.trim(),
    sessionIndexes: children(root, SAMLP, 'SessionIndex')
      .map((n) => n.textContent?.trim() ?? '')
      .filter(Boolean),
  };
}

/** The checks of a LogoutResponse that node-saml skips on the POST binding: status, issuer, destination. */
export function checkLogoutResponse(envelope: LogoutEnvelope, expect: { issuer: string; destination: string }): void {
  if (envelope.status !== SUCCESS) reject('slo-response-invalid', `The IdP answered the logout with ${envelope.status?.split(':').pop() ?? 'no status'}.`);
  if (envelope.issuer !== expect.issuer)
    reject('slo-response-invalid', `The LogoutResponse comes from ${envelope.issuer ?? 'no issuer'}, not ${expect.issuer}.`);
  if (envelope.destination !== undefined && envelope.destination !== expect.destination)
    reject('slo-response-invalid', `The LogoutResponse is for ${envelope.destination}, not ${expect.destination}.`);
}
