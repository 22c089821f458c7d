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
