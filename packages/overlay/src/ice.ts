/**
 * ICE credentials for Attach/AppAttach (RFC 6940 §6.5.1.1, RFC 5245 §15.4): ufrag and password
 * are ice-chars (ALPHA / DIGIT / "+" / "/"), at least 4 and 22 characters.
 */
import { randomBytes } from 'node:crypto';

/** Random ice-chars from `n` random bytes (base64 without padding: ⌈4n/3⌉ characters). */
export function iceToken(n: number): Uint8Array {
  return new TextEncoder().encode(randomBytes(n).toString('base64').replace(/=+$/, ''));
}
