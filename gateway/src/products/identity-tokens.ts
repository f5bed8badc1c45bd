import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '@rehearsal/runtime';

export const IDENTITY_AUDIENCE = 'rehearsal-core';
/** Long enough for one call to core, short enough that a leaked token is worth little. */
export const IDENTITY_TOKEN_SECONDS = 60;

/**
 * The gateway vouches for the signed-in person to core with a short-lived ES256
 * token; core checks it against the JWKS served at /.well-known/jwks.json.
 */
export class IdentityTokens {
  private readonly privateKey: KeyObject;
  private readonly kid: string;

  constructor(
    private readonly issuer: string,
    private readonly clock: Clock,
    privateKeyPem?: string,
  ) {
    this.privateKey = privateKeyPem ? createPrivateKey(privateKeyPem) : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    if (this.privateKey.asymmetricKeyType !== 'ec') throw new Error('the identity key must be an EC P-256 key (ES256)');
    // Stable for a given key, so that a restart with the same key keeps the same kid.
    this.kid = createPublicKey(this.privateKey).export({ format: 'jwk' }).x!.slice(0, 16) || randomBytes(8).toString('hex');
  }

  jwks() {
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.kid, alg: 'ES256', use: 'sig' }] };
  }

  private readonly cache = new Map<string, { token: string; reuseUntil: number }>();

  /**
   * A token for this person: a fresh one, or the one signed moments ago while
   * it has most of its minute left (signing every product request costs more
   * than the request).
   */
  async tokenFor(subject: { accountId: string; email: string }): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(subject.accountId);
    if (cached && cached.reuseUntil > now) return cached.token;
    const token = await this.sign(subject);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(subject.accountId, { token, reuseUntil: now + (IDENTITY_TOKEN_SECONDS * 1000) / 2 });
    return token;
  }

  sign(subject: { accountId: string; email: string }): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ email: subject.email })
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(IDENTITY_AUDIENCE)
      .setSubject(subject.accountId)
      .setIssuedAt(now)
      .setExpirationTime(now + IDENTITY_TOKEN_SECONDS)
      .sign(this.privateKey);
  }
}
