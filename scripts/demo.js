#!/usr/bin/env node
// `pnpm demo` — the main job. Until the end-to-end demo (issue "reload-node and the main job")
// lands, this runs what exists and says plainly what does not.
import { runDemo } from './demo-steps.js';

runDemo(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
