/**
 * Method handlers of the topology and diagnostic methods (RFC 6940 §6.4.2, §6.5.3, §10.7,
 * §10.8), each driven by a real signed request through a 3-peer overlay over the memory link,
 * plus direct calls of `handleRequest` with crafted requests for the signer checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { handleRequest, type IncomingRequest, type Peer } from '@reload/overlay';
import { idEquals } from '@reload/security';
import {
  ErrorCode,
  MessageCode,
  PingAnsCodec,
  ProbeAnsCodec,
  ProbeReqCodec,
  UpdateAnsCodec,
  chordRouteQueryAnsCodec,
  chordUpdateCodec,
  decodeExact,
  encodeToBytes,
  joinReqCodec,
  leaveReqCodec,
  newForwardingHeader,
  routeQueryReqCodec,
} from '@reload/wire';
import { makeOverlay, ringErrors, startRing, type TestOverlay } from './helpers.js';

let o: TestOverlay;
let a: Peer;
let b: Peer;
let c: Peer;
const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex');

beforeAll(async () => {
  o = await makeOverlay(3);
  [a, b, c] = await startRing(o, 3);
}, 60_000);

afterAll(async () => {
  await o?.close();
});

/** Sends a signed request from `from` to Node-ID `to`; resolves with the answer or the error. */
async function ask(
  from: Peer,
  to: Peer,
  messageCode: number,
  body: Uint8Array,
): Promise<{ body?: Uint8Array; code?: number | string; signer?: Uint8Array }> {
  try {
    const r = await from.request({
      destinationList: [{ kind: 'node', nodeId: to.nodeId }],
      messageCode,
      body,
      expectedResponder: to.nodeId,
    });
    return { body: r.body, signer: r.signer.nodeId };
  } catch (e) {
    return { code: (e as { code: number | string }).code };
  }
}

describe('Probe (§6.4.2.5)', () => {
  it('answers responsible_set, num_resources and uptime, skipping unknown types', async () => {
    const r = await ask(
      a,
      b,
      MessageCode.probe_req,
      encodeToBytes(ProbeReqCodec, { requestedInfo: [1, 2, 3, 77] }),
    );
    expect(r.code).toBeUndefined();
    const ans = decodeExact(ProbeAnsCodec, r.body!);
    expect(ans.probeInfo.map((i) => i.type)).toEqual([
      'responsible_set',
      'num_resources',
      'uptime',
    ]);
    const ppb = ans.probeInfo[0];
    expect(ppb.type === 'responsible_set' && ppb.responsiblePpb).toBe(b.chord.responsiblePpb());
    expect(ans.probeInfo[1]).toEqual({ type: 'num_resources', numResources: 0 });
    const up = ans.probeInfo[2];
    expect(up.type === 'uptime' && up.uptime).toBeGreaterThanOrEqual(0);
    expect(up.type === 'uptime' && up.uptime).toBeLessThan(120);
  });

  it('the three peers together are responsible for the whole ring (ppb sums to 1e9)', async () => {
    let sum = 0;
    for (const p of [a, b, c]) {
      const r = await ask(
        a,
        p,
        MessageCode.probe_req,
        encodeToBytes(ProbeReqCodec, { requestedInfo: [1] }),
      );
      const info = decodeExact(ProbeAnsCodec, r.body!).probeInfo[0];
      if (info.type === 'responsible_set') sum += info.responsiblePpb;
    }
    expect(Math.abs(sum - 1e9)).toBeLessThanOrEqual(3);
  });
});

const big = (x: Uint8Array): bigint => BigInt(`0x${hex(x)}`);
const RING = 1n << 128n;

/**
 * §10.3 computed independently: the responder itself when responsible (decision 0357), else
 * the routing-table peer with the largest Node-ID in (responder, k), else the smallest Node-ID
 * greater than k. In a 3-peer ring the routing table is the two other peers.
 */
function expectedNextPeer(responder: Peer, table: Peer[], k: Uint8Array): Uint8Array {
  if (responder.chord.isResponsible(k)) return responder.nodeId;
  const self = big(responder.nodeId);
  const dist = (x: bigint): bigint => (((x - self) % RING) + RING) % RING;
  const dk = dist(big(k));
  const inside = table.filter((p) => dist(big(p.nodeId)) > 0n && dist(big(p.nodeId)) < dk);
  if (inside.length > 0) {
    inside.sort((x, y) => (dist(big(y.nodeId)) > dist(big(x.nodeId)) ? 1 : -1));
    return inside[0].nodeId;
  }
  const after = table.slice().sort((x, y) => {
    const dx = (((big(x.nodeId) - big(k)) % RING) + RING) % RING;
    const dy = (((big(y.nodeId) - big(k)) % RING) + RING) % RING;
    return dx < dy ? -1 : 1;
  });
  return after[0].nodeId;
}

describe('RouteQuery (§6.4.2.4, §10.8)', () => {
  const codec = routeQueryReqCodec(16);
  it('next_peer is the responder itself when it is responsible, else its §10.3 next hop', async () => {
    for (let k = 0; k < 24; k++) {
      const target = randomBytes(16);
      const r = await ask(
        a,
        b,
        MessageCode.route_query_req,
        encodeToBytes(codec, {
          sendUpdate: false,
          destination: { kind: 'resource', resourceId: target },
          overlaySpecificData: new Uint8Array(0),
        }),
      );
      const { nextPeer } = decodeExact(chordRouteQueryAnsCodec(16), r.body!);
      expect(hex(nextPeer)).toBe(hex(expectedNextPeer(b, [a, c], target)));
    }
  });

  it('a Node-ID destination is answered too', async () => {
    const r = await ask(
      a,
      b,
      MessageCode.route_query_req,
      encodeToBytes(codec, {
        sendUpdate: true,
        destination: { kind: 'node', nodeId: c.nodeId },
        overlaySpecificData: new Uint8Array(0),
      }),
    );
    expect(hex(decodeExact(chordRouteQueryAnsCodec(16), r.body!).nextPeer)).toBe(hex(c.nodeId));
  });

  it('an opaque destination gets Error_Invalid_Message', async () => {
    const r = await ask(
      a,
      b,
      MessageCode.route_query_req,
      encodeToBytes(codec, {
        sendUpdate: false,
        destination: { kind: 'opaque', opaqueId: new Uint8Array([1, 2, 3]) },
        overlaySpecificData: new Uint8Array(0),
      }),
    );
    expect(r.code).toBe(ErrorCode.InvalidMessage);
  });
});

describe('Join and Leave signer checks (§6.4.2.1, §6.4.2.2)', () => {
  it('a Join whose joining_peer_id is not the signer is refused with Error_Forbidden', async () => {
    const before = ringErrors(o.peers);
    const r = await ask(
      a,
      b,
      MessageCode.join_req,
      encodeToBytes(joinReqCodec(16), {
        joiningPeerId: randomBytes(16),
        overlaySpecificData: new Uint8Array(0),
      }),
    );
    expect(r.code).toBe(ErrorCode.Forbidden);
    expect(ringErrors(o.peers)).toEqual(before);
  });

  it('a Leave whose leaving_peer_id is not the signer is refused and changes nothing', async () => {
    const preds = b.chord.predecessors().map(hex);
    const succs = b.chord.successors().map(hex);
    const r = await ask(
      a,
      b,
      MessageCode.leave_req,
      encodeToBytes(leaveReqCodec(16), {
        leavingPeerId: c.nodeId,
        overlaySpecificData: a.chord.encodeLeaveData({ type: 'from_succ', successors: [] }),
      }),
    );
    expect(r.code).toBe(ErrorCode.Forbidden);
    await new Promise((res) => setTimeout(res, 50));
    expect(b.chord.predecessors().map(hex)).toEqual(preds);
    expect(b.chord.successors().map(hex)).toEqual(succs);
  });

  it('handleRequest refuses a crafted Join/Leave signed by another Node-ID', async () => {
    const signer = { nodeId: a.nodeId, info: { nodeIds: [a.nodeId], usernames: ['user0'] } };
    const base = {
      header: newForwardingHeader({
        overlay: 1,
        transactionId: 1n,
        destinationList: [{ kind: 'node', nodeId: b.nodeId }],
        configurationSequence: 1,
        ttl: 100,
      }),
      extensions: [],
      certificates: [],
      signer,
    } as unknown as Omit<IncomingRequest, 'messageCode' | 'body'>;
    const ctx = {
      peer: b,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    };
    await expect(
      handleRequest(ctx, {
        ...base,
        messageCode: MessageCode.join_req,
        body: encodeToBytes(joinReqCodec(16), {
          joiningPeerId: c.nodeId,
          overlaySpecificData: new Uint8Array(0),
        }),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(
      handleRequest(ctx, {
        ...base,
        messageCode: MessageCode.leave_req,
        body: encodeToBytes(leaveReqCodec(16), {
          leavingPeerId: c.nodeId,
          overlaySpecificData: new Uint8Array(0),
        }),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    // A signer without a Node-ID cannot run topology methods at all.
    await expect(
      handleRequest(ctx, {
        ...base,
        signer: { info: { nodeIds: [], usernames: ['x'] } },
        messageCode: MessageCode.join_req,
        body: encodeToBytes(joinReqCodec(16), {
          joiningPeerId: c.nodeId,
          overlaySpecificData: new Uint8Array(0),
        }),
      } as unknown as IncomingRequest),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(
      handleRequest(ctx, { ...base, messageCode: 0x0101, body: new Uint8Array(0) }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidMessage });
  });
});

describe('Update (§6.4.2.3, §10.7.3)', () => {
  it('an Update from a neighbour is answered with an UpdateAns and applied', async () => {
    const update = {
      uptime: 5,
      type: 'neighbors' as const,
      predecessors: a.chord.predecessors(),
      successors: a.chord.successors(),
    };
    const r = await ask(a, b, MessageCode.update_req, a.chord.encodeUpdate(update));
    expect(r.code).toBeUndefined();
    expect(decodeExact(UpdateAnsCodec, r.body!).length).toBe(0);
    await new Promise((res) => setTimeout(res, 50));
    expect(ringErrors(o.peers)).toEqual([]);
  });

  it('a malformed ChordUpdate gets Error_Invalid_Message', async () => {
    const good = encodeToBytes(chordUpdateCodec(16), { uptime: 1, type: 'peer_ready' });
    const r = await ask(a, b, MessageCode.update_req, good.subarray(0, good.length - 1));
    expect(r.code).toBe(ErrorCode.InvalidMessage);
  });
});

describe('Ping (§6.5.3)', () => {
  it('is answered by the Node-ID it was sent to, with a time close to now', async () => {
    const t0 = Date.now();
    const r = await a.ping({ kind: 'node', nodeId: c.nodeId });
    expect(idEquals(r.signer.nodeId!, c.nodeId)).toBe(true);
    const ans = decodeExact(PingAnsCodec, r.body);
    expect(Number(ans.time)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(Number(ans.time)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('a Ping to a Resource-ID is answered by the responsible peer', async () => {
    const target = randomBytes(16);
    const r = await c.ping({ kind: 'resource', resourceId: target });
    const responsible = [a, b, c].find((p) => p.chord.isResponsible(target))!;
    expect(hex(r.signer.nodeId!)).toBe(hex(responsible.nodeId));
  });
});
