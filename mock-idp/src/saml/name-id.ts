import { createHmac, hkdfSync } from 'node:crypto';
import type { SigningCredential } from '@rehearsal/runtime/credentials';
import type { IdpUser } from '../directory/user.ts';
import { NAME_ID_FORMATS, type NameIdFormat, type ServiceProvider } from '../service-providers/service-provider.ts';
import { badRequest } from '../reasons.ts';

const pairwiseKeys = new WeakMap<SigningCredential, Buffer>();

/** The key pseudonyms are made with: derived from the IdP's signing key, so they survive restarts as the key does. */
function pairwiseKey(credential: SigningCredential): Buffer {
  let key = pairwiseKeys.get(credential);
  if (!key) {
    const material = credential.privateKey.export({ type: 'pkcs8', format: 'der' });
    key = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'rehearsal persistent NameID', 32));
    pairwiseKeys.set(credential, key);
  }
  return key;
}

/**
 * A persistent NameID as SAML core §8.3.7 wants it: opaque, the same for a
 * user at one SP every time, different at every other SP (so two SPs cannot
 * correlate their users), and telling nothing of the email. The user's
 * directory id goes in, so an email change keeps the identifier.
 */
export function pairwiseId(credential: SigningCredential, user: Pick<IdpUser, 'id'>, spEntityId: string): string {
  return createHmac('sha256', pairwiseKey(credential)).update(`${user.id}\n${spEntityId}`).digest('base64url');
}

/**
 * The format of this login's NameID: the one the AuthnRequest's NameIDPolicy
 * asks for among those the SP allows, else the SP's own. Undefined when the
 * request asks for one the SP does not allow (answered InvalidNameIDPolicy).
 */
export function nameIdFormatFor(sp: ServiceProvider, requested: string | undefined): NameIdFormat | undefined {
  if (!requested || requested === NAME_ID_FORMATS.unspecified) return sp.nameIdFormat;
  const format = (Object.keys(NAME_ID_FORMATS) as NameIdFormat[]).find((k) => NAME_ID_FORMATS[k] === requested);
  return format && sp.nameIdFormats.includes(format) ? format : undefined;
}

export const unsupportedNameIdFormat = (sp: ServiceProvider, requested: string) =>
  `The requested NameID format ${requested} is not one ${sp.entityId} allows (${sp.nameIdFormats.join(', ')}).`;

/** `formatFor` or a 400, for callers that have no ACS to answer at. */
export function requireNameIdFormat(sp: ServiceProvider, requested: string | undefined): NameIdFormat {
  const format = nameIdFormatFor(sp, requested);
  if (!format) throw badRequest('invalid-name-id-policy', unsupportedNameIdFormat(sp, requested!));
  return format;
}
