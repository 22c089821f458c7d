/**
 * Shared helpers for the @reload/security tests: error-code assertions and `openssl` as the
 * independent party (tests FAIL, naming the tool, when openssl is missing).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { isReloadError } from '@reload/wire';

/** Asserts that `fn` throws a ReloadError with `code` (and optionally a message part). */
export function expectCode(fn: () => unknown, code: string | number, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ReloadError ${String(code)}`).toBeDefined();
  expect(isReloadError(thrown), `not a ReloadError: ${String(thrown)}`).toBe(true);
  expect((thrown as { code: unknown }).code).toBe(code);
  if (message) expect((thrown as Error).message).toMatch(message);
}

/** Async variant of {@link expectCode}. */
export async function expectCodeAsync(
  p: Promise<unknown>,
  code: string | number,
  message?: RegExp,
): Promise<void> {
  let thrown: unknown;
  try {
    await p;
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ReloadError ${String(code)}`).toBeDefined();
  expect(isReloadError(thrown), `not a ReloadError: ${String(thrown)}`).toBe(true);
  expect((thrown as { code: unknown }).code).toBe(code);
  if (message) expect((thrown as Error).message).toMatch(message);
}

/** Throws (failing the test) when `openssl` is not on PATH. */
export function requireOpenssl(): void {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'these tests need the `openssl` command-line tool (Debian package openssl); it is missing',
    );
  }
}

/** A fresh temporary directory. */
export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'reload-security-'));
}

/** Runs openssl with `args` in `cwd`; returns stdout; throws with stderr on failure. */
export function openssl(args: string[], cwd: string, input?: Uint8Array): string {
  try {
    return execFileSync('openssl', args, {
      cwd,
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `openssl ${args.join(' ')} failed: ${err.stderr ?? ''}${err.stdout ?? ''}${err.message}`,
    );
  }
}

/** Runs openssl and returns { status, out } without throwing. */
export function opensslStatus(args: string[], cwd: string): { status: number; out: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export function write(dir: string, name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

export function read(dir: string, name: string): Buffer {
  return readFileSync(join(dir, name));
}
