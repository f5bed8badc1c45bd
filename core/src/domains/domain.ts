import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';

/** Domain claims: an organization proves it owns a domain, then manages its accounts. */
export type DomainStatus = 'pending' | 'verified';
export const VERIFICATION_METHODS = ['dns', 'http'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export interface Domain {
  id: string;
  orgId: string;
  name: string;
  status: DomainStatus;
  token: string;
  method: VerificationMethod | null;
  verifiedAt: string | null;
  /** The IdP directory whose SAML connection serves this domain. */
  directoryId: string | null;
  createdAt: string;
}

export const VERIFICATION_FILE_PATH = '/atlassian-domain-verification.html';
export const TXT_PREFIX = 'atlassian-domain-verification=';

export const newVerificationToken = () => randomBytes(24).toString('base64url');
export const verificationRecord = (token: string) => `${TXT_PREFIX}${token}`;

/** Lower-cased ASCII form of a domain name, or undefined when it is not a registrable host name. */
export function normalizeDomainName(input: string): string | undefined {
  const trimmed = input.trim().replace(/\.$/, '');
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined;
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
  if (!labels.every((l) => label.test(l))) return undefined;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/.test(labels.at(-1)!)) return undefined;
  return ascii;
}

/**
 * Public mail providers: their addresses belong to individuals, so no
 * organization may claim them. Subdomains of these are refused as well.
 */
const PUBLIC_MAIL_DOMAINS = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'yahoo.fr',
  'yahoo.de',
  'ymail.com',
  'rocketmail.com',
  'outlook.com',
  'hotmail.com',
  'hotmail.co.uk',
  'hotmail.fr',
  'live.com',
  'msn.com',
  'passport.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'aim.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.com',
  'zoho.com',
  'zohomail.com',
  'yandex.com',
  'yandex.ru',
  'mail.ru',
  'inbox.ru',
  'bk.ru',
  'list.ru',
  'qq.com',
  '163.com',
  '126.com',
  'sina.com',
  'naver.com',
  'daum.net',
  'hanmail.net',
  'fastmail.com',
  'hey.com',
  'tutanota.com',
  'tuta.io',
  'rediffmail.com',
  'orange.fr',
  'wanadoo.fr',
  'free.fr',
  'laposte.net',
  'libero.it',
  't-online.de',
  'btinternet.com',
  'comcast.net',
  'verizon.net',
  'att.net',
]);

export function isPublicMailDomain(name: string): boolean {
  const labels = name.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    if (PUBLIC_MAIL_DOMAINS.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}

/** What a verifier found, with a reason code when it did not prove ownership. */
export type VerificationOutcome =
  | { verified: true; method: VerificationMethod; evidence: string }
  | {
      verified: false;
      method: VerificationMethod;
      reason: 'txt-record-missing' | 'file-missing' | 'file-content-mismatch' | 'lookup-failed';
      message: string;
      found?: string[];
    };

export function checkTxtRecords(records: string[][], token: string): VerificationOutcome {
  const texts = records.map((chunks) => chunks.join(''));
  const expected = verificationRecord(token);
  if (texts.some((t) => t.trim() === expected)) return { verified: true, method: 'dns', evidence: expected };
  return {
    verified: false,
    method: 'dns',
    reason: 'txt-record-missing',
    message: `No TXT record "${expected}" was found.`,
    found: texts,
  };
}

/** The file may hold the bare token or the same `atlassian-domain-verification=` line as the TXT record. */
export function checkVerificationFile(body: string | null, token: string): VerificationOutcome {
  if (body === null) {
    return { verified: false, method: 'http', reason: 'file-missing', message: `No file at ${VERIFICATION_FILE_PATH}.` };
  }
  const content = body.trim();
  if (content === token || content === verificationRecord(token)) return { verified: true, method: 'http', evidence: content };
  return {
    verified: false,
    method: 'http',
    reason: 'file-content-mismatch',
    message: `The file at ${VERIFICATION_FILE_PATH} does not contain the verification token.`,
    found: [content.slice(0, 200)],
  };
}
