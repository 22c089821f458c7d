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
import { type Codec, type Reader, type Writer } from '../codec.js';
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
import { type StoredData, storedDataCodec } from './stored-data.js';

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
  for (const d of v.values) n += storedDataCodec(d.value.model).encodedLength(d);
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
  const values: StoredData[] = [];
  while (r.pos < r.end) values.push(codec.decode(r));
  r.end = saved;
  return { values };
}

/** §7.4.1.1 StoreKindData codec; `modelOf` gives each Kind's data model. */
export function storeKindDataCodec(modelOf: ModelOf): Codec<StoreKindData> {
  return {
    encodedLength: (v) => 4 + 8 + kindValuesLength(v),
    encode(v, w) {
      w.u32(v.kind, 'StoreKindData.kind');
      w.u64(v.generationCounter, 'StoreKindData.generation_counter');
      writeKindValues(w, v, 'StoreKindData.values');
    },
    decode(r) {
      const kind = r.u32('StoreKindData.kind');
      const generationCounter = r.u64('StoreKindData.generation_counter');
      const field = 'StoreKindData.values';
      const model = layoutModel(modelOf, kind);
      if (model === undefined) {
        return { kind, generationCounter, rawValues: r.opaque(4, field) };
      }
      // readKindValues inlined: no intermediate { values } object, no object spread
      const codec = storedDataCodec(model);
      const saved = r.enter(r.u32(field), field);
      let values: StoredData[] | undefined; // `[first]` then push (see Reader.list)
      while (r.pos < r.end) {
        const d = codec.decode(r);
        if (values === undefined) values = [d];
        else values.push(d);
      }
      r.end = saved;
      return { kind, generationCounter, values: values ?? [] };
    },
  };
}

/**
 * §7.4.1.1 StoreReq codec. Decoding needs each Kind's data model (`modelOf`); Kinds it does
 * not know keep their values as `rawValues`.
 * @throws ReloadError(Error_Invalid_Message) naming field and offset on malformed input.
 */
export function storeReqCodec(modelOf: ModelOf): Codec<StoreReq> {
  const kinds = vectorCodec(storeKindDataCodec(modelOf), 4, 'StoreReq.kind_data');
  return {
    encodedLength: (v) => 1 + v.resource.length + 1 + kinds.encodedLength(v.kindData),
    encode(v, w) {
      writeResourceId(w, v.resource, 'StoreReq.resource');
      w.u8(v.replicaNumber, 'StoreReq.replica_number');
      kinds.encode(v.kindData, w);
    },
    decode(r) {
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
