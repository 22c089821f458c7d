/**
 * @reload/storage — the peer-local RELOAD storage engine (RFC 6940 §7): Kinds, data models,
 * access-control policies, per-value signatures, generation counters, lifetimes, quotas and
 * persistence on `level`. See README.md for the API and the RFC sections implemented.
 */
export * from './constants.js';
export * from './kinds.js';
export * from './policies.js';
export * from './backend.js';
export * from './record.js';
export * from './verifier.js';
export * from './engine.js';
export * from './usages.js';
