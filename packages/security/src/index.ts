/**
 * @reload/security — RELOAD identities and signatures (RFC 6940 §4.1, §6.3.4, §7.1, §10.2,
 * §11.3, §11.3.1, §13): keys, overlay CA, CSRs, certificate issuance and parsing, Node-ID /
 * Resource-ID derivation, SignerIdentity, signing and verifying, trust checks.
 * See README.md.
 */
export * from './keys.js';
export * from './ids.js';
export * from './reload-uri.js';
export * from './pem.js';
export * from './certificates.js';
export * from './signatures.js';
export * from './trust.js';
