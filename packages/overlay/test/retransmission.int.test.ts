/**
 * End-to-end retransmission (RFC 6940 §6.2.1): a request whose answer is lost is sent again
 * with the same transaction id (the responder answers the copy from its response cache) and
 * succeeds within 5 transmissions; after 5 unanswered transmissions it fails with
 * Error_Request_Timeout. Loss is injected by dropping answers at the requester and by a lossy
 * stretch of the memory network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IncomingResponse, MAX_TRANSMISSIONS, type Peer } from '@reload/overlay';
import {
  ErrorCode,
  MessageCode,
  decodeForwardingHeader,
  decodeMessage,
  isRequest,
} from '@reload/wire';
import { makeOverlay, startRing, type TestOverlay } from './helpers.js';

const TIMER = 150;
let o: TestOverlay;
let a: Peer;
let b: Peer;
/** A PingReq with 77 bytes of padding: easy to tell from the peers' own traffic. */
const PING_BODY = new Uint8Array(79);
PING_BODY[1] = 77;
/** Transaction ids of our Pings as sent by `a` (each transmission). */
const sentTx: bigint[] = [];
/** Transaction ids of the answers dropped at `a`. */
const droppedTx: bigint[] = [];
/** How many more answers to the watched transaction `a` drops. */
let dropNext = 0;
let watch: ((tx: bigint) => boolean) | undefined;

beforeAll(async () => {
  o = await makeOverlay(2);
  [a, b] = await startRing(o, 2);
  // Note the transaction id of our Pings (79-byte body) as `a` sends them.
  for (const l of a.links.values()) {
    const send = l.send.bind(l);
    l.send = (bytes: Uint8Array) => {
      const m = decodeMessage(bytes);
      if (m.messageContents.messageBody.length === PING_BODY.length) {
        sentTx.push(m.forwardingHeader.transactionId);
      }
      return send(bytes);
    };
  }
  // Lose answers on their way into `a` (after the link, before the message transport).
  const receive = a.transport.receive.bind(a.transport);
  a.transport.receive = (from, bytes) => {
    const { header, headerLength } = decodeForwardingHeader(bytes);
    const code = (bytes[headerLength] << 8) | bytes[headerLength + 1];
    if (!isRequest(code) && watch?.(header.transactionId) && dropNext > 0) {
      dropNext--;
      droppedTx.push(header.transactionId);
      return;
    }
    receive(from, bytes);
  };
}, 60_000);

afterAll(async () => {
  await o?.close();
});

function pingB(): Promise<IncomingResponse> {
  return a.request({
    destinationList: [{ kind: 'node', nodeId: b.nodeId }],
    messageCode: MessageCode.ping_req,
    body: PING_BODY,
    expectedResponder: b.nodeId,
    timeoutMs: TIMER,
  });
}

/** Watches the next transaction `a` originates: its first answers are dropped. */
function loseAnswers(n: number): void {
  droppedTx.length = 0;
  sentTx.length = 0;
  dropNext = n;
  watch = (t) => sentTx.includes(t);
}

describe('end-to-end retransmission (§6.2.1)', () => {
  it('an answer lost once: the request is sent again with the same transaction id', async () => {
    const dupBefore = b.transport.stats.duplicates;
    const rtxBefore = a.transport.stats.retransmissions;
    loseAnswers(1);
    const res = await pingB();
    expect(res.transmissions).toBe(2);
    expect(droppedTx).toEqual([res.header.transactionId]);
    expect(sentTx).toEqual([res.header.transactionId, res.header.transactionId]);
    expect(a.transport.stats.retransmissions - rtxBefore).toBeGreaterThanOrEqual(1);
    // The responder recognised the copy and answered it from its response cache.
    expect(b.transport.stats.duplicates - dupBefore).toBe(1);
  });

  it('four answers lost: the fifth transmission succeeds', async () => {
    loseAnswers(4);
    const res = await pingB();
    expect(res.transmissions).toBe(MAX_TRANSMISSIONS);
    expect(droppedTx).toHaveLength(4);
    expect(new Set([...droppedTx, res.header.transactionId]).size).toBe(1);
  });

  it('five answers lost: Error_Request_Timeout after five transmissions', async () => {
    const rtxBefore = a.transport.stats.retransmissions;
    const t0 = Date.now();
    loseAnswers(100);
    await expect(pingB()).rejects.toMatchObject({ code: ErrorCode.RequestTimeout });
    expect(ErrorCode.RequestTimeout).toBe(4);
    expect(a.transport.stats.retransmissions - rtxBefore).toBeGreaterThanOrEqual(
      MAX_TRANSMISSIONS - 1,
    );
    expect(droppedTx).toHaveLength(MAX_TRANSMISSIONS);
    expect(sentTx).toHaveLength(MAX_TRANSMISSIONS);
    expect(new Set([...droppedTx, ...sentTx]).size).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(MAX_TRANSMISSIONS * TIMER - 20);
    watch = undefined;
  });

  it('a lossy stretch of the network (every frame lost) is bridged by retransmission', async () => {
    watch = undefined;
    sentTx.length = 0;
    o.net.lossRate = 1;
    const pending = pingB();
    await new Promise((r) => setTimeout(r, TIMER * 2 + 50));
    o.net.lossRate = 0;
    const res = await pending;
    expect(new Set(sentTx).size).toBe(1);
    expect(res.transmissions).toBeGreaterThanOrEqual(3);
    expect(res.transmissions).toBeLessThanOrEqual(MAX_TRANSMISSIONS);
  });
});
