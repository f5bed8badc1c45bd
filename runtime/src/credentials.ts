import { createPrivateKey, createPublicKey, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * @peculiar/x509, loaded the first time a certificate is made (it costs 150 ms
 * to load, and a service that has its keys never needs it). It resolves its
 * ASN.1 classes through tsyringe, which needs the Reflect metadata API.
 */
let generator: Promise<typeof import('@peculiar/x509')> | undefined;
const loadX509 = () =>
  (generator ??= import('reflect-metadata').then(async () => {
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  }));

/** A key pair and its certificate, parsed once: signing never re-reads a PEM. */
export interface SigningCredential {
  privateKey: KeyObject;
  privateKeyPem: string;
  certificatePem: string;
  /** The DER certificate in base64, as it appears in metadata and KeyInfo. */
  certificateBase64: string;
  /** SHA-256 fingerprint, colon-separated, for people comparing certificates. */
  fingerprint: string;
}

/** A published certificate that does not sign (yet): the staged half of a rollover. */
export interface PublishedCertificate {
  certificatePem: string;
  certificateBase64: string;
  fingerprint: string;
}

export function parseCertificate(pem: string): PublishedCertificate {
  const cert = new X509Certificate(pem);
  return { certificatePem: cert.toString(), certificateBase64: cert.raw.toString('base64'), fingerprint: cert.fingerprint256 };
}

export function credentialFrom(privateKeyPem: string, certificatePem: string): SigningCredential {
  const privateKey = createPrivateKey(privateKeyPem);
  const published = parseCertificate(certificatePem);
  const certKey = new X509Certificate(certificatePem).publicKey.export({ format: 'der', type: 'spki' });
  if (!certKey.equals(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))) {
    throw new Error('The signing certificate does not belong to the signing key.');
  }
  return { privateKey, privateKeyPem, ...published };
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/** A self-signed certificate for an RSA key pair, valid for ten years from `now`. */
async function selfSigned(keys: CryptoKeyPair, commonName: string, now: Date): Promise<string> {
  const x509 = await loadX509();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${commonName.replace(/[,=+<>#;\\"]/g, ' ')}`,
    notBefore: new Date(now.getTime() - 24 * 3600_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: RSA_SHA256,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true)],
  });
  return cert.toString('pem');
}

/** A new RSA-2048 key with a self-signed certificate valid for ten years from `now`. */
export async function generateCredential(commonName: string, now: Date): Promise<SigningCredential> {
  const keys = await webcrypto.subtle.generateKey(RSA_SHA256, true, ['sign', 'verify']);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return credentialFrom(privateKeyPem, await selfSigned(keys, commonName, now));
}

/** A self-signed certificate for an RSA key someone already has (PKCS#8 PEM), so that metadata can publish it. */
export async function certify(privateKeyPem: string, commonName: string, now: Date): Promise<SigningCredential> {
  const key = createPrivateKey(privateKeyPem);
  const der = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ format: 'der', type } as never) as Buffer;
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', der(key, 'pkcs8'), RSA_SHA256, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', der(createPublicKey(key), 'spki'), RSA_SHA256, true, ['verify']),
  };
  return credentialFrom(privateKeyPem, await selfSigned(keys, commonName, now));
}

export interface KeyFiles {
  keyPath: string;
  certPath: string;
}

/**
 * A signing credential (the IdP's, the gateway's SP key): read from the files
 * when they exist, otherwise generated once and written there (mode 0600 for
 * the key), so that peers configured with our certificate keep working across
 * restarts.
 */
export async function loadOrCreateCredential(files: KeyFiles, commonName: string, now: Date): Promise<{ credential: SigningCredential; created: boolean }> {
  if (existsSync(files.certPath)) {
    if (!existsSync(files.keyPath)) throw new Error(`A certificate is at ${files.certPath} but its key ${files.keyPath} is missing.`);
    return { credential: credentialFrom(readFileSync(files.keyPath, 'utf8'), readFileSync(files.certPath, 'utf8')), created: false };
  }
  // A key without a certificate (kept from before certificates were published): certify it rather than replace it.
  const credential = existsSync(files.keyPath)
    ? await certify(readFileSync(files.keyPath, 'utf8'), commonName, now)
    : await generateCredential(commonName, now);
  for (const path of [files.keyPath, files.certPath]) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(files.keyPath, credential.privateKeyPem, { mode: 0o600 });
  writeFileSync(files.certPath, credential.certificatePem);
  return { credential, created: true };
}
