/**
 * @reload/services — `reload-services`: configuration server (RFC 6940 §11.2), enrollment CA
 * (§11.3) and OAM server for many overlays on one machine. See README.md.
 */
export * from './app.js';
export * from './dns.js';
export * from './server.js';
export { buildProgram, main } from './cli.js';
