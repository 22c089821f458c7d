import { describe, expect, it } from 'vitest';
import { decodeExact, ErrorCode, isReloadError, type ChordUpdate } from '@reload/wire';
import { bytesToBig, createChordTopology, Ring } from '../src/index.js';
import type { ChordAction, ChordOptions, ChordTopology } from '../src/index.js';
import { prng } from './sim.js';

// Positions on the 128-bit circle in 1/256ths: P(64) is a quarter of the way round.
const ring = new Ring(16);
const P = (x: number): bigint => BigInt(x) << 120n;
const B = (x: number | bigint): Uint8Array => ring.toBytes(typeof x === 'number' ? P(x) : x);
const big = (b: Uint8Array): bigint => bytesToBig(b);

interface Clock {
  t: number;
}

function mk(self: number, opts: Partial<ChordOptions> = {}): { c: ChordTopology; clock: Clock } {
  const clock = { t: 1_000 };
  const c = createChordTopology({
    nodeId: B(self),
    now: () => clock.t,
    random: prng(42),
    ...opts,
  });
  return { c, clock };
}

/** A joined peer at `self` whose connected peers are `peers` (positions). */
function joined(self: number, peers: number[], opts: Partial<ChordOptions> = {}) {
  const m = mk(self, opts);
  m.c.createOverlay();
  for (const p of peers) {
    m.c.onPeerAttached(B(p));
    m.c.onUpdate(B(p), { uptime: 1, type: 'peer_ready' });
  }
  return m;
}

const ofType = <T extends ChordAction['type']>(as: ChordAction[], t: T) =>
  as.filter((a): a is Extract<ChordAction, { type: T }> => a.type === t);
const ids = (l: Uint8Array[]) => l.map(big);
const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
const updatesTo = (as: ChordAction[]) =>
  new Map(ofType(as, 'update').map((u) => [big(u.to), u.update] as const));

function expectReloadError(f: () => unknown, code: number | string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isReloadError(err), String(err)).toBe(true);
  expect((err as { code: unknown }).code).toBe(code);
}

describe('first peer', () => {
  it('createOverlay makes it responsible for the whole circle', () => {
    const { c } = mk(10);
    const as = c.createOverlay();
    expect(as.map((a) => a.type)).toEqual(['joined', 'ranges', 'schedule']); // not 'isolated'
    const r = ofType(as, 'ranges')[0];
    expect(big(r.responsible!.start)).toBe(P(10));
    expect(big(r.responsible!.end)).toBe(P(10));
    expect(c.state).toBe('joined');
    expect(c.isResponsible(B(200))).toBe(true);
    expect(c.nextHop(B(99))).toEqual({ type: 'local' });
    expect(c.responsiblePpb()).toBe(1_000_000_000);
    expectReloadError(() => c.createOverlay(), 'CHORD_BAD_STATE');
  });
});

describe('admitting peer (§10.5 steps 5–8)', () => {
  it('answers an Attach with send_update by a full Update', () => {
    const { c } = joined(10, [50]);
    const as = c.onPeerAttached(B(30), { sendUpdate: true });
    const u = updatesTo(as).get(P(30))!;
    expect(u.type).toBe('full');
    // The attacher is not a peer yet: not routed through.
    expect(ids(c.routingTable())).toEqual([P(50)]);
  });

  it('accepts a Join: transfer of (old predecessor, JN] first, then Updates naming JN', () => {
    const { c } = joined(100, [10, 150]);
    c.onPeerAttached(B(60), { sendUpdate: true });
    const d = c.onJoinReq(B(60));
    expect(d.accept).toBe(true);
    const types = d.actions.map((a) => a.type);
    const tr = ofType(d.actions, 'transfer')[0];
    expect(big(tr.range.start)).toBe(P(10));
    expect(big(tr.range.end)).toBe(P(60));
    expect(big(tr.to)).toBe(P(60));
    expect(types.indexOf('transfer')).toBeLessThan(types.indexOf('update'));
    const u = updatesTo(d.actions);
    const toJn = u.get(P(60))!;
    expect(toJn.type).toBe('neighbors');
    expect(toJn.type === 'neighbors' && ids(toJn.predecessors)[0]).toBe(P(60));
    expect(u.has(P(10)) && u.has(P(150))).toBe(true);
    expect(big(c.responsibleRange()!.start)).toBe(P(60));
    expect(c.isResponsible(B(50))).toBe(false);
    expect(c.isResponsible(B(70))).toBe(true);
  });

  it('rejects Joins it cannot admit with Error_Forbidden', () => {
    const idle = mk(5).c;
    const notJoined = idle.onJoinReq(B(3));
    expect(notJoined.accept === false && notJoined.errorCode).toBe(ErrorCode.Forbidden);
    const { c } = joined(100, [90, 80, 70, 120]);
    expect(c.onJoinReq(B(100)).accept).toBe(false);
    const far = c.onJoinReq(B(20)); // beyond the third predecessor
    expect(far.accept).toBe(false);
    expect(c.onJoinReq(B(85)).accept).toBe(true);
  });
});

describe('joining node (§10.5)', () => {
  it('runs the nine steps: Attach n+1, neighbors via AP, fingers, Join, Update → joined', () => {
    const { c } = mk(100);
    let as = c.join(B(200));
    expect(c.state).toBe('joining');
    const adm = ofType(as, 'attach')[0];
    expect(big(adm.target)).toBe(P(100) + 1n);
    expect(adm).toMatchObject({ destination: 'resource', sendUpdate: true, purpose: 'admitting' });
    expect(big(adm.firstHop!)).toBe(P(200));

    as = c.onAttachAnswered(adm.target, B(120));
    expect(ofType(as, 'join')).toEqual([]);

    const apUpdate: ChordUpdate = {
      uptime: 50,
      type: 'full',
      predecessors: [B(90), B(80), B(70)],
      successors: [B(130), B(140), B(150)],
      fingers: [B(130), B(200), B(250)],
    };
    as = c.onUpdate(B(120), apUpdate);
    const atts = ofType(as, 'attach');
    const neigh = atts.filter((a) => a.purpose === 'neighbor');
    expect(ids(neigh.map((a) => a.target)).sort(cmp)).toEqual([
      P(70),
      P(80),
      P(90),
      P(130),
      P(140),
    ]);
    for (const a of neigh) {
      expect(a.destination).toBe('node');
      expect(big(a.via!)).toBe(P(120)); // §10.6: source-routed through the AP
    }
    const fing = atts.filter((a) => a.purpose === 'finger');
    expect(fing.length).toBeGreaterThan(0);
    for (const a of fing) {
      expect(a.destination).toBe('resource');
      // never inside (n, last successor]: those are neighbors already
      expect(ring.inOpenClosed(big(a.target), P(100), P(140))).toBe(false);
    }
    expect(fing.some((a) => big(a.target) === P(100) + (1n << 127n))).toBe(true);
    expect(ofType(as, 'join')).toEqual([]);

    // Answers arrive; the last neighbor answer releases the Join (step 5).
    for (const a of neigh.slice(0, -1)) {
      expect(ofType(c.onAttachAnswered(a.target, a.target), 'join')).toEqual([]);
    }
    as = c.onAttachAnswered(neigh[neigh.length - 1].target, neigh[neigh.length - 1].target);
    expect(ids(ofType(as, 'join').map((j) => j.to))).toEqual([P(120)]);
    expect(c.onJoinAnswered(B(120)).filter((a) => a.type !== 'schedule')).toEqual([]);
    expect(c.isResponsible(B(95))).toBe(false);

    // Step 7: the AP's Update names JN as its predecessor.
    as = c.onUpdate(B(120), {
      uptime: 51,
      type: 'neighbors',
      predecessors: [B(100), B(90), B(80)],
      successors: [B(130), B(140), B(150)],
    });
    expect(c.state).toBe('joined');
    expect(as.some((a) => a.type === 'joined')).toBe(true);
    const rng = ofType(as, 'ranges')[0];
    expect(big(rng.responsible!.start)).toBe(P(90));
    expect(big(rng.keep!.start)).toBe(P(70));
    // Step 9: Updates to every neighbor.
    const u = updatesTo(as);
    for (const n of [70, 80, 90, 120, 130, 140]) expect(u.get(P(n))?.type).toBe('neighbors');
    expect(ids(c.successors())).toEqual([P(120), P(130), P(140)]);
    expect(ids(c.predecessors())).toEqual([P(90), P(80), P(70)]);
    expect(c.isResponsible(B(95))).toBe(true);
    expect(ofType(as, 'transfer')).toEqual([]);
  });

  it('retries when the admitting Attach fails or is never reported', () => {
    const { c, clock } = mk(100, { joinRetryMs: 1_000, operationTimeoutMs: 5_000 });
    let as = c.join(B(200));
    const adm = ofType(as, 'attach')[0];
    as = c.onAttachFailed(adm.target);
    const at = ofType(as, 'schedule')[0].at;
    expect(at).toBe(clock.t + 1_000);
    clock.t = at;
    as = c.tick();
    expect(ofType(as, 'attach').map((a) => a.purpose)).toEqual(['admitting']);
    clock.t += 5_000; // nobody answers: the guard times it out, then the retry fires
    as = c.tick();
    clock.t += 1_000;
    as = c.tick();
    expect(ofType(as, 'attach').map((a) => a.purpose)).toEqual(['admitting']);
  });

  it('restarts when the Join is rejected', () => {
    const { c, clock } = mk(100, { joinRetryMs: 1_000 });
    const adm = ofType(c.join(B(200)), 'attach')[0];
    c.onAttachAnswered(adm.target, B(120));
    const as = c.onUpdate(B(120), {
      uptime: 1,
      type: 'neighbors',
      predecessors: [],
      successors: [],
    });
    expect(ofType(as, 'join').length).toBe(1);
    c.onJoinFailed(B(120));
    clock.t += 1_000;
    expect(ofType(c.tick(), 'attach')[0].purpose).toBe('admitting');
  });
});

describe('receiving Updates (§10.7.3)', () => {
  it('attaches to closer peers through the sender and adopts them', () => {
    const { c } = joined(100, [150, 200, 50]);
    expect(ids(c.successors())).toEqual([P(150), P(200), P(50)]);
    let as = c.onUpdate(B(150), {
      uptime: 9,
      type: 'neighbors',
      predecessors: [B(120), B(100)],
      successors: [B(160)],
    });
    const att = ofType(as, 'attach');
    expect(ids(att.map((a) => a.target)).sort(cmp)).toEqual([P(120), P(160)]);
    expect(att.every((a) => big(a.via!) === P(150) && a.purpose === 'neighbor')).toBe(true);
    as = c.onAttachAnswered(B(120), B(120));
    expect(ids(c.successors())).toEqual([P(120), P(150), P(200)]);
    // reactive: every connected peer hears about the new neighbor set
    const u = updatesTo(as);
    expect([...u.keys()].sort(cmp)).toEqual([P(50), P(120), P(150), P(200)]);
    // replica set changed: the new successor must receive our data
    const rep = ofType(as, 'replicas')[0];
    expect(ids(rep.added)).toEqual([P(120)]);
  });

  it('hands (old, new] over when an Update reveals a closer predecessor (§6.4.2.3)', () => {
    const { c } = joined(100, [50, 150]);
    c.onUpdate(B(150), { uptime: 3, type: 'neighbors', predecessors: [B(80)], successors: [] });
    const as = c.onAttachAnswered(B(80), B(80));
    const tr = ofType(as, 'transfer');
    expect(tr.map((t) => [big(t.range.start), big(t.range.end), big(t.to)])).toEqual([
      [P(50), P(80), P(80)],
    ]);
    expect(big(ofType(as, 'ranges')[0].responsible!.start)).toBe(P(80));
  });

  it('announces a changed range to every connection even in periodic mode', () => {
    const { c } = joined(100, [50, 150], { reactive: false });
    c.onPeerAttached(B(7));
    const as = c.onLinkFailed(B(50));
    expect([...updatesTo(as).keys()].sort(cmp)).toEqual([P(7), P(150)]);
  });

  it('does not broadcast in periodic mode, but still adopts', () => {
    const { c } = joined(100, [150, 200, 50], { reactive: false });
    c.onUpdate(B(150), { uptime: 9, type: 'neighbors', predecessors: [B(120)], successors: [] });
    const as = c.onAttachAnswered(B(120), B(120));
    expect(ids(c.successors())[0]).toBe(P(120));
    expect(ofType(as, 'update').map((u) => [big(u.to), u.update.type])).toEqual([
      [P(120), 'neighbors'],
    ]);
  });

  it('ignores itself and peers it saw fail recently', () => {
    const { c } = joined(100, [150, 200]);
    c.onLinkFailed(B(200));
    const as = c.onUpdate(B(150), {
      uptime: 9,
      type: 'neighbors',
      predecessors: [B(100)],
      successors: [B(200)],
    });
    expect(ofType(as, 'attach')).toEqual([]);
    expect(ids(c.successors())).not.toContain(P(100));
  });

  it('rejects malformed Updates with Error_Invalid_Message', () => {
    const { c } = joined(100, [150]);
    expectReloadError(
      () =>
        c.onUpdate(B(150), {
          uptime: 1,
          type: 'neighbors',
          predecessors: [new Uint8Array(20)],
          successors: [],
        }),
      ErrorCode.InvalidMessage,
    );
    expectReloadError(
      () => c.onUpdate(B(150), { uptime: 1, type: 'bogus' } as unknown as ChordUpdate),
      ErrorCode.InvalidMessage,
    );
    expectReloadError(
      () => c.onUpdate(new Uint8Array(3), { uptime: 1, type: 'peer_ready' }),
      ErrorCode.InvalidMessage,
    );
  });
});

describe('failures (§10.7.1, §10.7.2)', () => {
  it('replaces a failed successor and holds new replicas down for 30 s', () => {
    const { c, clock } = joined(100, [110, 120, 130, 140, 90]);
    expect(ids(c.replicaSet())).toEqual([P(110), P(120)]);
    let as = c.onLinkFailed(B(110));
    expect(ids(c.successors())).toEqual([P(120), P(130), P(140)]);
    expect(ofType(as, 'replicas')).toEqual([]);
    expect(updatesTo(as).get(P(120))?.type).toBe('neighbors');
    expect(ofType(as, 'schedule')[0].at).toBe(clock.t + 30_000);
    clock.t += 30_000;
    as = c.tick();
    const rep = ofType(as, 'replicas')[0];
    expect(ids(rep.replicas)).toEqual([P(120), P(130)]);
    expect(ids(rep.added)).toEqual([P(130)]);
  });

  it('a failed predecessor widens the range and is announced to every connection', () => {
    const { c } = joined(100, [90, 80, 150]);
    c.onPeerAttached(B(7)); // a connected non-peer (e.g. a client) must hear too
    const as = c.onLinkFailed(B(90));
    const r = ofType(as, 'ranges')[0];
    expect(big(r.responsible!.start)).toBe(P(80));
    expect(ofType(as, 'transfer')).toEqual([]);
    expect([...updatesTo(as).keys()].sort(cmp)).toEqual([P(7), P(80), P(150)]);
  });

  it('searches a new finger after a finger failure (reactive), narrowing on misses', () => {
    // Peers at 200 (finger 1 of 100: [228..99]) and 230.
    const { c } = joined(10, [20, 30, 40, 200]);
    expect(c.fingers()[0] && big(c.fingers()[0]!)).toBe(P(200));
    let as = c.onLinkFailed(B(200));
    const ping = ofType(as, 'ping')[0];
    const { start, end } = ring.fingerRange(P(10), 1);
    const t = big(ping.target);
    expect(ring.inClosed(t, start, end)).toBe(true);
    expect(ping).toMatchObject({ purpose: 'finger', viaBootstrap: false });
    // Answered by a peer past the range: search the part before the point.
    as = c.onPingAnswered(ping.target, B(20));
    const again = ofType(as, 'ping')[0];
    expect(ring.inClosed(big(again.target), start, t - 1n)).toBe(true);
    // Answered by a peer inside the range: attach to it.
    as = c.onPingAnswered(again.target, B(180));
    const att = ofType(as, 'attach')[0];
    expect(att).toMatchObject({ destination: 'node', purpose: 'finger' });
    expect(big(att.target)).toBe(P(180));
    as = c.onAttachAnswered(B(180), B(180));
    expect(big(c.fingers()[0]!)).toBe(P(180));
    // 180 is also our new predecessor in this small ring, so it gets our neighbor set.
    expect(updatesTo(as).get(P(180))?.type).toBe('neighbors');
  });

  it('announces isolation when the last peer is gone', () => {
    const m = mk(100);
    const adm = ofType(m.c.join(B(200)), 'attach')[0];
    m.c.onAttachAnswered(adm.target, B(200));
    const j = m.c.onUpdate(B(200), {
      uptime: 1,
      type: 'neighbors',
      predecessors: [],
      successors: [],
    });
    expect(ofType(j, 'join').length).toBe(1);
    m.c.onUpdate(B(200), {
      uptime: 1,
      type: 'neighbors',
      predecessors: [B(100)],
      successors: [B(100)],
    });
    expect(m.c.state).toBe('joined');
    const as = m.c.onLinkFailed(B(200));
    expect(as.some((a) => a.type === 'isolated')).toBe(true);
    expect(m.c.isResponsible(B(5))).toBe(true);
  });
});

describe('replica Stores (§10.4)', () => {
  it('accepts replicas only from its first two predecessors, for their ranges', () => {
    const { c } = joined(100, [90, 80, 70, 110]);
    expect(c.acceptsReplicaFrom(B(90), B(85))).toBe(true); // (80, 90] belongs to 90
    expect(c.acceptsReplicaFrom(B(90), B(75))).toBe(false);
    expect(c.acceptsReplicaFrom(B(80), B(75))).toBe(true); // (70, 80] belongs to 80
    expect(c.acceptsReplicaFrom(B(70), B(65))).toBe(false); // third predecessor: not a replica
    expect(c.acceptsReplicaFrom(B(110), B(105))).toBe(false); // a successor
    expect(mk(1).c.acceptsReplicaFrom(B(90), B(85))).toBe(false);
  });

  it('a lone pair replicates everything to each other', () => {
    const { c } = joined(100, [20]);
    expect(c.acceptsReplicaFrom(B(20), B(10))).toBe(true);
  });
});

describe('Leave (§10.9)', () => {
  it('leave() hands the range to the successor and tells each neighbor', () => {
    const { c } = joined(100, [90, 80, 70, 110, 120, 130]);
    const as = c.leave();
    expect(as[0].type).toBe('transfer');
    const tr = ofType(as, 'transfer')[0];
    expect([big(tr.range.start), big(tr.range.end), big(tr.to)]).toEqual([P(90), P(100), P(110)]);
    const leaves = ofType(as, 'leave');
    expect(leaves.length).toBe(6);
    for (const l of leaves) {
      const to = big(l.to);
      if (to < P(100)) {
        expect(l.data.type).toBe('from_succ');
        expect(l.data.type === 'from_succ' && ids(l.data.successors)).toEqual([
          P(110),
          P(120),
          P(130),
        ]);
      } else {
        expect(l.data.type).toBe('from_pred');
        expect(l.data.type === 'from_pred' && ids(l.data.predecessors)).toEqual([
          P(90),
          P(80),
          P(70),
        ]);
      }
    }
    expect(c.state).toBe('left');
    expect(c.onUpdate(B(90), { uptime: 1, type: 'peer_ready' })).toEqual([]);
    expect(c.tick()).toEqual([]);
    expect(c.onJoinReq(B(95)).accept).toBe(false);
  });

  it('onLeave treats the sender as failed and attaches to the successors it names', () => {
    const { c } = joined(100, [110, 120, 90]);
    const as = c.onLeave(B(110), { type: 'from_succ', successors: [B(120), B(125)] });
    expect(ids(c.successors())).toEqual([P(120), P(90)]);
    const att = ofType(as, 'attach');
    expect(ids(att.map((a) => a.target))).toEqual([P(125)]);
    expect(att[0].via).toBeUndefined();
    expectReloadError(() => c.onLeave(B(120), { type: 'nope' } as never), ErrorCode.InvalidMessage);
  });
});

describe('stabilization timers (§10.7.4)', () => {
  it('sends neighbors Updates about every chord-update-interval', () => {
    const { c, clock } = joined(100, [110, 90], {
      updateIntervalMs: 10_000,
      pingIntervalMs: 1e9,
      partitionCheckIntervalMs: 0,
    });
    let sent = 0;
    const end = clock.t + 100_000;
    while (clock.t < end) {
      const at = c.nextTickAt()!;
      clock.t = at;
      const u = ofType(c.tick(), 'update');
      if (u.length) {
        expect(ids(u.map((x) => x.to)).sort(cmp)).toEqual([P(90), P(110)]);
        sent++;
      }
    }
    expect(sent).toBeGreaterThanOrEqual(8);
    expect(sent).toBeLessThanOrEqual(14);
  });

  it('pings for fingers at most once per chord-ping-interval', () => {
    const { c, clock } = joined(10, [20, 30, 40], {
      updateIntervalMs: 1e9,
      pingIntervalMs: 60_000,
      partitionCheckIntervalMs: 0,
    });
    const times: number[] = [];
    const end = clock.t + 600_000;
    while (clock.t < end) {
      clock.t = c.nextTickAt()!;
      for (const p of ofType(c.tick(), 'ping')) {
        times.push(clock.t);
        c.onPingFailed(p.target);
      }
    }
    expect(times.length).toBeGreaterThan(0);
    for (let i = 1; i < times.length; i++)
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(60_000);
  });

  it('detects a partition through a bootstrap peer and heals towards it (§10.7.4.4)', () => {
    const { c, clock } = joined(100, [110, 90], {
      updateIntervalMs: 1e9,
      pingIntervalMs: 1e9,
      partitionCheckIntervalMs: 5_000,
    });
    let ping: Extract<ChordAction, { type: 'ping' }> | undefined;
    while (!ping) {
      clock.t = c.nextTickAt()!;
      ping = ofType(c.tick(), 'ping')[0];
    }
    expect(ping).toMatchObject({ viaBootstrap: true, purpose: 'partition' });
    expect(big(ping.target)).toBe(P(100) + 1n);
    // The answer comes from our successor: all is well.
    expect(ofType(c.onPingAnswered(ping.target, B(110), B(250)), 'attach')).toEqual([]);
    let p2: Extract<ChordAction, { type: 'ping' }> | undefined;
    while (!p2) {
      clock.t = c.nextTickAt()!;
      p2 = ofType(c.tick(), 'ping')[0];
    }
    // A stranger answers: attach to it through the bootstrap peer, then Update it.
    const att = ofType(c.onPingAnswered(p2.target, B(105), B(250)), 'attach')[0];
    expect(att).toMatchObject({ destination: 'node', purpose: 'partition', sendUpdate: true });
    expect([big(att.target), big(att.via!)]).toEqual([P(105), P(250)]);
    const as = c.onAttachAnswered(att.target, B(105));
    expect(updatesTo(as).has(P(105))).toBe(true);
    expect(ids(c.successors())[0]).toBe(P(105));
  });
});

describe('routing (§10.3) and RouteQuery (§10.8)', () => {
  it('follows the next-hop rules', () => {
    const { c } = joined(100, [90, 110, 120, 130, 140, 230]);
    c.onPeerAttached(B(160)); // connected, not a peer
    expect(c.nextHop(B(95))).toEqual({ type: 'local' });
    expect(c.nextHop(B(100))).toEqual({ type: 'local' });
    // directly connected to the node itself
    expect(big((c.nextHop(B(160)) as { nodeId: Uint8Array }).nodeId)).toBe(P(160));
    // largest id in (self, k): 140 for k = 170
    expect(big((c.nextHop(B(170)) as { nodeId: Uint8Array }).nodeId)).toBe(P(140));
    // k just past self: nobody in (self, k), smallest id ≥ k is 110
    const k = ring.toBytes(P(100) + 5n);
    expect(big((c.nextHop(k) as { nodeId: Uint8Array }).nodeId)).toBe(P(110));
    // wrap-around: k = 20 lies after 230 going clockwise
    expect(big((c.nextHop(B(20)) as { nodeId: Uint8Array }).nodeId)).toBe(P(230));
    // not joined: nowhere to go
    expect(mk(5).c.nextHop(B(9))).toEqual({ type: 'none' });
  });

  it('skips entries the host cannot use and takes the next best (§10.3)', () => {
    const { c } = joined(100, [90, 110, 120, 130, 140, 230]);
    const hop = (k: Uint8Array, down: number[]): bigint | 'none' | 'local' => {
      const h = c.nextHop(k, (n) => !down.map((d) => P(d)).includes(big(n)));
      return h.type === 'forward' ? big(h.nodeId) : h.type;
    };
    // 140 is the closest preceding entry for 170; without a link to it, 130 is next
    expect(hop(B(170), [140])).toBe(P(130));
    expect(hop(B(170), [140, 130, 120])).toBe(P(110));
    // nothing precedes k usable: the entries at or after k, in clockwise order
    expect(hop(B(170), [140, 130, 120, 110])).toBe(P(230));
    // a directly connected destination without a usable link is not routed round it
    expect(hop(B(140), [140])).toBe('none');
    // nothing usable at all
    expect(hop(B(170), [90, 110, 120, 130, 140, 230])).toBe('none');
    // without a filter the answer is unchanged
    expect(big((c.nextHop(B(170)) as { nodeId: Uint8Array }).nodeId)).toBe(P(140));
  });

  it('answers RouteQuery with next_peer, encoded by the wire codec, and a full Update on request', () => {
    const { c } = joined(100, [90, 110, 140]);
    const r = c.onRouteQuery(B(140), B(130), true);
    expect(big(r.nextPeer)).toBe(P(110));
    expect(r.body).toEqual(r.nextPeer);
    expect(big(decodeExact(c.codecs.routeQueryAns, r.body).nextPeer)).toBe(P(110));
    expect(updatesTo(r.actions).get(P(140))?.type).toBe('full');
    const local = c.onRouteQuery(B(140), B(95), false);
    expect(big(local.nextPeer)).toBe(P(100));
    expect(ofType(local.actions, 'update')).toEqual([]);
  });
});

describe('wire bodies and views', () => {
  it('encodes Updates and Leave data with the @reload/wire codecs', () => {
    const { c } = joined(100, [90, 110]);
    const full = c.buildUpdate('full');
    if (full.type !== 'full') throw new Error('expected a full Update');
    expect(ids(full.fingers)).toEqual(
      [P(90), P(110)].filter((x) => ring.fingerIndex(P(100), x) <= 16),
    );
    const body = c.encodeUpdate(full);
    expect(body.length).toBe(
      5 + 6 + 16 * (full.predecessors.length + full.successors.length + full.fingers.length),
    );
    expect(c.decodeUpdate(body)).toEqual(full);
    const ld = { type: 'from_pred' as const, predecessors: [B(90)] };
    expect(c.decodeLeaveData(c.encodeLeaveData(ld))).toEqual(ld);
    expectReloadError(
      () => c.decodeUpdate(new Uint8Array([0, 0, 0, 1, 9])),
      ErrorCode.InvalidMessage,
    );
  });

  it('reports uptime, responsible share and options errors', () => {
    const { c, clock } = joined(0, [128]);
    clock.t += 12_345;
    expect(c.uptimeSeconds()).toBe(12);
    expect(c.responsiblePpb()).toBe(500_000_000);
    expect(c.buildUpdate('peer_ready')).toEqual({ uptime: 12, type: 'peer_ready' });
    expectReloadError(() => mk(1, { successors: 2 }), 'CHORD_BAD_OPTION');
    expectReloadError(() => mk(1, { fingerTableSize: 200 }), 'CHORD_BAD_OPTION');
    expectReloadError(() => mk(1, { nodeIdLength: 20 }), ErrorCode.InvalidMessage);
    expectReloadError(() => mk(1).c.join(B(1)), 'CHORD_BAD_STATE');
  });

  it('grows the Finger Table past 16 entries to reach the last successor, towards 128 (§10.7.4.3)', () => {
    const clock = { t: 0 };
    const c = createChordTopology({
      nodeId: ring.toBytes(0n),
      now: () => clock.t,
      random: prng(3),
    });
    c.createOverlay();
    const add = (x: bigint) => {
      c.onPeerAttached(ring.toBytes(x));
      c.onUpdate(ring.toBytes(x), { uptime: 1, type: 'peer_ready' });
    };
    add(1n << 127n);
    expect(c.fingers().length).toBe(16);
    for (const e of [110n, 109n, 108n]) add(1n << e); // three successors far inside finger 16
    // the last (third) successor is 2^110: finger 18
    expect(c.fingers().length).toBe(128 - 110);
    expect(bytesToBig(c.fingers()[128 - 110 - 1]!)).toBe(1n << 110n);
    for (const e of [1n, 2n, 3n]) add(e); // successors right next to us: the last is finger 127
    expect(c.fingers().length).toBe(127);
    expect(bytesToBig(c.fingers()[126]!)).toBe(2n); // range [2, 3]: the peer nearest its start
    expect(c.buildUpdate('full').type).toBe('full');
  });

  it('works with 160-bit NodeIds', () => {
    const r20 = new Ring(20);
    const clock = { t: 0 };
    const c = createChordTopology({
      nodeId: r20.toBytes(5n),
      nodeIdLength: 20,
      now: () => clock.t,
      random: prng(1),
    });
    c.createOverlay();
    const half = (1n << 159n) + 5n; // exactly n + 2^(160-1): finger 1
    c.onPeerAttached(r20.toBytes(half));
    c.onUpdate(r20.toBytes(half), { uptime: 1, type: 'peer_ready' });
    expect(c.fingers().length).toBe(16);
    expect(bytesToBig(c.fingers()[0]!)).toBe(half);
    expect(c.encodeUpdate(c.buildUpdate('neighbors')).length).toBe(5 + 4 + 40);
  });
});
