/**
 * The link compliance suite (house style §10): every {@link Link} implementation must pass
 * it. Call `runLinkComplianceSuite(name, factory)` from a test file; the factory creates a
 * harness that makes connected link pairs with the requested limits.
 */
import { once } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isReloadError } from '@reload/wire';
import type { Link, LinkCloseInfo } from '../src/index.js';
import { intact, tagOf, testMessage } from './helpers/messages.js';

/** Limits a harness applies to the links it makes. */
export interface HarnessOptions {
  maxMessageSize: number;
  minRtoMs: number;
  retentionMs: number;
  highWaterMark: number;
}

/** A connected pair: `client` dialled, `server` accepted. */
export interface LinkPair {
  client: Link;
  server: Link;
}

/** What an implementation provides to the suite. */
export interface LinkHarness {
  /** Makes one more connected pair. */
  pair(): Promise<LinkPair>;
  /** Releases listeners and links. */
  close(): Promise<void>;
}

export type HarnessFactory = (options: HarnessOptions) => Promise<LinkHarness>;

const DEFAULTS: HarnessOptions = {
  maxMessageSize: 64 * 1024,
  minRtoMs: 1000,
  retentionMs: 30_000,
  highWaterMark: 64 * 1024,
};

/** Collects messages of a link. */
function collect(link: Link): Uint8Array[] {
  const got: Uint8Array[] = [];
  link.on('message', (m) => got.push(new Uint8Array(m)));
  return got;
}

async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Runs the compliance suite against `factory`. */
export function runLinkComplianceSuite(name: string, factory: HarnessFactory): void {
  describe(`link compliance: ${name}`, () => {
    const harnesses: LinkHarness[] = [];
    const make = async (o: Partial<HarnessOptions> = {}): Promise<LinkHarness> => {
      const h = await factory({ ...DEFAULTS, ...o });
      harnesses.push(h);
      return h;
    };
    afterEach(async () => {
      await Promise.all(harnesses.splice(0).map((h) => h.close()));
    });

    it('delivers messages whole and in order, both ways, and learns the peer', async () => {
      const h = await make();
      const { client, server } = await h.pair();
      expect(client.initiator).toBe(true);
      expect(server.initiator).toBe(false);
      expect(client.state).toBe('open');
      expect(client.remoteNodeIds.length).toBeGreaterThan(0);
      expect(server.remoteNodeIds.length).toBeGreaterThan(0);
      const atServer = collect(server);
      const atClient = collect(client);
      const n = 2000;
      for (let i = 0; i < n; i++) {
        client.send(testMessage(24 + ((i * 37) % 3000), i));
        server.send(testMessage(24 + ((i * 53) % 2000), i));
        if (i % 200 === 0) await tick();
      }
      await until(() => atServer.length === n && atClient.length === n, 10_000, 'messages');
      expect(atServer.map(tagOf)).toEqual([...Array(n).keys()]);
      expect(atClient.map(tagOf)).toEqual([...Array(n).keys()]);
      expect(atServer.every(intact) && atClient.every(intact)).toBe(true);
      // Framing ACKs came back: the RTT was measured.
      await until(() => client.rtt().samples > 0 && server.rtt().samples > 0, 5000, 'RTT');
      expect(client.rtt().srttMs).toBeGreaterThanOrEqual(0);
    });

    it('carries messages at max-message-size and refuses bigger ones, keeping the link', async () => {
      const max = 200_000;
      const h = await make({ maxMessageSize: max, highWaterMark: 1 << 20 });
      const { client, server } = await h.pair();
      expect(client.maxMessageSize).toBe(max);
      const got = collect(server);
      client.send(testMessage(max, 1));
      client.send(testMessage(max - 1, 2));
      let err: unknown;
      try {
        client.send(testMessage(max + 1, 3));
      } catch (e) {
        err = e;
      }
      expect(isReloadError(err) && err.code).toBe(ErrorCode.MessageTooLarge);
      client.send(testMessage(100, 4));
      await until(() => got.length === 3, 10_000, 'large messages');
      expect(got.map((m) => m.length)).toEqual([max, max - 1, 100]);
      expect(got.map(tagOf)).toEqual([1, 2, 4]);
      expect(got.every(intact)).toBe(true);
      expect(client.state).toBe('open');
    });

    it('keeps many concurrent links apart', async () => {
      const h = await make();
      const pairs = await Promise.all(Array.from({ length: 12 }, () => h.pair()));
      const received = pairs.map((p) => collect(p.server));
      pairs.forEach((p, k) => {
        for (let i = 0; i < 100; i++) p.client.send(testMessage(64 + k, k * 1000 + i));
      });
      await until(() => received.every((r) => r.length === 100), 10_000, 'all pairs');
      received.forEach((r, k) => {
        expect(r.map(tagOf)).toEqual(Array.from({ length: 100 }, (_, i) => k * 1000 + i));
        expect(r.every((m) => m.length === 64 + k)).toBe(true);
      });
      const ids = new Set(pairs.flatMap((p) => [p.client.id, p.server.id]));
      expect(ids.size).toBe(24);
    });

    for (const side of ['client', 'server'] as const) {
      it(`closes from the ${side} side after delivering what was sent`, async () => {
        const h = await make();
        const pair = await h.pair();
        const closer = pair[side];
        const other = side === 'client' ? pair.server : pair.client;
        const got = collect(other);
        const otherClosed = once(other, 'close') as Promise<[LinkCloseInfo]>;
        for (let i = 0; i < 50; i++) closer.send(testMessage(500, i));
        closer.close();
        expect(closer.state).toBe('closed');
        expect((await closer.closed).reason).toBe('LOCAL_CLOSE');
        const [info] = await otherClosed;
        expect(info.reason).toBe('REMOTE_CLOSE');
        expect(got.map(tagOf)).toEqual([...Array(50).keys()]);
        expect(other.state).toBe('closed');
        expect(() => closer.send(testMessage(30, 0))).toThrow(/closed/);
        expect(() => other.send(testMessage(30, 0))).toThrow(/closed/);
        closer.close(); // idempotent
      });
    }

    it('detects a silent peer with the RTO, restores on ACKs, fails permanently after retention', async () => {
      const h = await make({ minRtoMs: 40, retentionMs: 400 });
      const { client, server } = await h.pair();
      const got = collect(server);
      // Warm up: one RTT sample.
      client.send(testMessage(100, 0));
      await until(() => client.rtt().samples > 0, 5000, 'first ACK');
      const events: string[] = [];
      client.on('failed', (f) => {
        events.push('failed');
        expect(f.rtoMs).toBeGreaterThanOrEqual(40);
        expect(f.unacknowledged).toBeGreaterThan(0);
      });
      client.on('restored', () => events.push('restored'));
      server.pause();
      client.send(testMessage(100, 1));
      await until(() => client.state === 'failed', 5000, 'failure');
      expect(events).toEqual(['failed']);
      server.resume();
      await until(() => client.state === 'open', 5000, 'restore');
      expect(events).toEqual(['failed', 'restored']);
      expect(got.map(tagOf)).toEqual([0, 1]);
      // Now silent for longer than the retention period.
      server.pause();
      client.send(testMessage(100, 2));
      const [info] = (await once(client, 'close')) as [LinkCloseInfo];
      expect(info.reason).toBe('LINK_FAILED');
      expect(events).toEqual(['failed', 'restored', 'failed']);
    });

    it('applies backpressure: send() returns false, drain follows, nothing is lost', async () => {
      const h = await make({ highWaterMark: 32 * 1024, retentionMs: 60_000, minRtoMs: 5000 });
      const { client, server } = await h.pair();
      const got = collect(server);
      server.pause();
      let sent = 0;
      let full = false;
      // Fill every buffer on the way (the transport's first: batches stay under the
      // high-water mark) while the receiver reads nothing.
      while (!full && sent < 200_000) {
        for (let i = 0; i < 16 && !full; i++) {
          full = !client.send(testMessage(1024, sent++));
          if (full) expect(client.bufferedBytes).toBeGreaterThanOrEqual(32 * 1024);
        }
        if (!full) await tick();
      }
      expect(full).toBe(true);
      const drained = once(client, 'drain');
      server.resume();
      await drained;
      expect(client.bufferedBytes).toBeLessThan(32 * 1024);
      await until(() => got.length === sent, 20_000, 'all messages after drain');
      expect(got.map(tagOf)).toEqual([...Array(sent).keys()]);
    });
  });
}
