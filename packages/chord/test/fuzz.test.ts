import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToBig, createChordTopology, Ring } from '../src/index.js';
import type { ChordAction, ChordTopology } from '../src/index.js';
import { prng } from './sim.js';

const ring = new Ring(16);
const SELF = 100n << 120n;
const pool = [5, 40, 60, 90, 99, 101, 110, 130, 180, 220, 250].map((x) => BigInt(x) << 120n);
const id = fc.constantFrom(...pool);
const ids = fc.array(id, { maxLength: 5 });
const B = (x: bigint) => ring.toBytes(x);

type Cmd = (c: ChordTopology, clock: { t: number }, log: ChordAction[]) => unknown;

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  id.map(
    (x): Cmd =>
      (c) =>
        c.onPeerAttached(B(x), { sendUpdate: true }),
  ),
  fc
    .tuple(id, fc.constantFrom('peer_ready', 'neighbors', 'full'), ids, ids, ids)
    .map(([x, type, p, s, f]): Cmd => (c) => {
      if (type === 'peer_ready') return c.onUpdate(B(x), { uptime: 1, type });
      if (type === 'neighbors') {
        return c.onUpdate(B(x), { uptime: 1, type, predecessors: p.map(B), successors: s.map(B) });
      }
      return c.onUpdate(B(x), {
        uptime: 1,
        type,
        predecessors: p.map(B),
        successors: s.map(B),
        fingers: f.map(B),
      });
    }),
  id.map(
    (x): Cmd =>
      (c) =>
        c.onLinkFailed(B(x)),
  ),
  fc.tuple(id, fc.boolean(), ids).map(
    ([x, succ, l]): Cmd =>
      (c) =>
        c.onLeave(
          B(x),
          succ
            ? { type: 'from_succ', successors: l.map(B) }
            : { type: 'from_pred', predecessors: l.map(B) },
        ),
  ),
  id.map(
    (x): Cmd =>
      (c) =>
        c.onJoinReq(B(x)).actions,
  ),
  id.map(
    (x): Cmd =>
      (c) =>
        c.onRouteQuery(B(x), B(x + 7n), true).actions,
  ),
  // answer whatever the machine asked for last
  fc.tuple(fc.nat(), id, fc.boolean()).map(([i, x, ok]): Cmd => (c, _clock, log) => {
    const asks = log.filter((a) => a.type === 'attach' || a.type === 'ping');
    if (asks.length === 0) return [];
    const a = asks[i % asks.length];
    if (a.type === 'attach')
      return ok ? c.onAttachAnswered(a.target, B(x)) : c.onAttachFailed(a.target);
    return ok ? c.onPingAnswered(a.target, B(x), B(pool[0])) : c.onPingFailed(a.target);
  }),
  fc.integer({ min: 0, max: 4_000_000 }).map((dt): Cmd => (c, clock) => {
    clock.t += dt;
    return c.tick();
  }),
);

function checkInvariants(c: ChordTopology): void {
  const conns = new Set(c.connections().map(bytesToBig));
  const succ = c.successors().map(bytesToBig);
  const pred = c.predecessors().map(bytesToBig);
  for (const x of [...succ, ...pred]) {
    expect(x).not.toBe(SELF); // §10.7.3: never itself
    expect(conns.has(x)).toBe(true); // only connected peers are neighbors
  }
  expect(new Set(succ).size).toBe(succ.length);
  for (let i = 1; i < succ.length; i++) {
    expect(ring.distance(SELF, succ[i]) > ring.distance(SELF, succ[i - 1])).toBe(true);
  }
  for (let i = 1; i < pred.length; i++) {
    expect(ring.distance(pred[i], SELF) > ring.distance(pred[i - 1], SELF)).toBe(true);
  }
  c.fingers().forEach((f, i) => {
    if (f === undefined) return;
    const { start, end } = ring.fingerRange(SELF, i + 1);
    expect(ring.inClosed(bytesToBig(f), start, end)).toBe(true);
    expect(conns.has(bytesToBig(f))).toBe(true);
  });
  if (c.state === 'joined' && pred.length > 0) {
    expect(c.isResponsible(B(SELF))).toBe(true);
    expect(c.isResponsible(B(pred[0]))).toBe(false);
  }
  const at = c.nextTickAt();
  if (at !== undefined) expect(Number.isFinite(at)).toBe(true);
}

describe('random event sequences', () => {
  for (const start of ['created', 'joining'] as const) {
    it(`never throw and keep the tables consistent (${start})`, () => {
      fc.assert(
        fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
          const clock = { t: 0 };
          const c = createChordTopology({ nodeId: B(SELF), now: () => clock.t, random: prng(9) });
          const log: ChordAction[] = [];
          log.push(...(start === 'created' ? c.createOverlay() : c.join(B(pool[8]))));
          for (const run of cmds) {
            const out = run(c, clock, log);
            if (Array.isArray(out)) log.push(...(out as ChordAction[]));
            checkInvariants(c);
          }
          for (const a of log) {
            if (a.type === 'update' || a.type === 'leave' || a.type === 'join') {
              expect(bytesToBig(a.to)).not.toBe(SELF);
            }
            if (a.type === 'update')
              expect(c.decodeUpdate(c.encodeUpdate(a.update))).toEqual(a.update);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
