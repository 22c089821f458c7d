/**
 * RFC 6940 §6.4 / §6.5 method bodies (Join, Leave, Update, RouteQuery, Probe, Attach,
 * AppAttach, Ping, ConfigUpdate), §9 TurnServer, and a message-code → body-codec table.
 * (primitives.ts is internal and not re-exported.)
 */
export * from './topology.js';
export * from './attach.js';
export * from './ping.js';
export * from './config-update.js';
export * from './turn-server.js';
export * from './by-code.js';
