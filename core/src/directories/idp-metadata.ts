import { X509Certificate } from 'node:crypto';
import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { fetchDocument, FetchFailure } from '@rehearsal/runtime';
import { badRequest, CORE_REASONS } from '../reasons.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** Federation aggregates are far larger; one IdP's metadata is a few KiB. */
export const MAX_METADATA_BYTES = 512 * 1024;

/** What a connection takes from an IdP's metadata. */
export interface ImportedIdp {
  idpEntityId: string;
  /** SingleSignOnService on HTTP-Redirect: where the gateway sends its AuthnRequests. */
  ssoUrl: string;
  /** SingleLogoutService on HTTP-Redirect, if the IdP has one. */
  sloUrl?: string;
  /** The signing certificates, as PEM: the first verifies responses; more than one means a rollover is staged. */
  certificates: string[];
  /** WantAuthnRequestsSigned: the IdP wants the gateway's AuthnRequests signed. */
  wantsSignedRequests: boolean;
  /** Whether the metadata itself was signed and verified with the certificate given. */
  signatureVerified: boolean;
}

const refuse = (code: Parameters<typeof CORE_REASONS.error>[0], message: string) => CORE_REASONS.error(code, message);
const children = (el: Element, ns: string, name: string): Element[] =>
  Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name);
const pem = (base64: string) => new X509Certificate(`-----BEGIN CERTIFICATE-----\n${base64.replace(/\s+/g, '')}\n-----END CERTIFICATE-----`).toString();

/**
 * Reads an IdP's SAML 2.0 metadata (an EntityDescriptor, or an
 * EntitiesDescriptor holding exactly one IdP): entity ID, SSO and SLO on the
 * Redirect binding, signing certificates. Refuses a DOCTYPE and oversized
 * documents before parsing; with `verifyWith` (a PEM certificate), the
 * document must carry an enveloped signature over its root that verifies.
 */
export function readIdpMetadata(xml: string, options: { verifyWith?: string; now: Date }): ImportedIdp {
  if (Buffer.byteLength(xml) > MAX_METADATA_BYTES) throw refuse('metadata-too-large', 'The metadata is larger than 512 KiB.');
  if (/<!DOCTYPE/i.test(xml)) throw refuse('metadata-doctype', 'The metadata carries a DOCTYPE, which is refused.');
  let root: Element | null;
  try {
    root = new DOMParser({
      onError: (level: string, message: string) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml').documentElement;
  } catch (err) {
    throw refuse('metadata-invalid', `The metadata is not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!root || root.namespaceURI !== MD || (root.localName !== 'EntityDescriptor' && root.localName !== 'EntitiesDescriptor'))
    throw refuse('metadata-invalid', 'Expected an md:EntityDescriptor (or an md:EntitiesDescriptor around one).');
  const entities = root.localName === 'EntityDescriptor' ? [root] : children(root, MD, 'EntityDescriptor');
  const idps = entities.filter((e) => children(e, MD, 'IDPSSODescriptor').length > 0);
  if (idps.length !== 1) throw refuse('metadata-invalid', `The metadata describes ${idps.length} identity providers; exactly one is imported.`);
  const entity = idps[0]!;
  const idpEntityId = entity.getAttribute('entityID')?.trim();
  if (!idpEntityId) throw refuse('metadata-invalid', 'The EntityDescriptor has no entityID.');
  for (const el of [root, entity]) {
    const validUntil = el.getAttribute('validUntil');
    if (validUntil && Date.parse(validUntil) <= options.now.getTime()) throw refuse('metadata-expired', `The metadata was valid until ${validUntil}.`);
  }
  const signatureVerified = options.verifyWith === undefined ? false : verifySignature(xml, root, options.verifyWith);
  const descriptor = children(entity, MD, 'IDPSSODescriptor')[0]!;
  const redirectOf = (name: string) =>
    children(descriptor, MD, name)
      .find((s) => s.getAttribute('Binding') === REDIRECT)
      ?.getAttribute('Location') ?? undefined;
  const ssoUrl = redirectOf('SingleSignOnService');
  if (!ssoUrl || !/^https?:\/\//.test(ssoUrl)) throw refuse('metadata-no-redirect-sso', 'The IDPSSODescriptor has no SingleSignOnService on HTTP-Redirect.');
  const sloUrl = redirectOf('SingleLogoutService');
  const certificates: string[] = [];
  for (const key of children(descriptor, MD, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const cert of Array.from(key.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      try {
        certificates.push(pem(cert.textContent ?? ''));
      } catch {
        throw badRequest('invalid-certificate', 'A signing certificate in the metadata is not a usable X.509 certificate.');
      }
    }
  }
  if (!certificates.length) throw refuse('metadata-no-signing-certificate', 'The IDPSSODescriptor publishes no signing certificate.');
  return {
    idpEntityId,
    ssoUrl,
    ...(sloUrl && /^https?:\/\//.test(sloUrl) ? { sloUrl } : {}),
    certificates: [...new Set(certificates)],
    wantsSignedRequests: descriptor.getAttribute('WantAuthnRequestsSigned') === 'true',
    signatureVerified,
  };
}

/** The root's own enveloped signature, by the certificate given, covering the root and nothing else. */
function verifySignature(xml: string, root: Element, certificate: string): boolean {
  const signature = children(root, DS, 'Signature')[0];
  if (!signature) throw refuse('metadata-unsigned', 'A certificate was given to check the metadata, and the metadata is not signed.');
  const id = root.getAttribute('ID');
  const signed = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
  try {
    signed.loadSignature(new XMLSerializer().serializeToString(signature));
    const references = signed.getReferences();
    const coversRoot = references.length === 1 && (references[0]!.uri === '' || (id !== null && references[0]!.uri === `#${id}`));
    if (coversRoot && signed.checkSignature(xml)) return true;
  } catch {
    // any failure of the library is a failed check
  }
  throw refuse('metadata-signature-invalid', "The metadata's signature does not verify with the certificate given, or does not cover the whole document.");
}

/** The metadata at a URL: http(s) only, 5 seconds, 512 KiB. */
export async function fetchIdpMetadata(url: string): Promise<string> {
  try {
    return await fetchDocument(url, { maxBytes: MAX_METADATA_BYTES, timeoutMs: 5000 });
  } catch (err) {
    if (!(err instanceof FetchFailure)) throw err;
    throw refuse(err.reason === 'too-large' ? 'metadata-too-large' : 'metadata-unreachable', err.message);
  }
}
