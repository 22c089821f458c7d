#!/usr/bin/env node
// `pnpm demo` — the main job: provisions an overlay, starts the services, adds users through
// OAM, enrolls peers, joins them in a CHORD-RELOAD ring over TLS, stores and fetches data,
// makes a peer leave, and reports. `pnpm demo --help` lists the options.
import { runDemo } from './demo-steps.js';

runDemo(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
    process.exit(1);
  },
);
