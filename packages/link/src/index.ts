/**
 * @reload/link — the RFC 6940 §6.6 overlay link layer: the {@link Link} / {@link LinkTransport}
 * contract, the §6.6.2 framing header engine, TLS-TCP-FH-NO-ICE (§6.6.5) and an in-memory
 * link network for tests. See README.md.
 */
export * from './constants.js';
export * from './clock.js';
export * from './types.js';
export * from './rto.js';
export * from './framing.js';
export * from './framed-link.js';
export * from './memory.js';
export * from './tls.js';
export * from './verify.js';
