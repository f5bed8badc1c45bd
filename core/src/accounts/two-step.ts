import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifySync } from 'otplib';

/** TOTP as RFC 6238 and every authenticator app: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const RECOVERY_CODES = 10;

/**
 * A TOTP code, checked at `now` with one step of tolerance either way, and only
 * for a step later than the last one accepted: a code is never accepted twice.
 * Returns the step that matched, or undefined.
 */
export function acceptTotp(secret: string, code: string, now: Date, lastStep: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
  });
  return result.valid ? (result as { timeStep: number }).timeStep : undefined;
}

/** Codes shown once, as `xxxxx-xxxxx`; only their hashes are kept. They carry 50 bits each, so a plain hash suffices. */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const raw = randomBytes(8).toString('hex').slice(0, 10);
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

export const hashRecoveryCode = (code: string) => createHash('sha256').update(code.trim().toLowerCase()).digest('hex');

/** The index of the matching stored hash, compared in constant time. */
export function matchRecoveryCode(code: string, hashes: string[]): number {
  const given = Buffer.from(hashRecoveryCode(code), 'hex');
  return hashes.findIndex((h) => timingSafeEqual(Buffer.from(h, 'hex'), given));
}
