/**
 * Storage methods (RFC 6940 §7.4): Store (with §10.4 replication), Fetch, Stat, Find, handed to
 * the storage engine (@reload/storage). Also the sending side used for replicas and transfers.
 */
import type { ResourceExport, SignerInfo, Storage } from '@reload/storage';
import type { VerifiedSigner } from '@reload/security';
import {
  ErrorCode,
  FindAnsCodec,
  FindReqCodec,
  type GenericCertificate,
  MessageCode,
  ReloadError,
  type StoreReq,
  decodeExact,
  encodeToBytes,
  fetchAnsCodec,
  fetchReqCodec,
  statAnsCodec,
  statReqCodec,
  storeAnsCodec,
  storeReqCodec,
} from '@reload/wire';
import type { Peer } from '../peer.js';
import type { Answer, IncomingRequest } from '../transport.js';
import type { HandlerContext } from './index.js';

function storageOf(ctx: HandlerContext): Storage {
  const s = ctx.peer.storage;
  if (!s) throw new ReloadError(ErrorCode.Forbidden, 'this node does not store data');
  return s;
}

/** The storage engine's view of a verified signer (§7.3). */
export function signerInfoOf(s: VerifiedSigner): SignerInfo {
  return {
    usernames: s.info.usernames,
    nodeIds: s.info.nodeIds,
    ...(s.nodeId ? { nodeId: s.nodeId } : {}),
  };
}

function generic(certs: readonly Uint8Array[]): GenericCertificate[] {
  return certs.map((certificate) => ({ type: 0, certificate }));
}

/**
 * Handles a StoreReq (§7.4.1): stores, answers the StoreAns, then — when this peer is the
 * responsible one (replica_number 0) — sends replica Stores to its two successors (§10.4).
 */
export async function handleStore(ctx: HandlerContext, req: IncomingRequest): Promise<Answer> {
  const storage = storageOf(ctx);
  const peer = ctx.peer;
  const store = decodeExact(storeReqCodec(storage.modelOf), req.body);
  if (store.replicaNumber === 0 && !peer.chord.isResponsible(store.resource)) {
    // Routed here by Resource-ID, so this only happens during churn: let the requester retry.
    throw new ReloadError(ErrorCode.NotFound, 'this peer is not responsible for the resource');
  }
  const replicas = store.replicaNumber === 0 ? peer.chord.replicaSet() : [];
  const ans = await storage.store(store, {
    requestSigner: signerInfoOf(req.signer),
    certificates: generic(req.certificates),
    replicas,
  });
  if (store.replicaNumber === 0) {
    // §7.4.1.1: replica Stores carry the generation counters the responsible peer assigned.
    const generations = new Map(ans.kindResponses.map((k) => [k.kind, k.generationCounter]));
    const kindData = store.kindData.map((k) => ({
      ...k,
      generationCounter: generations.get(k.kind) ?? k.generationCounter,
    }));
    replicas.forEach((to, i) => {
      const copy: StoreReq = { ...store, kindData, replicaNumber: i + 1 };
      sendStore(peer, copy, req.certificates, to).catch((e: Error) => {
        ctx.log.debug({ error: e.message }, 'replica store failed');
        peer.replicaPushFailed(to);
      });
    });
  }
  return { body: encodeToBytes(storeAnsCodec(peer.config.nodeIdLength), ans) };
}

/** Sends a StoreReq directly to Node-ID `to` (replicas, transfers: §10.4, §10.5, §10.9). */
export async function sendStore(
  peer: Peer,
  store: StoreReq,
  certificates: readonly Uint8Array[],
  to: Uint8Array,
): Promise<void> {
  const storage = peer.storage;
  if (!storage) return;
  await peer.request({
    destinationList: [{ kind: 'node', nodeId: to }],
    messageCode: MessageCode.store_req,
    body: encodeToBytes(storeReqCodec(storage.modelOf), store),
    certificates: [...certificates],
    expectedResponder: to,
  });
}

/** Sends an exported resource to `to` (replica number already set in the export). */
export function sendStoreExport(peer: Peer, exp: ResourceExport, to: Uint8Array): Promise<void> {
  const certs = exp.certificates.map((c) => c.certificate);
  const store =
    exp.request.replicaNumber === 0 ? { ...exp.request, replicaNumber: 1 } : exp.request;
  return sendStore(peer, store, certs, to);
}

/** Handles a FetchReq (§7.4.2), returning the values' signers' certificates too (§6.3.4). */
export async function handleFetch(ctx: HandlerContext, req: IncomingRequest): Promise<Answer> {
  const storage = storageOf(ctx);
  const fetch = decodeExact(fetchReqCodec(storage.modelOf), req.body);
  const r = await storage.fetch(fetch);
  return {
    body: encodeToBytes(fetchAnsCodec(storage.modelOf), r.answer),
    certificates: r.certificates.map((c) => c.certificate),
  };
}

/** Handles a StatReq (§7.4.3). */
export async function handleStat(ctx: HandlerContext, req: IncomingRequest): Promise<Answer> {
  const storage = storageOf(ctx);
  const stat = decodeExact(statReqCodec(storage.modelOf), req.body);
  return { body: encodeToBytes(statAnsCodec(storage.modelOf), await storage.stat(stat)) };
}

/** Handles a FindReq (§7.4.4). */
export async function handleFind(ctx: HandlerContext, req: IncomingRequest): Promise<Answer> {
  const storage = storageOf(ctx);
  const find = decodeExact(FindReqCodec, req.body);
  return { body: encodeToBytes(FindAnsCodec, await storage.find(find)) };
}
