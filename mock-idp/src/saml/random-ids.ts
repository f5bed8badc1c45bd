import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from a pool refilled 4 KiB at a time: a login needs several
 * random IDs, and one getrandom call per ID showed up in the profile.
 * The bytes are the same CSPRNG output, handed out once each.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

export function randomBytesFromPool(size: number): Buffer {
  if (offset + size > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return bytes;
}

/** SAML IDs must not start with a digit (xs:ID): a prefix and 160 random bits. */
export const samlId = () => `_${randomBytesFromPool(20).toString('hex')}`;
