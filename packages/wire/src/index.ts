/**
 * @reload/wire — the RFC 6940 wire codec. Every structure has a {@link Codec}
 * (`encodedLength` / `encode` / `decode`); see README.md for the list and RFC sections.
 */
export * from './errors.js';
export * from './codec.js';
export * from './security-block.js';
export * from './constants.js';
export * from './ip-address-port.js';
export * from './forwarding-header.js';
export * from './message-contents.js';
export * from './message.js';
export * from './framing.js';
export * from './fragmentation.js';
export * from './storage/index.js';
export * from './chord/index.js';
export * from './bodies/index.js';
