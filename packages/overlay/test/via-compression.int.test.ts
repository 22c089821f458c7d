/**
 * List compression (RFC 6940 §6.1.2, §6.1.3): a peer that forwards a request may replace its
 * Via List with an opaque id and must restore the list when the response comes back. Every
 * peer here compresses from one Via List entry on, so every forwarded request carries exactly
 * one 16-bit compressed id (§6.3.2.2), and every response is routed home through expansions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Peer } from '@reload/overlay';
import { type Destination, decodeForwardingHeader, isRequest } from '@reload/wire';
import { makeOverlay, pingRandomResource, startRing, type TestOverlay } from './helpers.js';

const N = 12;
let o: TestOverlay;
/** Via Lists of requests and Destination Lists of responses as they arrived at any peer. */
const requestVias: Destination[][] = [];
const responseDestinations: Destination[][] = [];

afterAll(async () => {
  await o?.close();
});

function watch(p: Peer): void {
  const receive = p.transport.receive.bind(p.transport);
  p.transport.receive = (from, bytes) => {
    const { header, headerLength } = decodeForwardingHeader(bytes);
    const code = (bytes[headerLength] << 8) | bytes[headerLength + 1];
    if (isRequest(code)) requestVias.push(header.viaList);
    else responseDestinations.push(header.destinationList);
    receive(from, bytes);
  };
}

const total = (f: (p: Peer) => number): number => o.peers.reduce((a, p) => a + f(p), 0);

describe('Via List compression (§6.1.2, §6.1.3)', () => {
  it(`${N} peers that compress every forwarded Via List join and converge`, async () => {
    o = await makeOverlay(N);
    await startRing(o, N, { viaListCompressionAt: 1 });
  }, 60_000);

  it('routes requests out with one compressed id and responses home by expanding it', async () => {
    for (const p of o.peers) watch(p);
    const compressed = total((p) => p.transport.stats.viaListsCompressed);
    const expanded = total((p) => p.transport.stats.viaListsExpanded);
    let forwarded = 0;
    for (let k = 0; k < 40; k++) {
      if ((await pingRandomResource(o.peers, o.peers[k % N])) > 0) forwarded++;
    }
    expect(forwarded).toBeGreaterThan(0);
    // Every request arrives with no Via List (sent directly) or with exactly one compressed
    // id: the forwarding peer folded the list, including its own previous hop, into it.
    const withVia = requestVias.filter((v) => v.length > 0);
    expect(withVia.length).toBeGreaterThanOrEqual(forwarded);
    for (const v of withVia) {
      expect(v).toHaveLength(1);
      expect(v[0].kind).toBe('compressed');
      if (v[0].kind === 'compressed') expect(v[0].id).toBeGreaterThanOrEqual(0x8000);
    }
    // Responses travel with the compressed ids in their Destination Lists until the peer that
    // issued one expands it.
    expect(responseDestinations.some((d) => d.some((x) => x.kind === 'compressed'))).toBe(true);
    const c = total((p) => p.transport.stats.viaListsCompressed) - compressed;
    const e = total((p) => p.transport.stats.viaListsExpanded) - expanded;
    // Each forwarded Ping was compressed and expanded at least once (background traffic that
    // straddles the window may add a few either way).
    expect(c).toBeGreaterThanOrEqual(forwarded);
    expect(e).toBeGreaterThanOrEqual(forwarded);
    expect(total((p) => p.transport.stats.dropReasons['unknown opaque destination id'] ?? 0)).toBe(
      0,
    );
  }, 60_000);
});
