import { createPublicKey } from 'node:crypto';
import { promisify } from 'node:util';
import xmlenc from '@authenio/xml-encryption';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { element } from '@rehearsal/runtime/xml';
import { parseXml } from './binding.ts';
import { SAML_ASSERTION } from './response.ts';

export const ENCRYPTION_ALGORITHMS = {
  'aes256-gcm': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'aes128-gcm': 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'aes256-cbc': 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'aes128-cbc': 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
} as const;
export type EncryptionAlgorithm = keyof typeof ENCRYPTION_ALGORITHMS;

const RSA_OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
const encrypt = promisify(xmlenc.encrypt);

export interface EncryptionTarget {
  /** The SP's encryption certificate, PEM. */
  certificatePem: string;
  algorithm: EncryptionAlgorithm;
}

/**
 * `<EncryptedAssertion>` holding `assertionXml` (signed already, when it is),
 * encrypted for the SP: AES content key, RSA-OAEP key transport. The library
 * writes its own layout, which is brought to exc-c14n form so that the
 * Response can still be signed over the string as written (see @rehearsal/runtime/xml).
 */
export async function encryptAssertion(assertionXml: string, target: EncryptionTarget): Promise<string> {
  const encrypted = await encrypt(assertionXml, {
    rsa_pub: createPublicKey(target.certificatePem).export({ type: 'spki', format: 'pem' }),
    pem: target.certificatePem,
    encryptionAlgorithm: ENCRYPTION_ALGORITHMS[target.algorithm],
    keyEncryptionAlgorithm: RSA_OAEP,
    disallowEncryptionWithInsecureAlgorithm: true,
    warnInsecureAlgorithm: false,
  });
  const canonical = new ExclusiveCanonicalization().process(parseXml(encrypted.trim(), 'EncryptedData') as never, {});
  return element('EncryptedAssertion', { xmlns: SAML_ASSERTION }, canonical);
}
