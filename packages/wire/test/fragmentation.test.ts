import { describe, expect, it } from 'vitest';
import {
  type Message,
  FRAGMENT_REASSEMBLY_TIMEOUT_MS,
  createReassembler,
  decodeForwardingHeader,
  decodeMessage,
  encodeMessage,
  fragmentInfo,
  fragmentMessage,
  newForwardingHeader,
} from '@reload/wire';
import { expectInvalid, hex } from './message-helpers.js';

function message(bodyLength: number, transactionId = 42n): Uint8Array {
  const m: Message = {
    forwardingHeader: newForwardingHeader({
      overlay: 1,
      transactionId,
      viaList: [{ kind: 'node', nodeId: new Uint8Array(16).fill(3) }],
      destinationList: [{ kind: 'node', nodeId: new Uint8Array(16).fill(2) }],
    }),
    messageContents: {
      messageCode: 7,
      messageBody: Uint8Array.from({ length: bodyLength }, (_, i) => (i * 7) & 0xff),
      extensions: [],
    },
    securityBlock: {
      certificates: [],
      signature: {
        algorithm: { hash: 4, signature: 1 },
        identity: { identityType: 3 },
        signatureValue: new Uint8Array(0),
      },
    },
  };
  return encodeMessage(m);
}

describe('fragmentation (RFC 6940 §6.7)', () => {
  const whole = message(3000);
  const headerLength = decodeForwardingHeader(whole).headerLength;

  it('splits into equal-sized fragments that carry a full header copy', () => {
    const frags = fragmentMessage(whole, 1200);
    expect(frags.length).toBe(3);
    let expectedOffset = 0;
    frags.forEach((f, i) => {
      expect(f.length).toBeLessThanOrEqual(1200);
      const { header, headerLength: hl } = decodeForwardingHeader(f);
      expect(hl).toBe(headerLength);
      expect(header.length).toBe(f.length); // length = size after fragmentation
      const info = fragmentInfo(header.fragment);
      // offset counts bytes after the forwarding header; the first fragment has offset 0
      expect(info.offset).toBe(expectedOffset);
      expect(info.last).toBe(i === frags.length - 1);
      expect(header.fragment & 0x80000000).not.toBe(0);
      expect(hex(f.subarray(hl))).toBe(
        hex(whole.subarray(headerLength + info.offset, headerLength + info.offset + f.length - hl)),
      );
      expect(f.length - hl).toBeGreaterThanOrEqual(256);
      expectedOffset += f.length - hl;
      expectInvalid(() => decodeMessage(f), /fragment/);
    });
    expect(expectedOffset).toBe(whole.length - headerLength);
    // equal sizes; the last one takes the remainder (smaller by less than the count)
    const sizes = frags.map((f) => f.length);
    expect(new Set(sizes.slice(0, -1)).size).toBe(1);
    expect(sizes[0] - sizes[sizes.length - 1]).toBeLessThan(frags.length);
  });

  it('leaves small messages alone, and does not fragment below 256 data bytes', () => {
    expect(fragmentMessage(whole, whole.length)).toEqual([whole]);
    expect(fragmentMessage(whole, headerLength + 255)).toEqual([whole]);
    const frags = fragmentMessage(whole, headerLength + 256);
    for (const f of frags.slice(0, -1)) expect(f.length - headerLength).toBeGreaterThanOrEqual(256);
  });

  it('reassembles in any order, with duplicates, into the original message', () => {
    let now = 0;
    const r = createReassembler({ now: () => now });
    const frags = fragmentMessage(whole, 700);
    const order = [...frags.keys()].reverse();
    const results = [];
    for (const i of [...order, order[0]]) results.push(r.add(frags[i]));
    const done = results.find((x) => x.status === 'complete');
    expect(done && 'message' in done && hex(done.message)).toBe(hex(whole));
    expect(r.pending).toBe(0);
    expect(results[results.length - 1].status).toBe('dropped'); // late duplicate
    now += 1;
    expect(r.add(whole)).toEqual({ status: 'complete', message: whole });
  });

  it('reassembles re-fragmented fragments (overlapping boundaries)', () => {
    const r = createReassembler({ now: () => 0 });
    const coarse = fragmentMessage(whole, 1700);
    const fine = fragmentMessage(coarse[0], 700);
    expect(fine.length).toBeGreaterThan(1);
    const all = [...fine, coarse[1]];
    let last;
    for (const f of all) last = r.add(f);
    expect(last?.status).toBe('complete');
    expect(last && 'message' in last && hex(last.message)).toBe(hex(whole));
  });

  it('drops incomplete messages after 15 s on the injected clock', () => {
    let now = 1000;
    const r = createReassembler({ now: () => now });
    const frags = fragmentMessage(whole, 700);
    expect(r.add(frags[0]).status).toBe('pending');
    now += FRAGMENT_REASSEMBLY_TIMEOUT_MS - 1;
    expect(r.expire()).toBe(0);
    now += 1;
    expect(r.expire()).toBe(1);
    expect(r.pending).toBe(0);
    // the rest alone never completes
    for (const f of frags.slice(1)) expect(r.add(f).status).toBe('pending');
  });

  it('keeps transactions apart and bounds memory', () => {
    const r = createReassembler({ now: () => 0, maxPending: 1, maxMessageSize: 2000 });
    const a = fragmentMessage(message(1500, 1n), 700);
    const b = fragmentMessage(message(1500, 2n), 700);
    expect(r.add(a[0]).status).toBe('pending');
    expect(r.add(b[0]).status).toBe('dropped');
    const big = fragmentMessage(message(3000, 3n), 700);
    const r2 = createReassembler({ now: () => 0, maxMessageSize: 2000 });
    const statuses = big.map((f) => r2.add(f).status);
    expect(statuses).toContain('dropped');
    expect(statuses).not.toContain('complete');
  });

  it('rejects fragments whose header does not decode', () => {
    const r = createReassembler({ now: () => 0 });
    expectInvalid(() => r.add(new Uint8Array(10)));
  });
});
