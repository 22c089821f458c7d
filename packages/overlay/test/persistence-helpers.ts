/**
 * Helpers for the persistence tests: peers over the in-memory link whose storage lives in a
 * classic-level database in a data directory (`openLevelBackend`), so that a peer can be
 * killed and started again — same identity, same directory, new Peer instance.
 */
import { MemoryNetwork, MemoryTransport } from '@reload/link';
import {
  type Credentials,
  createCa,
  createTrustStore,
  generateKeyPairAsync,
  issueCertificateForKey,
  resourceId,
  type TrustStore,
} from '@reload/security';
import { createPeer, type Peer, type PeerConfig } from '@reload/overlay';
import {
  createKindRegistry,
  createPolicyRegistry,
  openLevelBackend,
  openMemoryBackend,
  openStorage,
  securityVerifier,
  type Storage,
} from '@reload/storage';
import { KINDS, OVERLAY, type Identity } from './helpers.js';

/** A CA, a trust store, a memory network and the overlay parameters shared by all peers. */
export interface PersistenceWorld {
  ca: Credentials;
  trust: TrustStore;
  net: MemoryNetwork;
  config: PeerConfig;
  /** Peers started by {@link startPeer} and not yet stopped. */
  running: Set<RunningPeer>;
}

/** A started peer and the storage it owns. */
export interface RunningPeer {
  peer: Peer;
  storage: Storage;
  /** Closes the peer without a Leave (a crash) and then its storage (releases the LevelDB lock). */
  kill(): Promise<void>;
}

/** Makes the CA, trust store and memory network of one test overlay. */
export async function makeWorld(): Promise<PersistenceWorld> {
  const ca = await createCa({ subject: `CN=${OVERLAY}`, keyAlgorithm: 'ecdsa-p256' });
  const trust = createTrustStore({ rootCerts: [ca.certificate], overlay: OVERLAY });
  return {
    ca,
    trust,
    net: new MemoryNetwork(),
    config: {
      overlay: OVERLAY,
      sequence: 1,
      nodeIdLength: 16,
      initialTtl: 100,
      maxMessageSize: 5000,
      reliabilityTimerMs: 1000,
    },
    running: new Set(),
  };
}

/**
 * Enrolls `user<index>@OVERLAY` with the given 16-byte Node-ID (chosen by the test, so that
 * it can place peers on the ring).
 */
export async function makeIdentity(
  w: PersistenceWorld,
  index: number,
  nodeId: Uint8Array,
): Promise<Identity> {
  const keys = await generateKeyPairAsync('ecdsa-p256');
  const certificate = await issueCertificateForKey({
    ca: w.ca,
    publicKey: keys.publicKey,
    nodeIds: [nodeId],
    overlay: OVERLAY,
    username: `user${index}`,
  });
  return { nodeId, credentials: { certificate, privateKey: keys.privateKey } };
}

/** A storage engine and the slot where the peer that will own it is put (replica hook). */
export interface TestStorage {
  storage: Storage;
  owner: { peer?: Peer };
}

/**
 * Opens a storage engine with the test Kinds ({@link KINDS}); on disk in `dataDir` (one
 * classic-level database per data directory) or in memory when `dataDir` is undefined.
 * Replica Stores are accepted per `owner.peer.acceptsStoreFrom` once a peer owns it.
 */
export async function openTestStorage(
  w: PersistenceWorld,
  dataDir: string | undefined,
): Promise<TestStorage> {
  const owner: { peer?: Peer } = {};
  const storage = await openStorage({
    backend: dataDir ? await openLevelBackend(dataDir) : await openMemoryBackend(),
    kinds: createKindRegistry(Object.values(KINDS)),
    policies: createPolicyRegistry(),
    verifier: securityVerifier({ trust: w.trust }),
    resourceIdOf: (name) => resourceId(name, 16),
    replicaSenderAllowed: (resource, signer) =>
      owner.peer?.acceptsStoreFrom(resource, signer.nodeId) ?? false,
  });
  return { storage, owner };
}

/**
 * Creates and starts a peer on the memory link at `host`:6084 with storage in `dataDir`
 * (classic-level) or in memory. `storage` may be passed already opened (e.g. to inspect it
 * before the peer starts); the peer then takes it over. Not joined yet.
 */
export async function startPeer(
  w: PersistenceWorld,
  id: Identity,
  host: string,
  opts: { dataDir?: string; storage?: TestStorage } = {},
): Promise<RunningPeer> {
  const { storage, owner } = opts.storage ?? (await openTestStorage(w, opts.dataDir));
  const linkTransport = new MemoryTransport(w.net, {
    host,
    chain: [id.credentials.certificate],
    verifier: (chain) => ({
      nodeIds: w.trust.checkCertificate(chain[0], { requireNodeId: true }).nodeIds,
    }),
  });
  const peer = createPeer({
    storage,
    housekeepingMs: 500,
    config: w.config,
    credentials: id.credentials,
    nodeId: id.nodeId,
    trust: w.trust,
    linkTransport,
    listen: { host, port: 6084 },
  });
  owner.peer = peer;
  await peer.start();
  const running: RunningPeer = {
    peer,
    storage,
    async kill() {
      w.running.delete(running);
      await peer.close();
      await storage.close();
    },
  };
  w.running.add(running);
  return running;
}

/** Kills every peer still running (afterAll). */
export async function stopAll(w: PersistenceWorld | undefined): Promise<void> {
  if (!w) return;
  await Promise.all([...w.running].map((r) => r.kill()));
}

/** `id` + 1 modulo 2^(8·length): the Node-ID right after `id` on the ring. */
export function nextId(id: Uint8Array): Uint8Array {
  const out = id.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i] + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
}
