import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createCsr,
  derOf,
  fromPem,
  fromPemAll,
  generateKeyPair,
  parseCsr,
  toPem,
} from '@reload/security';
import { expectCode } from './helpers.js';

describe('PEM helpers', () => {
  it('round-trips, picks labels, reads several blocks, accepts PEM bytes', () => {
    const a = new Uint8Array(100).map((_, i) => i);
    const b = new Uint8Array([9, 8, 7]);
    const pem = toPem(a) + toPem(b, 'PUBLIC KEY');
    expect(pem.split('\n')[1]).toHaveLength(64);
    expect(fromPem(pem)).toEqual(a);
    expect(fromPem(pem, 'PUBLIC KEY')).toEqual(b);
    expect(fromPemAll(pem)).toEqual([a, b]);
    expect(derOf(new Uint8Array(Buffer.from(pem)))).toEqual(a);
    expect(derOf(a)).toBe(a);
    expectCode(() => fromPem(pem, 'PRIVATE KEY'), 'BAD_PEM');
    expectCode(() => fromPem('-----BEGIN X-----\n*\n-----END X-----'), 'BAD_PEM');
  });

  it('parseCsr accepts the legacy "NEW CERTIFICATE REQUEST" label', async () => {
    const k = generateKeyPair('ecdsa-p256');
    const der = await createCsr({ privateKey: k.privateKey });
    expect((await parseCsr(toPem(der, 'NEW CERTIFICATE REQUEST'))).keyAlgorithm).toBe('ecdsa-p256');
  });
});

describe('error registry', () => {
  it('every error code thrown by the package is documented in its README', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const codes = new Set<string>();
    for (const f of readdirSync(src)) {
      const text = readFileSync(join(src, f), 'utf8');
      for (const m of text.matchAll(/(?:ReloadError|err)\(\s*'([A-Z_]+)'/g)) codes.add(m[1]);
    }
    expect(codes.size).toBeGreaterThan(15);
    const missing = [...codes].filter((c) => !readme.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
