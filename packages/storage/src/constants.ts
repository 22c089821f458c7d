/**
 * Storage constants with the RFC 6940 section that defines them (house style §8).
 */

/** RFC 6940 §7.4.1.1: a Store at this array index appends at the end of the array. */
export const ARRAY_APPEND = 0xffffffff;

/** RFC 6940 §7.4.2.1: an ArrayRange bound of 0xffffffff means "the final element". */
export const ARRAY_LAST = 0xffffffff;

/** RFC 6940 §6.3.4 / §7.4.2.2: hash/signature algorithm pair {0, 0} of synthesized values. */
export const ANONYMOUS_ALGORITHM = { hash: 0, signature: 0 } as const;

/** TLS HashAlgorithm sha256 (4), used for Stat digests (§7.4.3.2). */
export const STAT_HASH_ALGORITHM = 4;

/** RFC 6940 §6.3.4 SignerIdentityType none (3). */
export const SIGNER_IDENTITY_NONE = 3;
