/**
 * RFC 6940 §7.4.1 Store: StoreKindData, StoreReq, StoreKindResponse, StoreAns, and the
 * Error_Unknown_Kind `error_info` (§7.4.1.2).
 *
 * ```
 * struct { KindId kind; uint64 generation_counter; StoredData values<0..2^32-1>; } StoreKindData;
 * struct { ResourceId resource; uint8 replica_number;
 *          StoreKindData kind_data<0..2^32-1>; } StoreReq;
 * struct { KindId kind; uint64 generation_counter; NodeId replicas<0..2^16-1>; } StoreKindResponse;
 * struct { StoreKindResponse kind_responses<0..2^16-1>; } StoreAns;
 * KindId unknown_kinds<0..2^8-1>;   // error_info of Error_Unknown_Kind
 * ```
 */
import { bigU64, putBigU64 } from '../builtins.js';
import { type Codec, type Reader, type Writer, unencodable } from '../codec.js';
import { getU32, isU32, isU64, isU8, putBytes, putU32 } from '../fast.js';
import {
  type NodeIdLengthOption,
  readNodeIdList,
  readResourceId,
  resolveNodeIdLength,
  uint32Codec,
  vectorCodec,
  writeNodeIdList,
  writeResourceId,
} from '../bodies/primitives.js';
import { type ModelOf, layoutModel } from './data-value.js';
import { type StoredData, storedDataCodec, storedDataLength } from './stored-data.js';

/**
 * A `values<0..2^32-1>` vector of StoredData for one Kind (§7.4.1.1, §7.4.2.2): either
 * decoded (`values`, the Kind's data model was known) or kept as raw bytes (`rawValues`, the
 * Kind is unknown to the decoder; answer Error_Unknown_Kind).
 */
export type KindValues = { values: StoredData[] } | { rawValues: Uint8Array };

/** §7.4.1.1 StoreKindData. */
export type StoreKindData = {
  /** Kind-ID (uint32). */
  kind: number;
  /** Expected generation counter; 0 = do not check (uint64). */
  generationCounter: bigint;
} & KindValues;

/** §7.4.1.1 StoreReq. */
export interface StoreReq {
  /** Resource-ID (`opaque<0..2^8-1>`). */
  resource: Uint8Array;
  /** 0 for an original store, 1.. for replicas (uint8). */
  replicaNumber: number;
  kindData: StoreKindData[];
}

/** §7.4.1.2 StoreKindResponse. */
export interface StoreKindResponse {
  kind: number;
  generationCounter: bigint;
  /** NodeIds of the replicas (each exactly NodeIdLength bytes). */
  replicas: Uint8Array[];
}

/** §7.4.1.2 StoreAns. */
export interface StoreAns {
  kindResponses: StoreKindResponse[];
}

/** Encoded length of a `StoredData values<0..2^32-1>` vector. */
export function kindValuesLength(v: KindValues): number {
  if ('rawValues' in v) return 4 + v.rawValues.length;
  let n = 4;
  const values = v.values;
  for (let i = 0; i < values.length; i++) n += storedDataLength(values[i]);
  return n;
}

/** Writes a `StoredData values<0..2^32-1>` vector (decoded or raw). */
export function writeKindValues(w: Writer, v: KindValues, field: string): void {
  if ('rawValues' in v) {
    w.opaque(v.rawValues, 4, field);
    return;
  }
  const at = w.beginVector(4, field);
  for (const d of v.values) storedDataCodec(d.value.model).encode(d, w);
  w.endVector(at, 4, field);
}

/** Reads a `StoredData values<0..2^32-1>` vector for `kind`, raw when its model is unknown. */
export function readKindValues(
  r: Reader,
  kind: number,
  modelOf: ModelOf,
  field: string,
): KindValues {
  const model = layoutModel(modelOf, kind);
  if (model === undefined) return { rawValues: r.opaque(4, field) };
  const codec = storedDataCodec(model);
  const saved = r.enter(r.u32(field), field);
  const values = r.list(codec.decode, Infinity, field);
  r.end = saved;
  return { values };
}

/** §7.4.1.1 StoreKindData codec; `modelOf` gives each Kind's data model. */
export function storeKindDataCodec(modelOf: ModelOf): Codec<StoreKindData> {
  return {
    encodedLength: (v) => 4 + 8 + kindValuesLength(v),
    encode(v, w) {
      const p = w.pos;
      const kind = v.kind;
      const g = v.generationCounter;
      if (p + 16 <= w.end && isU32(kind) && isU64(g) && 'values' in v) {
        // fast path (decision 0171): kind, generation_counter and the values' length prefix
        // (back-patched) in one go; each StoredData by its codec
        const b = w.buf;
        putU32(b, p, kind);
        putBigU64(w.view, p + 4, g);
        w.pos = p + 16;
        const values = v.values;
        for (let i = 0; i < values.length; i++) {
          const d = values[i];
          storedDataCodec(d.value.model).encode(d, w);
        }
        const length = w.pos - p - 16;
        if (length > 0xffffffff) throw unencodable('StoreKindData.values', `${length} bytes`);
        putU32(b, p + 12, length);
        return;
      }
      w.u32(kind, 'StoreKindData.kind');
      w.u64(g, 'StoreKindData.generation_counter');
      writeKindValues(w, v, 'StoreKindData.values');
    },
    decode(r) {
      const field = 'StoreKindData.values';
      const b = r.buf;
      const p = r.pos;
      let kind: number;
      let generationCounter: bigint;
      if (p + 16 <= r.end) {
        // kind, generation_counter and the values' length prefix are all inside the range
        kind = getU32(b, p);
        generationCounter = bigU64(getU32(b, p + 4), getU32(b, p + 8));
      } else {
        kind = r.u32('StoreKindData.kind');
        generationCounter = r.u64('StoreKindData.generation_counter');
      }
      const model = layoutModel(modelOf, kind);
      if (model === undefined) {
        if (p + 16 <= r.end) r.pos = p + 12;
        return { kind, generationCounter, rawValues: r.opaque(4, field) };
      }
      const codec = storedDataCodec(model);
      let saved: number;
      const length = p + 16 <= r.end ? getU32(b, p + 12) : -1;
      if (length >= 0 && p + 16 + length <= r.end) {
        saved = r.end;
        r.pos = p + 16;
        r.end = p + 16 + length;
      } else {
        if (p + 16 <= r.end) r.pos = p + 12;
        saved = r.enter(r.u32(field), field);
      }
      const values = r.list(codec.decode, Infinity, field);
      r.end = saved;
      return { kind, generationCounter, values };
    },
  };
}

/**
 * §7.4.1.1 StoreReq codec. Decoding needs each Kind's data model (`modelOf`); Kinds it does
 * not know keep their values as `rawValues`.
 * @throws ReloadError(Error_Invalid_Message) naming field and offset on malformed input.
 */
export function storeReqCodec(modelOf: ModelOf): Codec<StoreReq> {
  const kind = storeKindDataCodec(modelOf);
  const kinds = vectorCodec(kind, 4, 'StoreReq.kind_data');
  return {
    encodedLength(v) {
      // resource<0..255>, replica_number, kind_data<0..2^32-1> of 4 + 8 + values each
      let n = 1 + v.resource.length + 1 + 4;
      const kindData = v.kindData;
      for (let i = 0; i < kindData.length; i++) n += 12 + kindValuesLength(kindData[i]);
      return n;
    },
    encode(v, w) {
      const resource = v.resource;
      const replica = v.replicaNumber;
      const p = w.pos;
      const q = p + 2 + resource.length; // after resource and replica_number
      if (q + 4 <= w.end && resource.length <= 0xff && isU8(replica)) {
        // fast path (decision 0171): resource, replica_number and the kind_data length prefix
        // (back-patched) in one go; each StoreKindData by its codec
        const b = w.buf;
        b[p] = resource.length;
        putBytes(b, p + 1, resource);
        b[q - 1] = replica;
        w.pos = q + 4;
        const kindData = v.kindData;
        for (let i = 0; i < kindData.length; i++) kind.encode(kindData[i], w);
        const length = w.pos - q - 4;
        if (length > 0xffffffff) throw unencodable('StoreReq.kind_data', `${length} bytes`);
        putU32(b, q, length);
        return;
      }
      writeResourceId(w, resource, 'StoreReq.resource');
      w.u8(replica, 'StoreReq.replica_number');
      kinds.encode(v.kindData, w);
    },
    decode(r) {
      const b = r.buf;
      const p = r.pos;
      if (p < r.end) {
        const q = p + 2 + b[p]; // after resource and replica_number
        const length = q + 4 <= r.end ? getU32(b, q) : -1;
        if (length >= 0 && q + 4 + length <= r.end) {
          // resource, replica_number and the kind_data range are all inside the reader's
          r.pos = p + 1;
          const resource = r.bytes(b[p], 'StoreReq.resource');
          const replicaNumber = b[q - 1];
          const saved = r.end;
          r.pos = q + 4;
          r.end = q + 4 + length;
          const kindData = r.list(kind.decode, Infinity, 'StoreReq.kind_data');
          r.end = saved;
          return { resource, replicaNumber, kindData };
        }
      }
      const resource = readResourceId(r, 'StoreReq.resource');
      const replicaNumber = r.u8('StoreReq.replica_number');
      const kindData = kinds.decode(r);
      return { resource, replicaNumber, kindData };
    },
  };
}

/** §7.4.1.2 StoreKindResponse codec for the overlay's NodeId length (16–20 bytes, default 16). */
export function storeKindResponseCodec(opt?: NodeIdLengthOption): Codec<StoreKindResponse> {
  const nodeIdLength = resolveNodeIdLength(opt);
  return {
    encodedLength: (v) => 4 + 8 + 2 + v.replicas.length * nodeIdLength,
    encode(v, w) {
      w.u32(v.kind, 'StoreKindResponse.kind');
      w.u64(v.generationCounter, 'StoreKindResponse.generation_counter');
      writeNodeIdList(w, v.replicas, 2, nodeIdLength, 'StoreKindResponse.replicas');
    },
    decode(r) {
      const kind = r.u32('StoreKindResponse.kind');
      const generationCounter = r.u64('StoreKindResponse.generation_counter');
      const replicas = readNodeIdList(r, 2, nodeIdLength, 'StoreKindResponse.replicas');
      return { kind, generationCounter, replicas };
    },
  };
}

/**
 * §7.4.1.2 StoreAns codec (also the `error_info` of Error_Generation_Counter_Too_Low).
 * @param opt the overlay's NodeId length: bytes (16–20) or `{ nodeIdLength }`; default 16.
 * @throws ReloadError('WIRE_BAD_NODE_ID_LENGTH') for a length outside 16..20.
 */
export function storeAnsCodec(opt?: NodeIdLengthOption): Codec<StoreAns> {
  const list = vectorCodec(storeKindResponseCodec(opt), 2, 'StoreAns.kind_responses');
  return {
    encodedLength: (v) => list.encodedLength(v.kindResponses),
    encode: (v, w) => list.encode(v.kindResponses, w),
    decode: (r) => ({ kindResponses: list.decode(r) }),
  };
}

/**
 * `KindId unknown_kinds<0..2^8-1>`: the `error_info` of Error_Unknown_Kind (§7.4.1.2), a list
 * of Kind-IDs (at most 63 of them).
 */
export const UnknownKindsCodec: Codec<number[]> = vectorCodec(
  uint32Codec('unknown_kinds.kind'),
  1,
  'unknown_kinds',
);
