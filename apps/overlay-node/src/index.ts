/**
 * @reload/overlay-node — `reload-node`: enroll (RFC 6940 §11.2, §11.3), run a peer (§6, §7,
 * §10, §11.4), and store / fetch / status through the running node's control channel.
 * See README.md.
 */
export * from './data-dir.js';
export * from './overlay-config.js';
export * from './enroll.js';
export * from './control.js';
export * from './node.js';
export * from './format.js';
export { buildProgram, createLogger, main, parseHostPort, type CliIo } from './cli.js';
