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
