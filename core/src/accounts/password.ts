import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/** Password storage (scrypt) and the policy's strength rule. */
export const PASSWORD_STRENGTHS = ['weak', 'fair', 'good', 'strong', 'very-strong'] as const;
export type PasswordStrength = (typeof PASSWORD_STRENGTHS)[number];
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 100;

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number; keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, base64url parts: self-describing so parameters can change later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length });
  return timingSafeEqual(key, expected);
}

let estimator: ZxcvbnFactory | undefined;

/** zxcvbn's score 0..4 read as the five levels of the admin UI. */
export function passwordStrength(password: string, userInputs: string[] = []): PasswordStrength {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  const { score } = estimator.check(password, userInputs);
  return PASSWORD_STRENGTHS[score];
}

export interface PasswordProblem {
  code: 'password-length' | 'password-too-weak';
  message: string;
}

/** Checks a new password against the length bounds and the policy's minimum strength. */
export function checkNewPassword(password: string, minStrength: PasswordStrength | null, userInputs: string[] = []): PasswordProblem | undefined {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    return { code: 'password-length', message: `Passwords must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.` };
  }
  if (minStrength === null) return undefined;
  const strength = passwordStrength(password, userInputs);
  if (PASSWORD_STRENGTHS.indexOf(strength) < PASSWORD_STRENGTHS.indexOf(minStrength)) {
    return { code: 'password-too-weak', message: `This password is ${strength}; the authentication policy requires at least ${minStrength}.` };
  }
  return undefined;
}

/** Whether a password set at `changedAt` has outlived the policy's expiry. */
export function isPasswordExpired(changedAt: string | null, expiryDays: number | null, now: Date): boolean {
  if (expiryDays === null || changedAt === null) return false;
  return now.getTime() >= Date.parse(changedAt) + expiryDays * 86_400_000;
}
