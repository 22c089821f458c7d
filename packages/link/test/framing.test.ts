import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode, FramedMessageCodec, decodeExact, encodeToBytes } from '@reload/wire';
import type { ReloadError } from '@reload/wire';
import { FrameDecoder, writeAckFrame, writeDataFrameHeader } from '../src/index.js';
import { tagOf, testMessage } from './helpers/messages.js';

type Event =
  | { kind: 'data'; seq: number; msg: Uint8Array }
  | { kind: 'ack'; seq: number; received: number }
  | { kind: 'oversize'; seq: number; length: number; prefix: Uint8Array }
  | { kind: 'error'; err: ReloadError };

function decoder(max = 5000, check = true): { d: FrameDecoder; events: Event[] } {
  const events: Event[] = [];
  const d = new FrameDecoder(
    {
      data: (seq, msg) => events.push({ kind: 'data', seq, msg: new Uint8Array(msg) }),
      ack: (seq, received) => events.push({ kind: 'ack', seq, received }),
      oversize: (seq, length, prefix) => events.push({ kind: 'oversize', seq, length, prefix }),
      error: (err) => events.push({ kind: 'error', err }),
    },
    { maxMessageSize: max, checkForwardingHeader: check },
  );
  return { d, events };
}

function dataFrame(seq: number, msg: Uint8Array): Uint8Array {
  const f = new Uint8Array(8 + msg.length);
  writeDataFrameHeader(f, 0, seq, msg.length);
  f.set(msg, 8);
  return f;
}

function ackFrame(seq: number, received: number): Uint8Array {
  const f = new Uint8Array(9);
  writeAckFrame(f, 0, seq, received);
  return f;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

describe('framing writers agree with the @reload/wire FramedMessage codec (§6.6.2)', () => {
  it('data and ack frames', () => {
    const msg = testMessage(100, 7);
    expect(dataFrame(0xfffffffe, msg)).toEqual(
      encodeToBytes(FramedMessageCodec, { type: 128, sequence: 0xfffffffe, message: msg }),
    );
    expect(ackFrame(5, 0x8000001e)).toEqual(
      encodeToBytes(FramedMessageCodec, { type: 129, ackSequence: 5, received: 0x8000001e }),
    );
    expect(decodeExact(FramedMessageCodec, ackFrame(5, 0x1e))).toEqual({
      type: 129,
      ackSequence: 5,
      received: 0x1e,
    });
  });
});

describe('FrameDecoder', () => {
  const stream = concat([
    dataFrame(0, testMessage(30, 0)),
    ackFrame(9, 0xffffffff),
    dataFrame(1, testMessage(5000, 1)), // exactly max-message-size
    dataFrame(2, testMessage(24, 2)),
    ackFrame(10, 0),
  ]);
  const expected = (events: Event[]): void => {
    expect(events.map((e) => e.kind)).toEqual(['data', 'ack', 'data', 'data', 'ack']);
    const data = events.filter((e) => e.kind === 'data');
    expect(data.map((e) => tagOf(e.msg))).toEqual([0, 1, 2]);
    expect(data.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(data.map((e) => e.msg.length)).toEqual([30, 5000, 24]);
    expect(events[1]).toEqual({ kind: 'ack', seq: 9, received: 0xffffffff });
  };

  it('decodes many frames in one chunk', () => {
    const { d, events } = decoder();
    d.push(stream);
    expected(events);
  });

  it('decodes a stream split at every offset into two reads', () => {
    for (let cut = 1; cut < stream.length; cut += cut < 64 ? 1 : 97) {
      const { d, events } = decoder();
      d.push(stream.subarray(0, cut));
      d.push(stream.subarray(cut));
      expected(events);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const { d, events } = decoder();
    for (let i = 0; i < stream.length; i++) d.push(stream.subarray(i, i + 1));
    expected(events);
  });

  it('decodes any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 40 }), (sizes) => {
        const { d, events } = decoder();
        let pos = 0;
        for (const s of sizes) {
          d.push(stream.subarray(pos, pos + s));
          pos += s;
        }
        d.push(stream.subarray(pos));
        expected(events);
      }),
      { numRuns: 200 },
    );
  });

  it('discards a message over max-message-size, reports its prefix and stays in step (§6.6)', () => {
    const big = testMessage(7000, 42);
    const { d, events } = decoder(5000);
    const s = concat([dataFrame(3, big), dataFrame(4, testMessage(40, 43))]);
    for (let i = 0; i < s.length; i += 333) d.push(s.subarray(i, i + 333));
    expect(events.map((e) => e.kind)).toEqual(['oversize', 'data']);
    const o = events[0] as Extract<Event, { kind: 'oversize' }>;
    expect(o.seq).toBe(3);
    expect(o.length).toBe(7000);
    expect(o.prefix).toEqual(big.subarray(0, 5000));
    expect(tagOf((events[1] as Extract<Event, { kind: 'data' }>).msg)).toBe(43);
  });

  it('rejects an unknown frame type', () => {
    const { d, events } = decoder();
    d.push(new Uint8Array([0x17, 1, 2, 3]));
    expect(events).toHaveLength(1);
    expect(events[0].kind).toBe('error');
    expect(d.failed).toBe(true);
    d.push(dataFrame(0, testMessage(30, 0)));
    expect(events).toHaveLength(1);
  });

  it('rejects a frame whose length disagrees with the forwarding header (bogus length)', () => {
    const msg = testMessage(300, 1);
    const f = dataFrame(0, msg);
    f[6] = 0x01; // length 0x00012c → 0x00012c with a different middle byte
    f[7] = 0x00; // frame now claims 256 bytes
    const { d, events } = decoder();
    d.push(f);
    const e = events[0] as Extract<Event, { kind: 'error' }>;
    expect(e.kind).toBe('error');
    expect(e.err.code).toBe(ErrorCode.InvalidMessage);
    expect(e.err.message).toMatch(/ForwardingHeader.length|differs/);
  });

  it('rejects garbage inside a huge frame once the prefix is in', () => {
    const f = new Uint8Array(8 + 6000).fill(0x41);
    writeDataFrameHeader(f, 0, 0, 0xffffff);
    const { d, events } = decoder();
    d.push(f);
    expect(events.map((e) => e.kind)).toEqual(['error']);
  });

  it('rejects messages shorter than a forwarding header', () => {
    const { d, events } = decoder();
    d.push(dataFrame(0, new Uint8Array(10)));
    expect(events.map((e) => e.kind)).toEqual(['error']);
  });

  it('passes anything when the forwarding-header check is off', () => {
    const { d, events } = decoder(5000, false);
    d.push(dataFrame(0, new Uint8Array([1, 2, 3])));
    expect(events.map((e) => e.kind)).toEqual(['data']);
  });
});
