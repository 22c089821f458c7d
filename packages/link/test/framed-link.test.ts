import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@reload/wire';
import type { ByteChannel, LinkCloseInfo } from '../src/index.js';
import {
  FramedLink,
  ManualClock,
  silentLogger,
  writeAckFrame,
  writeDataFrameHeader,
} from '../src/index.js';
import { testMessage } from './helpers/messages.js';

/** A FramedLink over a channel that records writes; time from a ManualClock. */
function harness(o: { minRtoMs?: number; retentionMs?: number } = {}) {
  const writes: Uint8Array[] = [];
  let ended = false;
  const channel: ByteChannel = {
    write: (c) => void writes.push(c),
    writableLength: 0,
    end: () => void (ended = true),
    destroy: () => void (ended = true),
    pause: () => undefined,
    resume: () => undefined,
  };
  const clock = new ManualClock(1000);
  const link = new FramedLink(channel, {
    type: 4,
    protocol: 'test',
    initiator: true,
    remoteNodeIds: [],
    remoteChain: [],
    remoteAddress: { host: '192.0.2.1', port: 6084 },
    localAddress: { host: '192.0.2.2', port: 40000 },
    maxMessageSize: 5000,
    clock,
    logger: silentLogger,
    ...o,
  });
  return { link, writes, clock, ended: () => ended };
}

const flush = () => new Promise<void>((r) => queueMicrotask(r));

function frames(seqs: number[]): Uint8Array {
  const parts = seqs.map((s) => {
    const m = testMessage(30, s);
    const f = new Uint8Array(38);
    writeDataFrameHeader(f, 0, s, 30);
    f.set(m, 8);
    return f;
  });
  return new Uint8Array(Buffer.concat(parts));
}

function ack(seq: number, received = 0): Uint8Array {
  const f = new Uint8Array(9);
  writeAckFrame(f, 0, seq, received);
  return f;
}

describe('FramedLink (§6.6.2 engine)', () => {
  it('numbers data frames from 0 and batches writes of one tick into one', async () => {
    const { link, writes } = harness();
    link.send(testMessage(30, 0));
    link.send(testMessage(40, 1));
    await flush();
    expect(writes).toHaveLength(1);
    const w = writes[0];
    expect(w.length).toBe(8 + 30 + 8 + 40);
    expect([...w.subarray(0, 8)]).toEqual([128, 0, 0, 0, 0, 0, 0, 30]);
    expect([...w.subarray(38, 46)]).toEqual([128, 0, 0, 0, 1, 0, 0, 40]);
  });

  it('acknowledges the last frame of a read with the bitmask of the previous 32 (bit N−M)', async () => {
    const { link, writes } = harness();
    const got: Uint8Array[] = [];
    link.on('message', (m) => got.push(m));
    link.receive(frames([0, 1, 2, 3, 4]));
    await flush();
    expect(got).toHaveLength(5);
    expect(writes).toHaveLength(1);
    // ack_sequence 4; previous 0..3 received → bits 4,3,2,1 → 0b11110
    expect([...writes[0]]).toEqual([129, 0, 0, 0, 4, 0, 0, 0, 0x1e]);
    link.receive(frames([5]));
    await flush();
    // 5: previous 1..4 and 0 → bits 1..5 → 0b111110
    expect([...writes[1]]).toEqual([129, 0, 0, 0, 5, 0, 0, 0, 0x3e]);
  });

  it('acknowledges at least every 32 frames within one read', async () => {
    const { link, writes } = harness();
    link.receive(frames([...Array(40).keys()]));
    await flush();
    const w = writes[0];
    expect(w.length).toBe(18);
    expect([...w.subarray(0, 5)]).toEqual([129, 0, 0, 0, 31]);
    expect(new DataView(w.buffer, w.byteOffset).getUint32(5)).toBe(0xfffffffe);
    expect([...w.subarray(9, 14)]).toEqual([129, 0, 0, 0, 39]);
  });

  it('measures RTT from ACKs and fails, restores, and fails permanently on the RTO (§6.6.5)', () => {
    const { link, clock, ended } = harness({ minRtoMs: 100, retentionMs: 30_000 });
    const events: string[] = [];
    link.on('failed', () => events.push('failed'));
    link.on('restored', () => events.push('restored'));
    link.send(testMessage(30, 0));
    clock.advance(40);
    link.receive(ack(0));
    expect(link.rtt()).toMatchObject({ lastRttMs: 40, srttMs: 40, samples: 1, rtoMs: 120 });
    link.send(testMessage(30, 1)); // seq 1
    clock.advance(119);
    expect(link.state).toBe('open');
    clock.advance(1);
    expect(link.state).toBe('failed');
    expect(events).toEqual(['failed']);
    link.receive(ack(1));
    expect(events).toEqual(['failed', 'restored']);
    // Second sample 120 ms: RTTVAR = 0.75·20 + 0.25·80 = 35, SRTT = 50, RTO = 50 + 140.
    expect(link.rtt().rtoMs).toBe(190);
    link.send(testMessage(30, 2));
    clock.advance(190);
    expect(link.state).toBe('failed');
    let closed: LinkCloseInfo | undefined;
    link.on('close', (i) => (closed = i));
    clock.advance(29_999);
    expect(closed).toBeUndefined();
    clock.advance(1);
    expect(closed?.reason).toBe('LINK_FAILED');
    expect(ended()).toBe(true);
  });

  it('an ACK for the last frame stops the timer; ACKs for unsent frames are ignored', () => {
    const { link, clock } = harness({ minRtoMs: 100 });
    link.send(testMessage(30, 0));
    link.send(testMessage(30, 1));
    link.receive(ack(7)); // never sent
    expect(link.rtt().samples).toBe(0);
    link.receive(ack(1)); // covers 0 and 1 (ordered stream)
    expect(link.rtt().samples).toBe(1);
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(link.state).toBe('open');
  });

  it('refuses to send over max-message-size and stays open', () => {
    const { link } = harness();
    let err: unknown;
    try {
      link.send(testMessage(5001, 0));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: ErrorCode.MessageTooLarge });
    expect(link.state).toBe('open');
    expect(link.send(testMessage(5000, 0))).toBe(true);
  });

  it('reports an oversize message with its prefix and acknowledges it', async () => {
    const { link, writes } = harness();
    const big = testMessage(6000, 9);
    const f = new Uint8Array(8 + big.length);
    writeDataFrameHeader(f, 0, 0, big.length);
    f.set(big, 8);
    const seen: number[] = [];
    link.on('messageTooLarge', (i) => seen.push(i.length, i.prefix.length, i.maxMessageSize));
    link.receive(f);
    link.receive(frames([1]));
    await flush();
    expect(seen).toEqual([6000, 5000, 5000]);
    expect(link.state).toBe('open');
    expect([...writes[0].subarray(0, 5)]).toEqual([129, 0, 0, 0, 0]);
  });

  it('closes with FRAMING_ERROR on garbage', () => {
    const { link, ended } = harness();
    let closed: LinkCloseInfo | undefined;
    link.on('close', (i) => (closed = i));
    link.receive(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(closed?.reason).toBe('FRAMING_ERROR');
    expect(ended()).toBe(true);
    expect(() => link.send(testMessage(30, 0))).toThrow(/closed/);
  });
});
