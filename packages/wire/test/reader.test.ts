import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '@reload/wire';
import { expectInvalid, hex, unhex } from './message-helpers.js';

describe('Reader.enter / leave and shared views (codec.ts)', () => {
  it('confines reads to a range and restores the end', () => {
    const r = new Reader(unhex('0102030405'));
    const saved = r.enter(3, 'x');
    expect(r.end).toBe(3);
    expect(r.u16('a')).toBe(0x0102);
    expectInvalid(() => r.u16('b'), /^b$/); // only one byte left in the range
    expect(r.u8('c')).toBe(3);
    r.leave(saved, 'x');
    expect(r.end).toBe(5);
    expect(r.u16('d')).toBe(0x0405);
  });

  it('rejects ranges past the end and unconsumed bytes', () => {
    expectInvalid(() => new Reader(unhex('0102')).enter(3, 'list'), /list/);
    const r = new Reader(unhex('010203'));
    const saved = r.enter(2, 'list');
    r.u8('a');
    expectInvalid(() => r.leave(saved, 'list'), /list/);
  });

  it('sub-readers and writers can share a DataView', () => {
    const buf = unhex('00000000000000');
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const w = new Writer(buf, 1, 5, view);
    w.u32(0xdeadbeef);
    expect(hex(buf)).toBe('00deadbeef0000');
    const r = new Reader(buf, 1, 5, view);
    expect(r.u32('v')).toBe(0xdeadbeef);
    const t = new Reader(buf, 0, 7, view).take(5, 't');
    expect(t.view).toBe(view);
    expect(t.u8('z')).toBe(0);
    expect(t.u32('v')).toBe(0xdeadbeef);
  });
});

describe('integer reads without a DataView, u64Number, back-patched vectors (codec.ts)', () => {
  it('reads uint16/24/32/64 big-endian at the edges of their ranges', () => {
    const r = new Reader(unhex('ffff' + 'ffffff' + 'ffffffff' + '80000000' + 'ffffffffffffffff'));
    expect(r.u16('a')).toBe(0xffff);
    expect(r.u24('b')).toBe(0xffffff);
    expect(r.u32('c')).toBe(0xffffffff);
    expect(r.u32('d')).toBe(0x80000000);
    expect(r.u64('e')).toBe(0xffffffffffffffffn);
    const s = new Reader(unhex('001fffffffffffff' + '0020000000000000' + '0000000000000001'));
    expect(s.u64('f')).toBe(2n ** 53n - 1n);
    expect(s.u64('g')).toBe(2n ** 53n);
    expect(s.u64('h')).toBe(1n);
  });

  it('u64Number gives a number up to 2^53 − 1 and a bigint above', () => {
    const r = new Reader(unhex('001fffffffffffff' + '0020000000000000' + '0000019abd75b800'));
    expect(r.u64Number('a')).toBe(Number.MAX_SAFE_INTEGER);
    expect(r.u64Number('b')).toBe(2n ** 53n);
    expect(r.u64Number('c')).toBe(1_764_115_200_000);
    expectInvalid(() => new Reader(unhex('00000000000000')).u64Number('t'), /^t$/);
  });

  it('creates its DataView only when asked, over exactly the buffer', () => {
    const bytes = unhex('00010203').subarray(1);
    const r = new Reader(bytes);
    expect(r.view.byteOffset).toBe(bytes.byteOffset);
    expect(r.view.byteLength).toBe(3);
    expect(r.view).toBe(r.view);
  });

  it('beginVector / endVector write the length afterwards and enforce <min..max>', () => {
    for (const width of [1, 2, 3, 4] as const) {
      const out = new Uint8Array(width + 3);
      const w = new Writer(out);
      const at = w.beginVector(width, 'v');
      w.bytes(unhex('aabbcc'), 'v');
      w.endVector(at, width, 'v');
      expect(hex(out)).toBe('00'.repeat(width - 1) + '03' + 'aabbcc');
    }
    const w = new Writer(new Uint8Array(8));
    const at = w.beginVector(2, 'v');
    w.u32(1, 'x');
    expect(() => w.endVector(at, 2, 'v', 3)).toThrow(/exceeds maximum 3/);
    expect(() => w.endVector(at, 2, 'v', 10, 5)).toThrow(/below minimum 5/);
    expect(() => new Writer(new Uint8Array(1)).beginVector(2, 'v')).toThrow(/too small/);
  });
});

describe('integer writes without a DataView, cheap views (codec.ts, bench/wire pass 3)', () => {
  it('writes uint8..uint64 big-endian at the edges of their ranges', () => {
    const out = new Uint8Array(1 + 2 + 3 + 4 + 4 + 8 + 8 + 8);
    const w = new Writer(out);
    w.u8(0xff);
    w.u16(0xfffe);
    w.u24(0xfffffd);
    w.u32(0xfffffffc);
    w.u32(0x80000000);
    w.u64(2n ** 53n - 1n);
    w.u64(2n ** 53n);
    w.u64(0xfffffffffffffffbn);
    expect(w.pos).toBe(out.length);
    expect(hex(out)).toBe(
      'ff' +
        'fffe' +
        'fffffd' +
        'fffffffc' +
        '80000000' +
        '001fffffffffffff' +
        '0020000000000000' +
        'fffffffffffffffb',
    );
  });

  it('rejects every value outside an integer type as WIRE_UNENCODABLE, never a TypeError', () => {
    const w = new Writer(new Uint8Array(16));
    const bad: [string, () => void][] = [
      ['u8 256', () => w.u8(256)],
      ['u8 -1', () => w.u8(-1)],
      ['u8 1.5', () => w.u8(1.5)],
      ['u8 NaN', () => w.u8(NaN)],
      ['u16 65536', () => w.u16(0x10000)],
      ['u16 bigint', () => w.u16(1n as unknown as number)],
      ['u24 2^24', () => w.u24(0x1000000)],
      ['u24 -0.5', () => w.u24(-0.5)],
      ['u32 2^32', () => w.u32(2 ** 32)],
      ['u32 -1', () => w.u32(-1)],
      ['u32 Infinity', () => w.u32(Infinity)],
      ['u32 string', () => w.u32('1' as unknown as number)],
      ['u64 -1', () => w.u64(-1n)],
      ['u64 2^64', () => w.u64(2n ** 64n)],
      ['u64 number', () => w.u64(1 as unknown as bigint)],
    ];
    for (const [name, f] of bad) {
      let code: unknown;
      try {
        f();
      } catch (e) {
        code = (e as { code?: unknown }).code;
      }
      expect(code, name).toBe('WIRE_UNENCODABLE');
    }
    expect(w.pos).toBe(0); // nothing was written
  });

  it('views of a plain Uint8Array are plain views; a Buffer gives Buffer views', () => {
    const plain = new Uint8Array(100).map((_, i) => i);
    const r = new Reader(plain.subarray(10), 0, 90);
    const v = r.bytes(4, 'v');
    expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    expect(v.buffer).toBe(plain.buffer);
    expect([...v]).toEqual([10, 11, 12, 13]);
    const whole = r.range(1, 3);
    expect([...whole]).toEqual([11, 12]);
    expect(r.pos).toBe(4);
    expectInvalid(() => r.range(80, 91, 'x'), /^x$/);
    const buf = Buffer.from(plain);
    const b = new Reader(buf).bytes(3, 'b');
    expect(Buffer.isBuffer(b)).toBe(true);
    expect(Buffer.isBuffer(new Reader(buf).range(0, 2))).toBe(true);
    const small = new Reader(unhex('0102')).bytes(2, 's'); // ≤ 64 bytes: subarray
    expect([...small]).toEqual([1, 2]);
  });
});

describe('Reader.list (first element as [x], then push)', () => {
  it('returns 0, 1 or many elements and enforces maxCount before decoding', () => {
    const u8 = (r: Reader): number => r.u8('e');
    expect(new Reader(unhex('')).list(u8)).toEqual([]);
    expect(new Reader(unhex('07')).list(u8)).toEqual([7]);
    expect(new Reader(unhex('010203')).list(u8)).toEqual([1, 2, 3]);
    expectInvalid(() => new Reader(unhex('01')).list(u8, 0, 'v'), /^v$/);
    expectInvalid(() => new Reader(unhex('010203')).list(u8, 2, 'v'), /^v$/);
    const r = new Reader(unhex('0102'));
    expect(r.list(u8, 2)).toEqual([1, 2]);
  });
});
