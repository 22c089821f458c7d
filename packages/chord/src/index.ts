/**
 * @reload/chord — the CHORD-RELOAD topology plug-in of RFC 6940 §10 as a pure state machine:
 * ring arithmetic, Neighbor and Finger Tables, join, stabilization, failure handling, leave,
 * replica set and RouteQuery answers. No I/O: the overlay peer drives it (see README.md).
 */
export * from './constants.js';
export * from './ring.js';
export * from './types.js';
export * from './topology.js';
