import { sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { Element } from '@xmldom/xmldom';
import { badRequest } from '../reasons.ts';
import type { SigningCredential } from '@rehearsal/runtime/credentials';
import { childElement, childElements, readRequestEnvelope } from './binding.ts';
import { textElement } from '@rehearsal/runtime/xml';
import { protocolMessage, SAML_ASSERTION, SAML_PROTOCOL, statusElement } from './response.ts';
import { SIGNATURE_ALGORITHMS, signEnveloped, type SignatureAlgorithm } from './signature.ts';

/** What the IdP needs from a LogoutRequest. */
export interface LogoutRequest {
  id: string;
  issuer: string;
  nameId?: string;
  sessionIndexes: string[];
  signed: boolean;
  xml: string;
}

export function readLogoutRequest(xml: string): LogoutRequest {
  const { root, id, issuer, signed } = readRequestEnvelope(xml, 'LogoutRequest');
  const nameId = childElement(root, SAML_ASSERTION, 'NameID')?.textContent?.trim();
  if (!nameId && !childElement(root, SAML_ASSERTION, 'EncryptedID') && !childElement(root, SAML_ASSERTION, 'BaseID'))
    throw badRequest('invalid-logout-request', 'The LogoutRequest names no principal (NameID).');
  return {
    id,
    issuer,
    nameId: nameId || undefined,
    sessionIndexes: childElements(root, SAML_PROTOCOL, 'SessionIndex').map((e: Element) => (e.textContent ?? '').trim()),
    signed,
    xml,
  };
}

export interface LogoutResponseSpec {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination: string;
  inResponseTo: string;
  statusCode: string;
  /** A second-level status, such as PartialLogout under Success. */
  subStatusCode?: string;
}

/** What the IdP needs from an SP's LogoutResponse to its LogoutRequest. */
export interface LogoutResponse {
  id: string;
  issuer: string;
  inResponseTo?: string;
  status: string;
  signed: boolean;
  xml: string;
}

export function readLogoutResponse(xml: string): LogoutResponse {
  const { root, id, issuer, signed } = readRequestEnvelope(xml, 'LogoutResponse');
  const status = childElement(root, SAML_PROTOCOL, 'Status');
  const code = status && childElement(status, SAML_PROTOCOL, 'StatusCode')?.getAttribute('Value');
  return { id, issuer, inResponseTo: root.getAttribute('InResponseTo') || undefined, status: code || '', signed, xml };
}

export interface LogoutRequestSpec {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination: string;
  /** The NameID the SP was sent at login, as it was sent. */
  nameId: { value: string; format?: string; spNameQualifier?: string };
  sessionIndex: string;
}

/** The IdP's LogoutRequest to a session participant (SAML core §3.7.1). */
export function buildLogoutRequest(r: LogoutRequestSpec): string {
  return protocolMessage(
    'samlp:LogoutRequest',
    r,
    textElement('NameID', { xmlns: SAML_ASSERTION, Format: r.nameId.format, SPNameQualifier: r.nameId.spNameQualifier }, r.nameId.value),
    textElement('samlp:SessionIndex', {}, r.sessionIndex),
  );
}

export function buildLogoutResponse(r: LogoutResponseSpec): string {
  return protocolMessage('samlp:LogoutResponse', r, statusElement(r.statusCode, r.subStatusCode));
}

export interface Signer {
  credential: SigningCredential;
  algorithm: SignatureAlgorithm;
}

/** HTTP-POST: the message carries an enveloped signature; the form field is its base64. */
export function postBindingValue(xml: string, id: string, signer: Signer): { value: string; xml: string } {
  const signed = signEnveloped(xml, id, signer.credential, signer.algorithm);
  return { value: Buffer.from(signed).toString('base64'), xml: signed };
}

/**
 * HTTP-Redirect: DEFLATE, base64, and a signature over the query string
 * (SAMLResponse, RelayState, SigAlg in that order) as SAML bindings §3.4.4.1 says.
 */
export function redirectBindingUrl(
  location: string,
  parameter: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  relayState: string | undefined,
  signer: Signer,
): string {
  const alg = SIGNATURE_ALGORITHMS[signer.algorithm];
  let query = `${parameter}=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
  if (relayState !== undefined) query += `&RelayState=${encodeURIComponent(relayState)}`;
  query += `&SigAlg=${encodeURIComponent(alg.signature)}`;
  const signature = sign(alg.hash, Buffer.from(query), signer.credential.privateKey).toString('base64');
  return `${location}${location.includes('?') ? '&' : '?'}${query}&Signature=${encodeURIComponent(signature)}`;
}
