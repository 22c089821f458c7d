import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryNetwork, formatAddress } from '../src/index.js';
import type { Link, LinkCloseInfo } from '../src/index.js';
import { runLinkComplianceSuite } from './compliance.js';
import { tagOf, testMessage } from './helpers/messages.js';
import { testPki, testVerifier } from './helpers/pki.js';

const id = (n: number): Uint8Array => new Uint8Array(16).fill(n);

runLinkComplianceSuite('memory', (o) => {
  const net = new MemoryNetwork();
  const listeners: { close(): Promise<void> }[] = [];
  const links: Link[] = [];
  let n = 0;
  const serverT = net.createTransport({ nodeIds: [id(1)], ...o });
  const listening = serverT.listen({ host: serverT.host, port: 6084 });
  const accepted = new Map<string, Link>();
  void listening.then((l) => {
    listeners.push(l);
    l.on('link', (link) => accepted.set(formatAddress(link.remoteAddress), link));
  });
  return Promise.resolve({
    async pair() {
      const listener = await listening;
      const client = await net
        .createTransport({ nodeIds: [id(2 + (n++ % 200))], ...o })
        .connect(listener.address);
      const server = accepted.get(formatAddress(client.localAddress))!;
      expect(server).toBeDefined();
      links.push(client, server);
      return { client, server };
    },
    async close() {
      links.forEach((l) => l.close());
      await Promise.all(listeners.map((l) => l.close()));
    },
  });
});

describe('memory network impairments', () => {
  async function pairOn(
    net: MemoryNetwork,
    extra: { minRtoMs?: number; retentionMs?: number } = {},
  ) {
    const a = net.createTransport({ host: 'a', nodeIds: [id(1)], ...extra });
    const b = net.createTransport({ host: 'b', nodeIds: [id(2)], ...extra });
    const listener = await b.listen({ host: 'b', port: 1 });
    const accepted = new Promise<Link>((resolve) => listener.once('link', resolve));
    const client = await a.connect({ host: 'b', port: 1 }, { expectedNodeId: id(2) });
    return { client, server: await accepted, listener };
  }

  it('adds latency on the fake clock and keeps order', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, latencyMs: 25 });
    const { client, server } = await pairOn(net);
    const got: number[] = [];
    server.on('message', (m) => got.push(tagOf(m)));
    for (let i = 0; i < 5; i++) client.send(testMessage(40, i));
    await Promise.resolve();
    clock.advance(24);
    expect(got).toEqual([]);
    clock.advance(1);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await Promise.resolve(); // the ACK is written at the end of this turn
    // ACK comes back after another 25 ms: RTT = 50 ms.
    clock.advance(25);
    expect(client.rtt().lastRttMs).toBe(50);
    expect(client.remoteNodeIds[0]).toEqual(id(2));
    expect(server.remoteNodeIds[0]).toEqual(id(1));
  });

  it('refuses a connection whose peer lacks the expected Node-ID', async () => {
    const net = new MemoryNetwork();
    const b = net.createTransport({ host: 'b', nodeIds: [id(2)] });
    await b.listen({ host: 'b', port: 1 });
    const a = net.createTransport({ host: 'a', nodeIds: [id(1)] });
    await expect(
      a.connect({ host: 'b', port: 1 }, { expectedNodeId: id(9) }),
    ).rejects.toMatchObject({
      code: 'NODE_ID_MISMATCH',
    });
    await expect(a.connect({ host: 'b', port: 2 })).rejects.toMatchObject({
      code: 'LINK_CONNECT_FAILED',
    });
  });

  it('a partition fails the link after the RTO; healing restores it; a long one closes it', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, latencyMs: 5 });
    const { client, server } = await pairOn(net, { minRtoMs: 100, retentionMs: 30_000 });
    const events: string[] = [];
    client.on('failed', () => events.push('failed'));
    client.on('restored', () => events.push('restored'));
    net.partition(['a'], ['b']);
    client.send(testMessage(40, 1));
    await Promise.resolve();
    clock.advance(1000); // RFC 6298 initial RTO: 1 s
    expect(client.state).toBe('failed');
    net.heal();
    client.send(testMessage(40, 2));
    await Promise.resolve();
    clock.advance(5);
    await Promise.resolve();
    clock.advance(5);
    expect(events).toEqual(['failed', 'restored']);
    expect(client.state).toBe('open');
    net.partition(['b'], ['a']); // ACKs lost only
    client.send(testMessage(40, 3));
    await Promise.resolve();
    clock.advance(2000);
    expect(client.state).toBe('failed');
    let closed: LinkCloseInfo | undefined;
    client.on('close', (i) => (closed = i));
    clock.advance(27_000); // failed at ~+100 ms, retained 30 s
    expect(closed).toBeUndefined();
    clock.advance(2000);
    expect(closed?.reason).toBe('LINK_FAILED');
    expect(server.state).toBe('open'); // the FIN is lost in the partition too
  });

  it('loses writes with the configured probability, using the injected random source', async () => {
    let draws = 0;
    const net = new MemoryNetwork({ lossRate: 0.5, random: () => (draws++, 0.7) });
    const { client, server } = await pairOn(net);
    const got: number[] = [];
    server.on('message', (m) => got.push(tagOf(m)));
    const settle = () => new Promise((res) => setTimeout(res, 20));
    client.send(testMessage(40, 1)); // 0.7 ≥ 0.5: delivered
    await settle();
    expect(got).toEqual([1]);
    expect(draws).toBeGreaterThan(0);
    net.lossRate = 1; // every write lost
    client.send(testMessage(40, 2));
    await settle();
    expect(got).toEqual([1]);
    net.lossRate = 0;
    client.send(testMessage(40, 3));
    await settle();
    expect(got).toEqual([1, 3]);
  });
});

describe('memory network with certificates', () => {
  it('verifies chains with the overlay verifier and refuses another CA', async () => {
    const pki = await testPki();
    const net = new MemoryNetwork();
    const verifier = testVerifier(pki);
    const server = net.createTransport({ host: 's', chain: [pki.nodes[0].der], verifier });
    const listener = await server.listen({ host: 's', port: 1 });
    const refused: string[] = [];
    listener.on('refused', (r) => refused.push(r.code));
    const good = net.createTransport({ chain: [pki.nodes[1].der], verifier });
    const link = await good.connect(
      { host: 's', port: 1 },
      { expectedNodeId: pki.nodes[0].nodeId },
    );
    expect(link.remoteNodeIds).toEqual([pki.nodes[0].nodeId]);
    expect(link.remoteChain).toEqual([pki.nodes[0].der]);
    const evil = net.createTransport({ chain: [pki.foreign.der], verifier });
    await expect(evil.connect({ host: 's', port: 1 })).rejects.toMatchObject({
      code: 'LINK_REFUSED_BY_PEER',
    });
    const bad = net.createTransport({ chain: [pki.bad.der], verifier });
    await expect(bad.connect({ host: 's', port: 1 })).rejects.toMatchObject({
      code: 'LINK_REFUSED_BY_PEER',
    });
    expect(refused).toEqual(['CERT_UNTRUSTED', 'BAD_NODE']);
    link.close();
  });
});
