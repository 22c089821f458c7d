/** Test helpers: external tools (fail, never skip, when one is missing) and CSRs made by openssl. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Throws a clear error when `tool` is not on PATH. */
export function requireTool(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
  } catch {
    throw new Error(`this test needs \`${tool}\` (Debian package ${pkg}); install it`);
  }
}

/** A PKCS#10 CSR made by `openssl req` (P-256 key): DER, PEM and the key PEM. */
export function opensslCsr(
  subject = '/CN=peer',
  extra: string[] = [],
): { der: Buffer; pem: string; key: string } {
  requireTool('openssl', 'openssl');
  const d = mkdtempSync(join(tmpdir(), 'csr-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(d, 'k.pem'),
        '-subj',
        subject,
        '-out',
        join(d, 'r.pem'),
        ...extra,
      ],
      { stdio: 'pipe' },
    );
    const pem = readFileSync(join(d, 'r.pem'), 'utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return { der, pem, key: readFileSync(join(d, 'k.pem'), 'utf8') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
