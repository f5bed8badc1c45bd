import type { SigningCredential } from '@rehearsal/runtime/credentials';
import { element, textElement } from '@rehearsal/runtime/xml';
import { signEnveloped, type SignatureAlgorithm } from './signature.ts';

export const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
} as const;

export interface SamlAttribute {
  name: string;
  nameFormat?: string;
  friendlyName?: string;
  values: string[];
}

export interface AssertionSpec {
  id: string;
  issuer: string;
  issueInstant: Date;
  /** Omitted for the missing-NameID fault. */
  nameId?: { value: string; format: string; spNameQualifier?: string };
  /** SubjectConfirmationData: where and for which request the assertion may be used. */
  recipient: string;
  inResponseTo?: string;
  notBefore: Date;
  notOnOrAfter: Date;
  audience: string;
  authnInstant: Date;
  sessionIndex: string;
  sessionNotOnOrAfter?: Date;
  authnContextClassRef: string;
  attributes: SamlAttribute[];
}

export interface ResponseSpec {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination: string;
  inResponseTo?: string;
  status: { code: string; subCode?: string; message?: string };
  /** Absent on an error status. */
  assertion?: AssertionSpec;
}

export interface SigningSpec {
  credential: SigningCredential;
  algorithm: SignatureAlgorithm;
  assertion: boolean;
  response: boolean;
}

/** SAML wants seconds-precision UTC; milliseconds are allowed but some SPs choke on them. */
export const samlTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function buildAssertion(a: AssertionSpec): string {
  const subject = element(
    'Subject',
    {},
    a.nameId ? textElement('NameID', { Format: a.nameId.format, SPNameQualifier: a.nameId.spNameQualifier }, a.nameId.value) : '',
    element(
      'SubjectConfirmation',
      { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' },
      element('SubjectConfirmationData', { InResponseTo: a.inResponseTo, NotOnOrAfter: samlTime(a.notOnOrAfter), Recipient: a.recipient }),
    ),
  );
  const conditions = element(
    'Conditions',
    { NotBefore: samlTime(a.notBefore), NotOnOrAfter: samlTime(a.notOnOrAfter) },
    element('AudienceRestriction', {}, textElement('Audience', {}, a.audience)),
  );
  const attributes = a.attributes.filter((attr) => attr.values.length > 0);
  const statement = attributes.length
    ? element(
        'AttributeStatement',
        {},
        ...attributes.map((attr) =>
          element(
            'Attribute',
            { FriendlyName: attr.friendlyName, Name: attr.name, NameFormat: attr.nameFormat },
            ...attr.values.map((v) => textElement('AttributeValue', {}, v)),
          ),
        ),
      )
    : '';
  const authn = element(
    'AuthnStatement',
    { AuthnInstant: samlTime(a.authnInstant), SessionIndex: a.sessionIndex, SessionNotOnOrAfter: a.sessionNotOnOrAfter && samlTime(a.sessionNotOnOrAfter) },
    element('AuthnContext', {}, textElement('AuthnContextClassRef', {}, a.authnContextClassRef)),
  );
  return element(
    'Assertion',
    { xmlns: SAML_ASSERTION, ID: a.id, IssueInstant: samlTime(a.issueInstant), Version: '2.0' },
    textElement('Issuer', {}, a.issuer),
    subject,
    conditions,
    statement,
    authn,
  );
}

/**
 * The Response element: `assertionXml` is placed as given (already signed, or
 * altered by a fault); the Response is signed over it when asked.
 */
export function buildResponse(r: ResponseSpec, assertionXml: string, signing?: Pick<SigningSpec, 'credential' | 'algorithm'>): string {
  const xml = protocolMessage('samlp:Response', r, statusElement(r.status.code, r.status.subCode, r.status.message), assertionXml);
  return signing ? signEnveloped(xml, r.id, signing.credential, signing.algorithm) : xml;
}

/** A complete, signed login response as the signing options ask. */
export function buildSignedResponse(r: ResponseSpec, signing: SigningSpec): string {
  let assertion = r.assertion ? buildAssertion(r.assertion) : '';
  if (r.assertion && signing.assertion) assertion = signEnveloped(assertion, r.assertion.id, signing.credential, signing.algorithm);
  return buildResponse(r, assertion, signing.response ? signing : undefined);
}

/** A samlp:Status: the top-level code, a second-level one if any, and a message if any. */
export function statusElement(code: string, subCode?: string, message?: string): string {
  return element(
    'samlp:Status',
    {},
    element('samlp:StatusCode', { Value: code }, subCode ? element('samlp:StatusCode', { Value: subCode }) : ''),
    message ? textElement('samlp:StatusMessage', {}, message) : '',
  );
}

/**
 * A samlp message the IdP sends (Response, LogoutRequest, LogoutResponse):
 * its header attributes and Issuer, then its own children.
 */
export function protocolMessage(
  name: string,
  m: { id: string; issuer: string; issueInstant: Date; destination: string; inResponseTo?: string },
  ...children: string[]
): string {
  return element(
    name,
    {
      'xmlns:samlp': SAML_PROTOCOL,
      Destination: m.destination,
      ID: m.id,
      InResponseTo: m.inResponseTo,
      IssueInstant: samlTime(m.issueInstant),
      Version: '2.0',
    },
    textElement('Issuer', { xmlns: SAML_ASSERTION }, m.issuer),
    ...children,
  );
}
