/**
 * Fragmentation end to end (RFC 6940 §6.7) over the memory link with max-message-size 1200:
 * a Store of a 3 KiB value is fragmented, reassembled at the responsible peer and answered; the
 * FetchAns comes back fragmented and is reassembled; max_response_length is honoured (§6.3.2);
 * oversized and junk fragments from a raw neighbour are dropped and counted while the peer keeps
 * serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Link } from '@reload/link';
import { type Peer, fetchValues, storeValues } from '@reload/overlay';
import { overlayHash, resourceId, signSecurityBlock } from '@reload/security';
import {
  ErrorCode,
  MessageCode,
  PingReqCodec,
  decodeForwardingHeader,
  decodeMessage,
  encodeForwardingHeader,
  encodeMessage,
  encodeMessageContents,
  encodeToBytes,
  fetchReqCodec,
  fragmentInfo,
  fragmentMessage,
  makeFragmentField,
  newForwardingHeader,
  Writer,
} from '@reload/wire';
import {
  KINDS,
  makeOverlay,
  OVERLAY,
  rawClient,
  startRing,
  type TestOverlay,
  waitFor,
} from './helpers.js';

const MAX = 1200;
let o: TestOverlay;
let link: Link;
const inbox: Uint8Array[] = [];
/** Sizes of everything each peer's links sent (index = peer). */
const sent: number[][] = [];

beforeAll(async () => {
  o = await makeOverlay(5, { maxMessageSize: MAX }, true);
  const [first] = await startRing(o, 4);
  for (let i = 0; i < 4; i++) {
    const p = o.peers[i];
    sent[i] = [];
    for (const l of p.links.values()) {
      const send = l.send.bind(l);
      l.send = (bytes: Uint8Array) => {
        sent[i].push(bytes.length);
        return send(bytes);
      };
    }
  }
  link = await rawClient(o, 4, '127.9.9.8', first, inbox, 20_000);
}, 60_000);

afterAll(async () => {
  link?.close();
  await o?.close();
});

/** A peer that is not responsible for the Resource-ID of its own Node-ID (so Stores travel). */
function travellingOwner(): { owner: Peer; index: number; responsible: Peer } {
  for (let i = 0; i < 4; i++) {
    const p = o.peers[i];
    const r = resourceId(p.nodeId, 16);
    if (!p.chord.isResponsible(r)) {
      return { owner: p, index: i, responsible: o.peers.find((q) => q.chord.isResponsible(r))! };
    }
  }
  throw new Error('every peer is responsible for its own Node-ID resource');
}

describe('fragmentation and reassembly (§6.7)', () => {
  it('a Store of a 3 KiB value is fragmented, reassembled at the responsible peer and answered', async () => {
    const { owner, index, responsible } = travellingOwner();
    const value = randomBytes(3 * 1024);
    sent[index].length = 0;
    const res = await storeValues(owner, {
      name: owner.nodeId,
      kind: KINDS.array.id,
      values: [{ model: 'ARRAY', index: 0, value }],
    });
    expect(Buffer.from(res.storedAt!).equals(Buffer.from(responsible.nodeId))).toBe(true);
    // Every message on the wire fits max-message-size; the Store took several fragments.
    expect(Math.max(...sent[index])).toBeLessThanOrEqual(MAX);
    expect(sent[index].filter((n) => n > 256).length).toBeGreaterThanOrEqual(3);
    const stored = await responsible.storage!.exportResource(resourceId(owner.nodeId, 16), 0);
    expect(stored).toBeDefined();
  });

  it('a FetchAns over max-message-size comes back fragmented and is reassembled', async () => {
    const { owner, responsible } = travellingOwner();
    const ri = o.peers.indexOf(responsible);
    sent[ri].length = 0;
    const f = await fetchValues(owner, {
      name: owner.nodeId,
      kind: KINDS.array.id,
      model: 'ARRAY',
    });
    expect(f.values).toHaveLength(1);
    expect(f.values[0].data.value.value.value).toHaveLength(3 * 1024);
    expect(Math.max(...sent[ri])).toBeLessThanOrEqual(MAX);
    expect(sent[ri].filter((n) => n > 256).length).toBeGreaterThanOrEqual(3);
  });

  it('max_response_length is honoured: a larger answer becomes Error_Incompatible_with_Overlay', async () => {
    const { owner } = travellingOwner();
    const resource = resourceId(owner.nodeId, 16);
    const body = encodeToBytes(fetchReqCodec(owner.storage!.modelOf), {
      resource,
      specifiers: [
        {
          kind: KINDS.array.id,
          generation: 0n,
          model: 'ARRAY',
          indices: [{ first: 0, last: 0xffffffff }],
        },
      ],
    });
    const fetch = (maxResponseLength: number): Promise<unknown> =>
      owner.request({
        destinationList: [{ kind: 'resource', resourceId: resource }],
        messageCode: MessageCode.fetch_req,
        body,
        maxResponseLength,
      });
    await expect(fetch(2000)).rejects.toMatchObject({ code: ErrorCode.IncompatibleWithOverlay });
    await expect(fetch(20_000)).resolves.toMatchObject({ messageCode: MessageCode.fetch_ans });
  });
});

/** A signed Ping from the raw identity to peer 0, with `padding` bytes of padding. */
function ping(padding: number): { bytes: Uint8Array; tx: bigint } {
  const id = o.identities[4];
  const tx = randomBytes(8).readBigUInt64BE();
  const header = newForwardingHeader({
    overlay: overlayHash(OVERLAY),
    transactionId: tx,
    destinationList: [{ kind: 'node', nodeId: o.peers[0].nodeId }],
    configurationSequence: o.config.sequence,
    ttl: 100,
  });
  const messageContents = {
    messageCode: MessageCode.ping_req,
    messageBody: encodeToBytes(PingReqCodec, { padding: new Uint8Array(padding) }),
    extensions: [],
  };
  const securityBlock = signSecurityBlock({
    overlay: overlayHash(OVERLAY),
    transactionId: tx,
    messageContents: encodeMessageContents(messageContents),
    credentials: id.credentials,
    nodeId: id.nodeId,
  });
  return { bytes: encodeMessage({ forwardingHeader: header, messageContents, securityBlock }), tx };
}

/** Rewrites a fragment's `fragment` field. */
function refragment(frag: Uint8Array, offset: number, last: boolean): Uint8Array {
  const { header, headerLength } = decodeForwardingHeader(frag);
  const out = frag.slice();
  encodeForwardingHeader(
    { ...header, fragment: makeFragmentField(offset, last) },
    new Writer(out.subarray(0, headerLength)),
    undefined,
    out.length,
  );
  return out;
}

async function answered(tx: bigint): Promise<void> {
  await waitFor(
    () => inbox.some((m) => decodeMessage(m).forwardingHeader.transactionId === tx),
    5_000,
    'an answer',
  );
}

const stats = (): { dropped: number; dropReasons: Record<string, number> } =>
  o.peers[0].transport.stats;

describe('fragments from a raw neighbour', () => {
  it('a request sent in fragments is reassembled and answered (control)', async () => {
    const { bytes, tx } = ping(2500);
    const frags = fragmentMessage(bytes, 1000);
    expect(frags.length).toBeGreaterThanOrEqual(3);
    expect(frags.every((f) => !fragmentInfo(decodeForwardingHeader(f).header.fragment).whole)).toBe(
      true,
    );
    for (const f of frags.reverse()) link.send(f);
    await answered(tx);
  });

  it('a fragment over the link max-message-size is discarded and logged', async () => {
    const before = (o.logs[0] ?? []).filter((l) => l.includes('max-message-size')).length;
    const frag = fragmentMessage(ping(6000).bytes, 3000)[0];
    expect(frag.length).toBeGreaterThan(MAX);
    link.send(frag);
    await waitFor(
      () => (o.logs[0] ?? []).filter((l) => l.includes('max-message-size')).length === before + 1,
      2_000,
      'the oversize warning',
    );
  });

  it('a fragment whose offset puts the message beyond the reassembly limit is dropped and counted', async () => {
    const before = stats().dropped;
    const [first] = fragmentMessage(ping(2500).bytes, 1000);
    link.send(refragment(first, 0xffff00, true));
    await waitFor(() => stats().dropped === before + 1, 2_000, 'the drop');
    expect(stats().dropReasons['reassembly: message too large or inconsistent fragments']).toBe(1);
  });

  it('two different last fragments of one message are dropped and counted', async () => {
    const before = stats().dropped;
    const frags = fragmentMessage(ping(2500).bytes, 1000);
    const last = frags[frags.length - 1];
    const info = fragmentInfo(decodeForwardingHeader(last).header.fragment);
    link.send(last);
    link.send(refragment(last, info.offset - 100, true));
    await waitFor(() => stats().dropped === before + 1, 2_000, 'the drop');
    expect(stats().dropReasons['reassembly: two different last fragments']).toBe(1);
  });

  it('junk reassembled from fragments is dropped as malformed', async () => {
    const before = stats().dropReasons['malformed message'] ?? 0;
    const frags = fragmentMessage(ping(2500).bytes, 1000);
    const junk = frags.map((f) => {
      const { headerLength } = decodeForwardingHeader(f);
      const g = f.slice();
      g.fill(0xee, headerLength);
      return g;
    });
    for (const f of junk) link.send(f);
    await waitFor(
      () => (stats().dropReasons['malformed message'] ?? 0) === before + 1,
      2_000,
      'the drop',
    );
  });

  it('the peer keeps serving after the bad fragments', async () => {
    const { bytes, tx } = ping(0);
    link.send(bytes);
    await answered(tx);
    const r = await o.peers[1].ping({ kind: 'node', nodeId: o.peers[0].nodeId });
    expect(r.messageCode).toBe(MessageCode.ping_ans);
  });
});
