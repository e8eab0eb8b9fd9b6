import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The hex SHA-256 of a string: how tokens, sessions and feed secrets are stored, never as sent. */
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A random secret for a session, a key, a CSRF token or a feed address, URL-safe. */
export const newSecret = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Whether two secrets are the same, in a time that does not tell how much of them matched. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
