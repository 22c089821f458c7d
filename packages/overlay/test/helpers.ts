/**
 * Test helpers: an overlay CA, enrolled identities and peers over the in-memory link network.
 * Certificates are real (issued by @reload/security); every message is signed and verified.
 */
import {
  MemoryNetwork,
  MemoryTransport,
  createTlsTransport,
  trustStoreVerifier,
} from '@reload/link';
import type { Link, LinkTransport } from '@reload/link';
import { randomBytes } from 'node:crypto';
import { MessageCode } from '@reload/wire';
import {
  type Credentials,
  createCa,
  createTrustStore,
  generateKeyPairAsync,
  issueCertificateForKey,
  randomNodeId,
  resourceId,
  type TrustStore,
} from '@reload/security';
import { createPeer, type Peer, type PeerConfig, type PeerOptions } from '@reload/overlay';
import {
  createKindRegistry,
  createPolicyRegistry,
  openMemoryBackend,
  openStorage,
  securityVerifier,
} from '@reload/storage';

/** Test Kinds, one per data model (private Kind-IDs, §14.6), USER-MATCH/NODE-MATCH policies. */
export const KINDS = {
  single: {
    id: 0xf0000001,
    dataModel: 'SINGLE',
    accessControl: 'USER-MATCH',
    maxCount: 1,
    maxSize: 4096,
  },
  array: {
    id: 0xf0000002,
    dataModel: 'ARRAY',
    accessControl: 'NODE-MATCH',
    maxCount: 64,
    maxSize: 4096,
  },
  dict: {
    id: 0xf0000003,
    dataModel: 'DICTIONARY',
    accessControl: 'USER-MATCH',
    maxCount: 64,
    maxSize: 4096,
  },
} as const;

export const OVERLAY = 'test.overlay.example.org';

export interface Identity {
  nodeId: Uint8Array;
  credentials: Credentials;
}

export interface TestOverlay {
  ca: Credentials;
  trust: TrustStore;
  net: MemoryNetwork;
  config: PeerConfig;
  identities: Identity[];
  peers: Peer[];
  /** Warnings logged by each peer (index = peer). */
  logs: string[][];
  /** Creates and starts peer i (not joined). */
  spawn(i: number, extra?: Partial<PeerOptions>): Promise<Peer>;
  close(): Promise<void>;
}

/** Makes `n` identities (RSA-2048 keys are generated in parallel worker threads). */
export async function makeOverlay(
  n: number,
  config: Partial<PeerConfig> = {},
  withStorage = false,
  link: 'memory' | 'tls' = 'memory',
  chordOptions: PeerOptions['chordOptions'] = {},
  /** Extra options for peer i (applications, onConfigUpdate, clock …). */
  peerOptions: (i: number) => Partial<PeerOptions> = () => ({}),
): Promise<TestOverlay> {
  const ca = await createCa({ subject: `CN=${OVERLAY}`, keyAlgorithm: 'ecdsa-p256' });
  const trust = createTrustStore({ rootCerts: [ca.certificate], overlay: OVERLAY });
  const identities = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const keys = await generateKeyPairAsync('ecdsa-p256');
      const nodeId = randomNodeId(16);
      const certificate = await issueCertificateForKey({
        ca,
        publicKey: keys.publicKey,
        nodeIds: [nodeId],
        overlay: OVERLAY,
        username: `user${i}`,
      });
      return { nodeId, credentials: { certificate, privateKey: keys.privateKey } };
    }),
  );
  const net = new MemoryNetwork();
  const full: PeerConfig = {
    overlay: OVERLAY,
    sequence: 1,
    nodeIdLength: 16,
    initialTtl: 100,
    maxMessageSize: 5000,
    reliabilityTimerMs: 1000,
    ...config,
  };
  const peers: Peer[] = [];
  const logs: string[][] = [];
  async function spawn(i: number, extra: Partial<PeerOptions> = {}): Promise<Peer> {
    const id = identities[i];
    const host = `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const linkTransport: LinkTransport =
      link === 'tls'
        ? createTlsTransport({
            cert: id.credentials.certificate,
            key: id.credentials.privateKey,
            ca: [ca.certificate],
            verifier: trustStoreVerifier(trust),
            keyLogFile: null,
            maxMessageSize: full.maxMessageSize,
          })
        : new MemoryTransport(net, {
            host,
            // Dozens of peers share one event loop (and CI runs test files side by side): a
            // starved loop must not look like a failed link. Crashes still close links at once.
            initialRtoMs: 5_000,
            minRtoMs: 5_000,
            maxMessageSize: full.maxMessageSize,
            chain: [id.credentials.certificate],
            verifier: (chain) => {
              const info = trust.checkCertificate(chain[0], { requireNodeId: true });
              return { nodeIds: info.nodeIds };
            },
          });
    const ref: { peer?: Peer } = {};
    const storage = withStorage
      ? await openStorage({
          backend: await openMemoryBackend(),
          kinds: createKindRegistry(Object.values(KINDS)),
          policies: createPolicyRegistry(),
          verifier: securityVerifier({ trust }),
          resourceIdOf: (name) => resourceId(name, 16),
          replicaSenderAllowed: (resource, signer) =>
            ref.peer?.acceptsStoreFrom(resource, signer.nodeId) ?? false,
        })
      : undefined;
    const peer = createPeer({
      ...(storage ? { storage } : {}),
      chordOptions,
      housekeepingMs: 1000,
      ...extra,
      config: full,
      credentials: id.credentials,
      nodeId: id.nodeId,
      trust,
      linkTransport,
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (obj: object, msg?: string) => {
          (logs[i] ??= []).push(`${msg ?? ''} ${JSON.stringify(obj)}`);
        },
      },
      listen: link === 'tls' ? { host: '127.0.0.1', port: 0 } : { host, port: 6084 },
      ...peerOptions(i),
    });
    ref.peer = peer;
    await peer.start();
    peers[i] = peer;
    return peer;
  }
  return {
    ca,
    trust,
    net,
    config: full,
    identities,
    peers,
    logs,
    spawn,
    async close() {
      await Promise.all(peers.filter(Boolean).map((p) => p.close()));
    },
  };
}

/** Polls `cond` every 20 ms until true or `ms` elapse. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Checks that every live peer's first successor and predecessor are its ring neighbours. */
export function ringErrors(peers: Peer[]): string[] {
  const live = peers.filter((p) => p.isJoined);
  const sorted = live.map((p) => hex(p.nodeId)).sort();
  const errors: string[] = [];
  for (const p of live) {
    const me = hex(p.nodeId);
    const i = sorted.indexOf(me);
    const succ = sorted[(i + 1) % sorted.length];
    const pred = sorted[(i - 1 + sorted.length) % sorted.length];
    const s = p.chord.successors()[0];
    const d = p.chord.predecessors()[0];
    if (sorted.length > 1) {
      if (!s || hex(s) !== succ)
        errors.push(
          `${me.slice(0, 8)}: successor ${s ? hex(s).slice(0, 8) : '-'} != ${succ.slice(0, 8)}`,
        );
      if (!d || hex(d) !== pred)
        errors.push(
          `${me.slice(0, 8)}: predecessor ${d ? hex(d).slice(0, 8) : '-'} != ${pred.slice(0, 8)}`,
        );
    }
  }
  return errors;
}

/**
 * Pings a random Resource-ID from `from` (§6.5.3) and checks that the PingAns is signed by the
 * peer among `peers` responsible for it; returns the number of hops the answer took.
 */
export async function pingRandomResource(peers: Peer[], from: Peer): Promise<number> {
  const target = randomBytes(16);
  const res = await from.ping({ kind: 'resource', resourceId: target });
  const responsible = peers.find((p) => p.chord.isResponsible(target));
  const signer = res.signer.nodeId ? hex(res.signer.nodeId) : '-';
  if (
    res.messageCode !== MessageCode.ping_ans ||
    !responsible ||
    signer !== hex(responsible.nodeId)
  ) {
    throw new Error(
      `Ping to ${hex(target)}: code ${res.messageCode} signed by ${signer}, responsible ${responsible ? hex(responsible.nodeId) : 'none'}`,
    );
  }
  return res.hops;
}

/**
 * Spawns peers 0…n−1 of `o` (each with `extra` options), creates the overlay on peer 0, joins
 * the others through it one at a time (§10.5) and waits up to 20 s for every successor and
 * predecessor to be right. Returns the n peers.
 */
export async function startRing(
  o: TestOverlay,
  n: number,
  extra: Partial<PeerOptions> = {},
): Promise<Peer[]> {
  const first = await o.spawn(0, extra);
  first.createOverlay();
  for (let i = 1; i < n; i++) await (await o.spawn(i, extra)).join(first.address, 20_000);
  const peers = o.peers.slice(0, n);
  await waitFor(() => ringErrors(peers).length === 0, 20_000, 'ring convergence');
  return peers;
}

/**
 * A raw client for feeding crafted bytes to a peer: identity `i` of `o` connected over the
 * memory network from `host` to `to`, its certificate checked by the peer as usual. Received
 * messages are copied into `inbox`.
 */
export async function rawClient(
  o: TestOverlay,
  i: number,
  host: string,
  to: Peer,
  inbox: Uint8Array[],
  maxMessageSize?: number,
): Promise<Link> {
  const raw = new MemoryTransport(o.net, {
    host,
    chain: [o.identities[i].credentials.certificate],
    ...(maxMessageSize !== undefined ? { maxMessageSize } : {}),
    verifier: (chain) => ({
      nodeIds: o.trust.checkCertificate(chain[0], { requireNodeId: true }).nodeIds,
    }),
  });
  const link = await raw.connect(to.address);
  link.on('message', (m) => inbox.push(m.slice()));
  return link;
}
