/**
 * Storage client side (RFC 6940 §7.1, §7.4.1, §7.4.2): builds signed StoredData, sends Store
 * and Fetch requests through the overlay, and verifies the values that come back.
 */
import { signedValue } from '@reload/storage';
import {
  type Credentials,
  resourceId as hashResourceId,
  sign,
  signerIdentityFor,
  storedDataSignatureInput,
  verifySigner,
} from '@reload/security';
import {
  type DataValue,
  type FetchAns,
  MessageCode,
  ReloadError,
  type StoreAns,
  type StoredData,
  type StoredDataModel,
  type StoredDataSpecifier,
  type StoredDataValue,
  decodeExact,
  encodeToBytes,
  fetchAnsCodec,
  fetchReqCodec,
  storeAnsCodec,
  storeReqCodec,
  storedDataValueCodec,
} from '@reload/wire';
import type { Peer } from './peer.js';

/** One value to store, in the Kind's data model (§7.2). */
export type ValueInput =
  | { model: 'SINGLE'; value: Uint8Array; exists?: boolean }
  | { model: 'ARRAY'; index: number; value: Uint8Array; exists?: boolean }
  | { model: 'DICTIONARY'; key: Uint8Array; value: Uint8Array; exists?: boolean };

function toStoredDataValue(v: ValueInput): StoredDataValue {
  const value: DataValue = { exists: v.exists ?? true, value: v.value };
  if (v.model === 'SINGLE') return { model: 'SINGLE', value };
  if (v.model === 'ARRAY') return { model: 'ARRAY', index: v.index, value };
  return { model: 'DICTIONARY', key: v.key, value };
}

/**
 * Builds a StoredData signed per §7.1 by `credentials` (as `nodeId`).
 * @param lifetime seconds (uint32).
 * @param storageTime ms since the epoch; must grow with every Store of the same value.
 */
export function makeStoredData(
  resource: Uint8Array,
  kind: number,
  value: ValueInput,
  credentials: Credentials,
  nodeId: Uint8Array,
  lifetime: number,
  storageTime: bigint = BigInt(Date.now()),
): StoredData {
  const sdv = toStoredDataValue(value);
  const identity = signerIdentityFor(credentials.certificate, nodeId);
  const encoded = encodeToBytes(storedDataValueCodec(sdv.model), signedValue(sdv));
  const signature = sign(
    storedDataSignatureInput(resource, kind, storageTime, encoded, identity),
    credentials,
    { identity },
  );
  return { storageTime, lifetime, value: sdv, signature };
}

/** Result of {@link storeValues}. */
export interface StoreResult {
  answer: StoreAns;
  /** Overlay hops of the response. */
  hops: number;
  /** Round trip, ms. */
  rttMs: number;
  /** Node-ID of the peer that answered (the responsible peer). */
  storedAt: Uint8Array | undefined;
}

/**
 * Stores values of one Kind at Resource Name `name` through the overlay (§7.4.1).
 * @throws ReloadError with the RFC error of the responsible peer (Error_Forbidden,
 *   Error_Unknown_Kind, Error_Data_Too_Large …) or Error_Request_Timeout.
 */
export async function storeValues(
  peer: Peer,
  opts: { name: string | Uint8Array; kind: number; values: ValueInput[]; lifetime?: number },
): Promise<StoreResult> {
  const storage = peer.storage;
  const modelOf = storage
    ? storage.modelOf
    : (): StoredDataModel | undefined => opts.values[0]?.model;
  const resource = hashResourceId(opts.name, peer.config.nodeIdLength);
  const lifetime = opts.lifetime ?? 86_400;
  let t = BigInt(Date.now());
  const values = opts.values.map((v) =>
    makeStoredData(resource, opts.kind, v, peer.credentials, peer.nodeId, lifetime, t++),
  );
  const body = encodeToBytes(storeReqCodec(modelOf), {
    resource,
    replicaNumber: 0,
    kindData: [{ kind: opts.kind, generationCounter: 0n, values }],
  });
  const res = await peer.request({
    destinationList: [{ kind: 'resource', resourceId: resource }],
    messageCode: MessageCode.store_req,
    body,
  });
  return {
    answer: decodeExact(storeAnsCodec(peer.config.nodeIdLength), res.body),
    hops: res.hops,
    rttMs: res.rttMs,
    storedAt: res.signer.nodeId,
  };
}

/** A fetched value with who signed it (§7.1). */
export interface FetchedValue {
  data: StoredData;
  /** User names in the signer's certificate. */
  usernames: readonly string[];
  signerNodeId: Uint8Array | undefined;
}

/** Result of {@link fetchValues}. */
export interface FetchResult {
  answer: FetchAns;
  /** Values that exist, signatures verified. */
  values: FetchedValue[];
  hops: number;
  rttMs: number;
  fetchedFrom: Uint8Array | undefined;
}

/**
 * Fetches a Kind at Resource Name `name` through the overlay (§7.4.2) and verifies each
 * returned value's §7.1 signature against the response's certificates.
 * @throws ReloadError('VALUE_SIGNATURE_INVALID') when a value's signature does not verify, or
 *   the RFC error the responsible peer answered.
 */
export async function fetchValues(
  peer: Peer,
  opts: {
    name: string | Uint8Array;
    kind: number;
    model: StoredDataModel;
    specifier?: StoredDataSpecifier;
  },
): Promise<FetchResult> {
  const resource = hashResourceId(opts.name, peer.config.nodeIdLength);
  const modelOf = (k: number): StoredDataModel | undefined =>
    k === opts.kind ? opts.model : peer.storage?.modelOf(k);
  const specifier: StoredDataSpecifier =
    opts.specifier ??
    (opts.model === 'SINGLE'
      ? { kind: opts.kind, generation: 0n, model: 'SINGLE' }
      : opts.model === 'ARRAY'
        ? {
            kind: opts.kind,
            generation: 0n,
            model: 'ARRAY',
            indices: [{ first: 0, last: 0xffffffff }],
          }
        : { kind: opts.kind, generation: 0n, model: 'DICTIONARY', keys: [] });
  const body = encodeToBytes(fetchReqCodec(modelOf), { resource, specifiers: [specifier] });
  const res = await peer.request({
    destinationList: [{ kind: 'resource', resourceId: resource }],
    messageCode: MessageCode.fetch_req,
    body,
  });
  const answer = decodeExact(fetchAnsCodec(modelOf), res.body);
  const values: FetchedValue[] = [];
  for (const kr of answer.kindResponses) {
    if (!('values' in kr)) continue;
    for (const data of kr.values) {
      if (!data.value.value.exists) continue;
      const encoded = encodeToBytes(
        storedDataValueCodec(data.value.model),
        signedValue(data.value),
      );
      try {
        const signer = verifySigner(
          storedDataSignatureInput(
            resource,
            kr.kind,
            data.storageTime,
            encoded,
            data.signature.identity,
          ),
          data.signature,
          res.certificates,
        );
        values.push({ data, usernames: signer.info.usernames, signerNodeId: signer.nodeId });
      } catch (e) {
        throw new ReloadError(
          'VALUE_SIGNATURE_INVALID',
          `a fetched value does not verify: ${(e as Error).message}`,
        );
      }
    }
  }
  return { answer, values, hops: res.hops, rttMs: res.rttMs, fetchedFrom: res.signer.nodeId };
}
