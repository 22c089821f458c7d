/** PEM ⇄ DER conversion (RFC 7468). */
import { ReloadError } from '@reload/wire';

/** PEM text for DER bytes with the given label (`CERTIFICATE`, `CERTIFICATE REQUEST` …). */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * DER bytes of every PEM block in `pem` (in order), optionally only those with `label`.
 * Throws ReloadError('BAD_PEM') when there is none.
 */
export function fromPemAll(pem: string, label?: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(PEM_RE)) {
    if (label !== undefined && m[1] !== label) continue;
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      throw new ReloadError('BAD_PEM', `PEM block ${m[1]} is not base64`);
    }
    out.push(new Uint8Array(Buffer.from(body, 'base64')));
  }
  if (out.length === 0) {
    throw new ReloadError('BAD_PEM', `no PEM block${label ? ` labelled ${label}` : ''} found`);
  }
  return out;
}

/** DER bytes of the first PEM block (optionally with `label`). Throws ReloadError('BAD_PEM'). */
export function fromPem(pem: string, label?: string): Uint8Array {
  return fromPemAll(pem, label)[0];
}

/** Accepts DER bytes, or PEM as a string or as bytes starting with "-----BEGIN". */
export function derOf(input: Uint8Array | string, label?: string): Uint8Array {
  if (typeof input === 'string') return fromPem(input, label);
  if (input.length > 10 && Buffer.from(input.subarray(0, 10)).toString('latin1') === '-----BEGIN') {
    return fromPem(Buffer.from(input).toString('latin1'), label);
  }
  return input;
}
