import { createHash, sign } from 'node:crypto';
import type { SigningCredential } from '@rehearsal/runtime/credentials';
import { element, textElement } from '@rehearsal/runtime/xml';

export const SIGNATURE_ALGORITHMS = {
  'rsa-sha256': { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256', hash: 'sha256' },
  'rsa-sha512': { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', digest: 'http://www.w3.org/2001/04/xmlenc#sha512', hash: 'sha512' },
  /** Only for the rsa-sha1 fault: a service provider must refuse it. */
  'rsa-sha1': { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1', hash: 'sha1' },
} as const;
export type SignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS;

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * Adds an enveloped XML-DSig signature to `xml`, an element in exc-c14n form
 * (see @rehearsal/runtime/xml) whose root carries `ID=id`, right after its first
 * `</…Issuer>` as SAML requires. The digest is over `xml` itself, which is what
 * canonicalizing the signed element without its Signature yields.
 */
export function signEnveloped(xml: string, id: string, credential: SigningCredential, algorithm: SignatureAlgorithm): string {
  const alg = SIGNATURE_ALGORITHMS[algorithm];
  const digest = createHash(alg.hash).update(xml).digest('base64');
  const signedInfoBody = [
    element('CanonicalizationMethod', { Algorithm: EXC_C14N }),
    element('SignatureMethod', { Algorithm: alg.signature }),
    element(
      'Reference',
      { URI: `#${id}` },
      element('Transforms', {}, element('Transform', { Algorithm: ENVELOPED }), element('Transform', { Algorithm: EXC_C14N })),
      element('DigestMethod', { Algorithm: alg.digest }),
      textElement('DigestValue', {}, digest),
    ),
  ].join('');
  // Canonicalized alone, SignedInfo renders the default namespace it inherits from Signature.
  const canonicalSignedInfo = `<SignedInfo xmlns="${DSIG}">${signedInfoBody}</SignedInfo>`;
  const value = sign(alg.hash, Buffer.from(canonicalSignedInfo), credential.privateKey).toString('base64');
  const signature = element(
    'Signature',
    { xmlns: DSIG },
    `<SignedInfo>${signedInfoBody}</SignedInfo>`,
    textElement('SignatureValue', {}, value),
    element('KeyInfo', {}, element('X509Data', {}, textElement('X509Certificate', {}, credential.certificateBase64))),
  );
  return insertAfterIssuer(xml, signature);
}

/** Places `fragment` right after the first `</…Issuer>`: where SAML puts a signature (or Extensions). */
export function insertAfterIssuer(xml: string, fragment: string): string {
  const match = /<\/(?:[\w-]+:)?Issuer>/.exec(xml);
  if (!match) throw new Error('a signed SAML element needs an Issuer to place the signature after');
  const at = match.index + match[0].length;
  return xml.slice(0, at) + fragment + xml.slice(at);
}

const SIGNATURE_ELEMENT = /<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">[\s\S]*?<\/Signature>/;

/** The first Signature element of XML this module signed (signatures do not nest). */
export function signatureOf(xml: string): string {
  const match = SIGNATURE_ELEMENT.exec(xml);
  if (!match) throw new Error('no signature to take');
  return match[0];
}
