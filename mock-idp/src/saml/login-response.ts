import type { Clock } from '@rehearsal/runtime';
import { badRequest } from '../reasons.ts';
import type { Directory } from '../directory/directory.ts';
import type { IdpUser } from '../directory/user.ts';
import type { SigningCredential } from '@rehearsal/runtime/credentials';
import { NAME_ID_FORMATS, type NameIdFormat, type ServiceProvider, type UserSource } from '../service-providers/service-provider.ts';
import { samlId } from './random-ids.ts';
import { pairwiseId, requireNameIdFormat } from './name-id.ts';
import { buildSignedResponse, STATUS, type ResponseSpec, type SamlAttribute, type SigningSpec } from './response.ts';

const PASSWORD_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const MFA_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor';
/** How far back NotBefore reaches, for SPs whose clocks run a little behind. */
const NOT_BEFORE_SKEW_MS = 60_000;

export interface LoginResponseInput {
  sp: ServiceProvider;
  user: IdpUser;
  acsUrl: string;
  inResponseTo?: string;
  /** The format the AuthnRequest's NameIDPolicy asked for, when it named one. */
  requestedNameIdFormat?: string;
  authnInstant: Date;
  sessionIndex: string;
  mfa: boolean;
}

export interface IdpIdentity {
  entityId: string;
  credential: SigningCredential;
  clock: Clock;
  directory: Directory;
}

function sourceValues(directory: Directory, user: IdpUser, source: UserSource): string[] {
  if (source === 'groups') return directory.memberOf(user);
  if (source === 'groupIds') return directory.memberOf(user).map((g) => directory.getGroup(g).id);
  const value = user[source];
  return value === undefined ? [] : [String(value)];
}

/** The attributes an SP receives for a user, as the login page shows them before sending. */
export function attributesFor(directory: Directory, sp: ServiceProvider, user: IdpUser): SamlAttribute[] {
  return sp.attributes.map((a) => ({ name: a.name, nameFormat: a.nameFormat, friendlyName: a.friendlyName, values: sourceValues(directory, user, a.source) }));
}

/**
 * The NameID's value: from the SP's `nameIdSource` when it names one; else
 * random per login (transient), a pairwise pseudonym (persistent) or the email.
 */
function nameIdValueFor(idp: IdpIdentity, sp: ServiceProvider, user: IdpUser, format: NameIdFormat): string {
  if (format === 'transient') return samlId();
  if (sp.nameIdSource === undefined && format === 'persistent') return pairwiseId(idp.credential, user, sp.entityId);
  const source = sp.nameIdSource ?? 'email';
  const value = sourceValues(idp.directory, user, source)[0];
  if (!value) throw badRequest('name-id-source-empty', `${user.email} has no ${source}, which ${sp.entityId} uses as NameID.`);
  return value;
}

/** The response specification for a successful login, before any fault alters it. */
export function loginResponseSpec(idp: IdpIdentity, input: LoginResponseInput): ResponseSpec {
  const now = idp.clock.now();
  const { sp, user } = input;
  const format = requireNameIdFormat(sp, input.requestedNameIdFormat);
  const nameIdValue = nameIdValueFor(idp, sp, user, format);
  return {
    id: samlId(),
    issuer: idp.entityId,
    issueInstant: now,
    destination: input.acsUrl,
    inResponseTo: input.inResponseTo,
    status: { code: STATUS.success },
    assertion: {
      id: samlId(),
      issuer: idp.entityId,
      issueInstant: now,
      nameId: {
        value: nameIdValue,
        format: NAME_ID_FORMATS[format],
        ...(format === 'persistent' || format === 'transient' ? { spNameQualifier: sp.entityId } : {}),
      },
      recipient: input.acsUrl,
      inResponseTo: input.inResponseTo,
      notBefore: new Date(now.getTime() - NOT_BEFORE_SKEW_MS),
      notOnOrAfter: new Date(now.getTime() + sp.assertionLifetimeMs),
      audience: sp.entityId,
      authnInstant: input.authnInstant,
      sessionIndex: input.sessionIndex,
      authnContextClassRef: input.mfa ? MFA_CONTEXT : PASSWORD_CONTEXT,
      attributes: attributesFor(idp.directory, sp, user),
    },
  };
}

/** An error response (no assertion), for IsPassive without a session or a refused login. */
export function errorResponseSpec(
  idp: IdpIdentity,
  acsUrl: string,
  inResponseTo: string | undefined,
  code: string,
  subCode?: string,
  message?: string,
): ResponseSpec {
  return { id: samlId(), issuer: idp.entityId, issueInstant: idp.clock.now(), destination: acsUrl, inResponseTo, status: { code, subCode, message } };
}

/** What the SP's signing option asks for; a response without an assertion is always signed. */
export function signingFor(idp: IdpIdentity, sp: ServiceProvider, hasAssertion: boolean): SigningSpec {
  return {
    credential: idp.credential,
    algorithm: sp.signatureAlgorithm,
    assertion: sp.signing !== 'response',
    response: sp.signing !== 'assertion' || !hasAssertion,
  };
}

export function signResponse(idp: IdpIdentity, sp: ServiceProvider, spec: ResponseSpec): string {
  return buildSignedResponse(spec, signingFor(idp, sp, spec.assertion !== undefined));
}
