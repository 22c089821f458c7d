/**
 * @reload/overlay — the RELOAD peer: message transport (RFC 6940 §6.1–§6.3, §6.7), method
 * handlers (§6.4, §6.5, §7.4) and the composition of link, CHORD-RELOAD and storage.
 */
export * from './routing.js';
export * from './transport.js';
export * from './peer.js';
export * from './client.js';
export { HANDLERS, handleRequest, type Handler, type HandlerContext } from './handlers/index.js';
export { signerInfoOf, sendStore } from './handlers/store.js';
