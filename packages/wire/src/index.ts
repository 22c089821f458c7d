/**
 * @reload/wire — the RFC 6940 wire codec. Every structure has a {@link Codec}
 * (`encodedLength` / `encode` / `decode`); see README.md for the list and RFC sections.
 */
export * from './errors.js';
export * from './codec.js';
export * from './security-block.js';
