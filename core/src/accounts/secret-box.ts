import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets kept at rest encrypted (TOTP secrets): AES-256-GCM under a key from
 * the data directory or the environment, as identity products keep their
 * second-factor seeds. A stolen database file alone gives no codes.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

const PREFIX = 'enc:v1:';

/** Any key text of 32+ characters; hashed to the 256-bit AES key. */
export function secretBox(keyText: string): SecretBox {
  const key = createHash('sha256').update(`rehearsal-secret-box:${keyText}`).digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
    },
    open(sealed) {
      // Written before secrets were sealed: still readable, sealed again at its next write.
      if (!sealed.startsWith(PREFIX)) return sealed;
      const [iv, tag, body] = sealed
        .slice(PREFIX.length)
        .split('.')
        .map((part) => Buffer.from(part, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', key, iv!);
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
    },
  };
}

export const isSealed = (value: string) => value.startsWith(PREFIX);
