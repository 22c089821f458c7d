/**
 * RELAX NG validation with libxml2's `xmllint` (an independent validator used by tests and
 * operators): `xmllint --noout --relaxng schema/reload-config.rng -`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReloadError } from '@reload/wire';

/** Absolute path of the shipped RELAX NG schema (XML syntax), schema/reload-config.rng. */
export const RELAXNG_SCHEMA_PATH = fileURLToPath(
  new URL('../schema/reload-config.rng', import.meta.url),
);
/** Absolute path of the shipped RELAX NG schema (compact syntax), schema/reload-config.rnc. */
export const RELAXNG_COMPACT_SCHEMA_PATH = fileURLToPath(
  new URL('../schema/reload-config.rnc', import.meta.url),
);

/** Result of {@link validateWithXmllint}. */
export interface XmllintResult {
  /** True when xmllint says the document validates. */
  valid: boolean;
  /** xmllint's messages (stderr). */
  output: string;
}

/**
 * Validates a document against schema/reload-config.rng with `xmllint --relaxng`.
 *
 * @throws ReloadError 'TOOL_MISSING' when xmllint is not installed (Debian: libxml2-utils).
 */
export function validateWithXmllint(xml: string | Uint8Array): Promise<XmllintResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'xmllint',
      ['--noout', '--nonet', '--relaxng', RELAXNG_SCHEMA_PATH, '-'],
      { maxBuffer: 4 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new ReloadError(
              'TOOL_MISSING',
              'xmllint not found: install it (Debian package libxml2-utils)',
            ),
          );
          return;
        }
        resolve({ valid: err === null && /validates/.test(stderr), output: stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(typeof xml === 'string' ? xml : Buffer.from(xml));
  });
}
