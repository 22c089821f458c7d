// A small pino-compatible logger for the peers the demo runs in its own process: JSON lines
// appended to one log file (pino's format: time, level number, msg), warnings kept in memory
// so a failing step can say what the peers complained about.
import { appendFileSync } from 'node:fs';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 };

/**
 * Creates the root logger writing to `file` (level `info` and above are written; `debug`
 * only with `verbose`). `recent` holds the last 50 warnings/errors.
 */
export function createFileLogger(file, { verbose = false } = {}) {
  const recent = [];
  const make = (bindings) => {
    const write = (level) => (obj, msg) => {
      if (LEVELS[level] < (verbose ? 20 : 30)) return;
      const line = { level: LEVELS[level], time: Date.now(), ...bindings, ...obj, msg };
      if (LEVELS[level] >= 40) {
        recent.push(line);
        if (recent.length > 50) recent.shift();
      }
      try {
        appendFileSync(
          file,
          `${JSON.stringify(line, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
        );
      } catch {
        // a log line lost is not a demo failure
      }
    };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (b) => make({ ...bindings, ...b }),
    };
  };
  const root = make({});
  root.recent = recent;
  return root;
}
