/**
 * Compliance suite every StorageBackend must pass (house style §10). Call it from a test file
 * with a factory that opens a fresh, empty backend.
 */
import { describe, expect, it } from 'vitest';
import type { StorageBackend } from '../src/backend.js';

const b = (...xs: number[]) => Uint8Array.from(xs);

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>) {
  const out: [number[], number[]][] = [];
  for await (const [k, v] of it) out.push([[...k], [...v]]);
  return out;
}

/** Registers the compliance tests for one backend implementation. */
export function backendCompliance(name: string, open: () => Promise<StorageBackend>): void {
  describe(`StorageBackend compliance: ${name}`, () => {
    it('get of a missing key is undefined; put then get returns the bytes', async () => {
      const db = await open();
      expect(await db.get(b(1))).toBeUndefined();
      await db.batch([{ type: 'put', key: b(1), value: b(9, 8) }]);
      expect([...(await db.get(b(1)))!]).toEqual([9, 8]);
      await db.close();
    });

    it('batch is applied as a whole: puts and dels together', async () => {
      const db = await open();
      await db.batch([
        { type: 'put', key: b(1), value: b(1) },
        { type: 'put', key: b(2), value: b(2) },
      ]);
      await db.batch([
        { type: 'del', key: b(1) },
        { type: 'put', key: b(3), value: b(3) },
      ]);
      expect(await collect(db.entries())).toEqual([
        [[2], [2]],
        [[3], [3]],
      ]);
      await db.close();
    });

    it('entries are in bytewise key order and honour gte/lt', async () => {
      const db = await open();
      const keys = [b(0x80), b(0x01, 0xff), b(0x01), b(0x7f, 0), b(0xff)];
      await db.batch(keys.map((k) => ({ type: 'put' as const, key: k, value: b(k.length) })));
      const all = (await collect(db.entries())).map(([k]) => k);
      expect(all).toEqual([[0x01], [0x01, 0xff], [0x7f, 0], [0x80], [0xff]]);
      const mid = (await collect(db.entries({ gte: b(0x01, 0xff), lt: b(0x80) }))).map(([k]) => k);
      expect(mid).toEqual([
        [0x01, 0xff],
        [0x7f, 0],
      ]);
      await db.close();
    });

    it('values are independent copies of what was written', async () => {
      const db = await open();
      const v = b(1, 2, 3);
      await db.batch([{ type: 'put', key: b(5), value: v }]);
      v[0] = 99;
      expect([...(await db.get(b(5)))!]).toEqual([1, 2, 3]);
      await db.close();
    });

    it('hands out plain Uint8Arrays (not Buffers)', async () => {
      const db = await open();
      await db.batch([{ type: 'put', key: b(7), value: b(7) }]);
      expect(Object.getPrototypeOf(await db.get(b(7)))).toBe(Uint8Array.prototype);
      for await (const [k, v] of db.entries()) {
        expect(Object.getPrototypeOf(k)).toBe(Uint8Array.prototype);
        expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
      }
      await db.close();
    });

    it('an empty batch is a no-op and close is idempotent', async () => {
      const db = await open();
      await db.batch([]);
      expect(await collect(db.entries())).toEqual([]);
      await db.close();
      await db.close();
    });
  });
}
