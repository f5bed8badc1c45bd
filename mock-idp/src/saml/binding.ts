import { createPublicKey, verify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { badRequest, IDP_REASONS, type IdpReason } from '../reasons.ts';
import type { ServiceProvider } from '../service-providers/service-provider.ts';
import { SAML_ASSERTION, SAML_PROTOCOL } from './response.ts';
import { MAX_MESSAGE_BYTES, refuseDoctype } from './xml-safety.ts';

const REDIRECT_SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};

export const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

const refuse = (code: IdpReason, message: string) => badRequest(code, message);

function decodeBase64(value: string, what: string): Buffer {
  if (value.length > (MAX_MESSAGE_BYTES * 4) / 3 + 4)
    throw IDP_REASONS.error('message-too-large', `The ${what} is larger than ${MAX_MESSAGE_BYTES} bytes.`, { status: 413 });
  if (!/^[A-Za-z0-9+/=\s]*$/.test(value)) throw refuse('invalid-encoding', `The ${what} is not base64.`);
  return Buffer.from(value, 'base64');
}

/** HTTP-Redirect: base64 of raw DEFLATE, inflated with a cap so a small bomb cannot expand. */
export function decodeRedirectMessage(value: string, what = 'SAMLRequest'): string {
  const raw = decodeBase64(value, what);
  try {
    return inflateRawSync(raw, { maxOutputLength: MAX_MESSAGE_BYTES }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw IDP_REASONS.error('message-too-large', `The inflated ${what} is larger than ${MAX_MESSAGE_BYTES} bytes.`, { status: 413 });
    throw refuse('invalid-encoding', `The ${what} is not DEFLATE-compressed as the HTTP-Redirect binding requires.`);
  }
}

export function decodePostMessage(value: string, what = 'SAMLRequest'): string {
  return decodeBase64(value, what).toString('utf8');
}

export function parseXml(xml: string, what: string): Element {
  refuseDoctype(xml, what);
  let root: Element | null;
  try {
    // samlify's xmldom 0.8 typings merge into 0.9's, which hides onError from the constructor type.
    const options = {
      onError: (level: string, message: string) => {
        if (level !== 'warning') throw new Error(message);
      },
    };
    const doc = new DOMParser(options).parseFromString(xml, 'text/xml');
    root = doc.documentElement;
  } catch (err) {
    throw refuse('invalid-xml', `The ${what} is not well-formed XML: ${(err as Error).message}`);
  }
  if (!root) throw refuse('invalid-xml', `The ${what} is empty.`);
  return root;
}

export function childElement(el: Element, ns: string, name: string): Element | undefined {
  return childElements(el, ns, name)[0];
}

export function childElements(el: Element, ns: string, name: string): Element[] {
  const found: Element[] = [];
  for (let node = el.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === name) found.push(node as Element);
  }
  return found;
}

/**
 * HTTP-Redirect signatures cover the query parameters exactly as sent
 * (SAMLRequest, RelayState, SigAlg, in that order), so the raw query is needed.
 */
export function verifyRedirectSignature(rawQuery: string, sp: ServiceProvider, what: string): boolean {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sigAlg = params.get('SigAlg');
  const signature = params.get('Signature');
  if (!sigAlg || !signature) return false;
  const hash = REDIRECT_SIG_ALGS[decodeURIComponent(sigAlg)];
  if (!hash) throw refuse('unsupported-signature-algorithm', `SigAlg ${decodeURIComponent(sigAlg)} is not accepted: use rsa-sha256 or rsa-sha512.`);
  if (!sp.certificate) throw refuse('sp-certificate-missing', `The ${what} is signed but ${sp.entityId} has no certificate registered to check it.`);
  const signed = ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg']
    .filter((k) => params.has(k))
    .map((k) => `${k}=${params.get(k)}`)
    .join('&');
  return verify(hash, Buffer.from(signed), createPublicKey(sp.certificate), Buffer.from(decodeURIComponent(signature), 'base64'));
}

/** HTTP-POST: an enveloped signature on the message itself, by the SP's registered key. */
export function verifyEmbeddedSignature(message: { xml: string; id: string }, sp: ServiceProvider, what: string): boolean {
  if (!sp.certificate) throw refuse('sp-certificate-missing', `The ${what} is signed but ${sp.entityId} has no certificate registered to check it.`);
  const root = parseXml(message.xml, what);
  const signature = childElement(root, DSIG, 'Signature');
  if (!signature) return false;
  const signedXml = new SignedXml({ publicCert: sp.certificate, getCertFromKeyInfo: () => null });
  signedXml.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
  try {
    if (!signedXml.checkSignature(message.xml)) return false;
  } catch {
    return false;
  }
  // The signature must cover the message itself, not some other element.
  return signedXml.getSignedReferences().length === 1 && signedXml.getReferences().every((r) => r.uri === `#${message.id}` || r.uri === '');
}

/** What every request from an SP carries, checked the same way for each kind. */
export interface RequestEnvelope {
  root: Element;
  id: string;
  issuer: string;
  signed: boolean;
}

const REQUEST_CODES = {
  AuthnRequest: { wrong: 'not-an-authn-request', invalid: 'invalid-authn-request' },
  LogoutRequest: { wrong: 'not-a-logout-request', invalid: 'invalid-logout-request' },
  LogoutResponse: { wrong: 'not-a-logout-response', invalid: 'invalid-logout-response' },
} as const;

/** Parses a samlp request and checks its kind, ID, SAML version and Issuer. */
export function readRequestEnvelope(xml: string, kind: keyof typeof REQUEST_CODES): RequestEnvelope {
  const codes = REQUEST_CODES[kind];
  const root = parseXml(xml, kind);
  if (root.namespaceURI !== SAML_PROTOCOL || root.localName !== kind) throw refuse(codes.wrong, `Expected a samlp:${kind}, got ${root.tagName}.`);
  const id = root.getAttribute('ID');
  if (!id) throw refuse(codes.invalid, `The ${kind} has no ID.`);
  if (root.getAttribute('Version') !== '2.0') throw refuse(codes.invalid, `The ${kind} is not SAML 2.0 (Version="2.0").`);
  const issuer = childElement(root, SAML_ASSERTION, 'Issuer')?.textContent?.trim();
  if (!issuer) throw refuse(codes.invalid, `The ${kind} has no Issuer: the IdP cannot tell which service provider sent it.`);
  return { root, id, issuer, signed: childElement(root, DSIG, 'Signature') !== undefined };
}
