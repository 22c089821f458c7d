/**
 * @reload/provisioning — the per-overlay records the configuration, enrollment and OAM servers
 * share (RFC 6940 §11.1–§11.3): overlay CA, configuration signer and its history, the naked
 * configuration and its upload rules, users with bcrypt hashes, issued certificates; persisted
 * on `level` with private keys in 0600 PEM files. See README.md.
 */
export * from './names.js';
export * from './pki.js';
export * from './naked-config.js';
export * from './store.js';
