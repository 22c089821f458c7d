import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isReloadError } from '@reload/wire';
import { bytesToBig, Ring } from '../src/index.js';

const rings = [new Ring(16), new Ring(20)];
const idArb = (r: Ring) => fc.bigInt({ min: 0n, max: r.modulus - 1n });

describe('Ring', () => {
  it('rejects NodeId lengths outside 16..20 bytes', () => {
    for (const n of [0, 15, 21, 16.5]) {
      let err: unknown;
      try {
        new Ring(n);
      } catch (e) {
        err = e;
      }
      expect(isReloadError(err) && err.code === 'CHORD_BAD_NODE_ID_LENGTH').toBe(true);
    }
    expect(new Ring(20).bits).toBe(160);
  });

  it('rejects NodeIds of the wrong length with Error_Invalid_Message', () => {
    const r = new Ring(16);
    expect(() => r.toBig(new Uint8Array(20))).toThrowError(/20 bytes, overlay uses 16/);
    try {
      r.toBig(new Uint8Array(3));
    } catch (e) {
      expect(isReloadError(e) && e.code).toBe(0x14);
    }
  });

  it('maps Resource-IDs of other lengths onto the top bits of the circle', () => {
    const r = new Ring(20);
    const sixteen = new Uint8Array(16).fill(0xab);
    expect(r.resourceToBig(sixteen)).toBe(bytesToBig(sixteen) << 32n);
    const long = new Uint8Array(32).fill(1);
    expect(r.resourceToBig(long)).toBe(bytesToBig(long.subarray(0, 20)));
  });

  it('computes finger ranges as in §10.7.4.2', () => {
    const r = new Ring(16);
    const n = 5n;
    expect(r.fingerStart(n, 1)).toBe(n + (1n << 127n));
    expect(r.fingerRange(n, 1)).toEqual({ start: n + (1n << 127n), end: n - 1n });
    expect(r.fingerRange(n, 128)).toEqual({ start: n + 1n, end: n + 1n });
    expect(r.fingerIndex(n, n + 1n)).toBe(128);
    expect(r.fingerIndex(n, n)).toBe(0);
    expect(r.fingerIndex(n, n - 1n)).toBe(1);
    expect(() => r.fingerStart(n, 0)).toThrowError(/finger index/);
    expect(() => r.fingerStart(n, 129)).toThrowError(/finger index/);
  });

  for (const r of rings) {
    describe(`${r.bits}-bit properties`, () => {
      it('bytes round-trip', () => {
        fc.assert(fc.property(idArb(r), (x) => r.toBig(r.toBytes(x)) === x));
      });

      it('distance is antisymmetric modulo 2^k', () => {
        fc.assert(
          fc.property(
            idArb(r),
            idArb(r),
            (a, b) => r.norm(r.distance(a, b) + r.distance(b, a)) === 0n,
          ),
        );
      });

      it('interval tests agree with an unwrapped model', () => {
        fc.assert(
          fc.property(idArb(r), idArb(r), idArb(r), (x, a, b) => {
            // Unwrap: shift so that a sits at 0.
            const sx = r.distance(a, x);
            const sb = r.distance(a, b) === 0n ? r.modulus : r.distance(a, b);
            // (a, b] unwrapped is (0, sb]: x ≡ a sits at 2^k there, which only the whole
            // circle (a = b) reaches.
            expect(r.inOpenClosed(x, a, b)).toBe((sx === 0n ? r.modulus : sx) <= sb);
            expect(r.inOpen(x, a, b)).toBe(sx > 0n && sx < sb);
            if (a !== b) expect(r.inClosed(x, a, b)).toBe(sx <= sb);
          }),
          // the degenerate corners, always: x = a = b, x = a ≠ b, x = b ≠ a
          {
            examples: [
              [18n, 18n, 18n],
              [0n, 0n, 0n],
              [5n, 5n, 9n],
              [9n, 5n, 9n],
            ],
          },
        );
      });

      it('exactly one peer is responsible for every id: (predecessor, self]', () => {
        fc.assert(
          fc.property(
            fc.uniqueArray(idArb(r), { minLength: 1, maxLength: 30 }),
            idArb(r),
            (ids, k) => {
              const sorted = [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
              const owners = sorted.filter((n, i) => {
                const p = sorted[(i - 1 + sorted.length) % sorted.length];
                return r.inOpenClosed(k, p, n);
              });
              expect(owners.length).toBe(1);
              // and it is the first peer at or after k, wrapping round
              expect(owners[0]).toBe(sorted.find((n) => n >= k) ?? sorted[0]);
            },
          ),
        );
      });

      it('every point lies in the finger range its index names', () => {
        fc.assert(
          fc.property(idArb(r), idArb(r), (n, p) => {
            fc.pre(n !== p);
            const i = r.fingerIndex(n, p);
            expect(i).toBeGreaterThanOrEqual(1);
            expect(i).toBeLessThanOrEqual(r.bits);
            const { start, end } = r.fingerRange(n, i);
            expect(r.inClosed(p, start, end)).toBe(true);
            expect(r.fingerStart(n, i)).toBe(start);
          }),
        );
      });

      it('random points stay inside the requested range', () => {
        fc.assert(
          fc.property(idArb(r), idArb(r), fc.integer(), (lo, hi, seed) => {
            let s = seed;
            const rnd = () => {
              s = (Math.imul(s, 1103515245) + 12345) | 0;
              return (s >>> 0) / 4294967296;
            };
            expect(r.inClosed(r.randomInRange(lo, hi, rnd), lo, hi)).toBe(true);
          }),
        );
      });
    });
  }
});
