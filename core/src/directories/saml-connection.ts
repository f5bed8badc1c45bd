import { X509Certificate } from 'node:crypto';

/** The SAML trust between an IdP directory and the gateway (the service provider). */
export interface SamlConnection {
  id: string;
  directoryId: string;
  idpEntityId: string;
  ssoUrl: string;
  /** The IdP's single logout endpoint (HTTP-Redirect), when it has one. */
  sloUrl: string | null;
  /** PEM of the IdP's signing certificate. */
  certificate: string;
  allowIdpInitiated: boolean;
  signAuthnRequests: boolean;
  /** The assertion itself must be signed; when false, a signed Response covering it is enough. */
  wantAssertionsSigned: boolean;
  /**
   * What a SAML login does to the display name: `given-family` (the product's
   * way: "Alice Liddell" at every login), `family-given` (for people who write
   * their family name first), or `off` (the name stays as SCIM or an admin set it).
   */
  displayNameFromSaml: DisplayNameFromSaml;
  /** The last login completed through this connection: never null once SSO has been seen to work. */
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export const DISPLAY_NAME_FROM_SAML = ['given-family', 'family-given', 'off'] as const;
export type DisplayNameFromSaml = (typeof DISPLAY_NAME_FROM_SAML)[number];

/**
 * The display name a SAML login sets under the connection's rule: the names in
 * the rule's order, else the display name the assertion carries; undefined when
 * the rule is `off` or the assertion carries no name.
 */
export function displayNameFromSaml(rule: DisplayNameFromSaml, names: { givenName?: string; surname?: string; displayName?: string }): string | undefined {
  if (rule === 'off') return undefined;
  const parts = (rule === 'given-family' ? [names.givenName, names.surname] : [names.surname, names.givenName]).map((p) => p?.trim()).filter(Boolean);
  return parts.length ? parts.join(' ') : names.displayName;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprintSha256: string;
  serialNumber: string;
}

const PEM_BLOCK = /^-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/;

/**
 * Accepts one PEM certificate, or bare base64 DER as IdP metadata carries it.
 * Returns the normalized PEM and what the admin sees of it, or a reason it is not one.
 */
export function parseCertificate(input: string): { pem: string; info: CertificateInfo } | { error: string } {
  const text = input.trim();
  let pem: string;
  if (text.startsWith('-----BEGIN')) {
    if (!PEM_BLOCK.test(text + '\n')) return { error: 'expected exactly one PEM block "-----BEGIN CERTIFICATE-----"' };
    pem = text + '\n';
  } else if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const body = text.replace(/\s+/g, '');
    pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  } else {
    return { error: 'expected a PEM certificate' };
  }
  try {
    const cert = new X509Certificate(pem);
    return {
      pem,
      info: {
        subject: cert.subject,
        issuer: cert.issuer,
        validFrom: new Date(cert.validFrom).toISOString(),
        validTo: new Date(cert.validTo).toISOString(),
        fingerprintSha256: cert.fingerprint256,
        serialNumber: cert.serialNumber,
      },
    };
  } catch (err) {
    return { error: `not a valid X.509 certificate (${(err as Error).message})` };
  }
}

/** What the admin copies into the IdP: the product's SP entity ID and ACS URL. */
export function serviceProviderUrls(gatewayUrl: string, connectionId: string) {
  return {
    spEntityId: `${gatewayUrl}/saml/${connectionId}`,
    acsUrl: `${gatewayUrl}/login/callback?connection=saml-${connectionId}`,
  };
}

/**
 * What an admin enters at the IdP, known before the IdP side is: a directory's
 * connection takes the directory's id when it is first made, so its SP
 * entity ID, ACS and SLO URLs and metadata URL are fixed from the start.
 */
export function serviceProviderDetails(
  gatewayUrl: string,
  connectionId: string,
  connection?: Pick<SamlConnection, 'signAuthnRequests' | 'wantAssertionsSigned'>,
) {
  return {
    connectionId,
    configured: connection !== undefined,
    ...serviceProviderUrls(gatewayUrl, connectionId),
    sloUrl: `${gatewayUrl}/logout/callback?connection=saml-${connectionId}`,
    metadataUrl: `${gatewayUrl}/saml/${connectionId}/metadata`,
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    signAuthnRequests: connection?.signAuthnRequests ?? false,
    wantAssertionsSigned: connection?.wantAssertionsSigned ?? true,
  };
}
