/**
 * RFC 6940 §7.4.3 Stat: StatReq (= FetchReq layout), MetaData, MetaDataValue, StoredMetaData,
 * StatKindResponse, StatAns.
 *
 * ```
 * struct { Boolean exists; uint32 value_length; HashAlgorithm hash_algorithm;
 *          opaque hash_value<0..255>; } MetaData;
 * struct { uint32 index; MetaData value; } ArrayEntryMeta;
 * struct { DictionaryKey key; MetaData value; } DictionaryEntryMeta;
 * struct { select (DataModel) { case single_value: MetaData single_value_entry;
 *          case array: ArrayEntryMeta array_entry;
 *          case dictionary: DictionaryEntryMeta dictionary_entry; }; } MetaDataValue;
 * struct { uint32 value_length; uint64 storage_time; uint32 lifetime;
 *          MetaDataValue metadata; } StoredMetaData;
 * struct { KindId kind; uint64 generation; StoredMetaData values<0..2^32-1>; } StatKindResponse;
 * struct { StatKindResponse kind_responses<0..2^32-1>; } StatAns;
 * ```
 */
import { type Codec, type Reader } from '../codec.js';
import { readBoolean, vectorCodec, writeBoolean } from '../bodies/primitives.js';
import {
  STORED_DATA_MODELS,
  type StoredDataModel,
  type ModelOf,
  layoutModel,
  modelEntryCodec,
} from './data-value.js';
import { type FetchReq, fetchReqCodec } from './fetch.js';

/** §7.4.3.1 StatReq: identical to FetchReq. */
export type StatReq = FetchReq;

/** §7.4.3.2 MetaData: facts about one stored value instead of the value itself. */
export interface MetaData {
  exists: boolean;
  /** Length in bytes of the stored value (uint32). */
  valueLength: number;
  /** TLS HashAlgorithm (uint8) used for `hashValue`. */
  hashAlgorithm: number;
  /** Digest of the DataValue's `value` including its 4 length bytes (`opaque<0..255>`). */
  hashValue: Uint8Array;
}

/** §7.4.3.2 MetaDataValue tagged with its data model (the tag is not on the wire). */
export type MetaDataValue =
  | { model: 'SINGLE'; value: MetaData }
  | { model: 'ARRAY'; index: number; value: MetaData }
  | { model: 'DICTIONARY'; key: Uint8Array; value: MetaData };

/**
 * §7.4.3.2 StoredMetaData. Its first field, `value_length`, is "the same as the
 * corresponding field in StoredData", i.e. the StoredData `length`: the number of bytes of
 * this structure after that field (8 + 4 + MetaDataValue). It is framing, computed by the
 * encoder, as Wireshark's RELOAD dissector and java-reload read it (decision 0157).
 */
export interface StoredMetaData {
  /**
   * `value_length` as read by the decoder (always 12 + the MetaDataValue's length). Encoders
   * ignore this field and write the computed length.
   */
  valueLength?: number;
  /** Milliseconds since the epoch (uint64). */
  storageTime: bigint;
  /** Seconds (uint32). */
  lifetime: number;
  metadata: MetaDataValue;
}

/** §7.4.3.2 StatKindResponse: `values` decoded, or `rawValues` when the Kind is unknown. */
export type StatKindResponse = { kind: number; generation: bigint } & (
  { values: StoredMetaData[] } | { rawValues: Uint8Array }
);

/** §7.4.3.2 StatAns. */
export interface StatAns {
  kindResponses: StatKindResponse[];
}

export const MetaDataCodec: Codec<MetaData> = {
  encodedLength: (v) => 1 + 4 + 1 + 1 + v.hashValue.length,
  encode(v, w) {
    writeBoolean(w, v.exists, 'MetaData.exists');
    w.u32(v.valueLength, 'MetaData.value_length');
    w.u8(v.hashAlgorithm, 'MetaData.hash_algorithm');
    w.opaque(v.hashValue, 1, 'MetaData.hash_value');
  },
  decode(r) {
    const exists = readBoolean(r, 'MetaData.exists');
    const valueLength = r.u32('MetaData.value_length');
    const hashAlgorithm = r.u8('MetaData.hash_algorithm');
    const hashValue = r.opaque(1, 'MetaData.hash_value');
    return { exists, valueLength, hashAlgorithm, hashValue };
  },
};

const metaDataValueCodecs = new Map<StoredDataModel, Codec<MetaDataValue>>(
  STORED_DATA_MODELS.map((m) => [m, modelEntryCodec(m, MetaDataCodec, 'MetaDataValue')]),
);

/** §7.4.3.2 MetaDataValue codec for one data model. */
export function metaDataValueCodec(model: StoredDataModel): Codec<MetaDataValue> {
  const c = metaDataValueCodecs.get(model);
  if (c === undefined) throw new RangeError(`unknown data model ${String(model)}`);
  return c;
}

/** §7.4.3.2 StoredMetaData codec for one data model. */
export function storedMetaDataCodec(model: StoredDataModel): Codec<StoredMetaData> {
  const inner = metaDataValueCodec(model);
  const rest = (v: StoredMetaData): number =>
    8 + 4 + metaDataValueCodec(v.metadata.model).encodedLength(v.metadata);
  return {
    encodedLength: (v) => 4 + rest(v),
    encode(v, w) {
      w.vector(4, rest(v), 'StoredMetaData.value_length', () => {
        w.u64(v.storageTime, 'StoredMetaData.storage_time');
        w.u32(v.lifetime, 'StoredMetaData.lifetime');
        inner.encode(v.metadata, w);
      });
    },
    decode(r: Reader) {
      const body = r.sub(4, 'StoredMetaData.value_length');
      const valueLength = body.remaining;
      const storageTime = body.u64('StoredMetaData.storage_time');
      const lifetime = body.u32('StoredMetaData.lifetime');
      const metadata = inner.decode(body);
      body.done('StoredMetaData');
      return { valueLength, storageTime, lifetime, metadata };
    },
  };
}

/** §7.4.3.1 StatReq codec (the FetchReq layout, errors name `StatReq.*`). */
export function statReqCodec(modelOf: ModelOf): Codec<StatReq> {
  return fetchReqCodec(modelOf, 'StatReq');
}

function statValuesLength(v: StatKindResponse): number {
  if ('rawValues' in v) return 4 + v.rawValues.length;
  let n = 4;
  for (const m of v.values) n += storedMetaDataCodec(m.metadata.model).encodedLength(m);
  return n;
}

/** §7.4.3.2 StatKindResponse codec. */
export function statKindResponseCodec(modelOf: ModelOf): Codec<StatKindResponse> {
  return {
    encodedLength: (v) => 4 + 8 + statValuesLength(v),
    encode(v, w) {
      w.u32(v.kind, 'StatKindResponse.kind');
      w.u64(v.generation, 'StatKindResponse.generation');
      if ('rawValues' in v) {
        w.opaque(v.rawValues, 4, 'StatKindResponse.values');
        return;
      }
      w.vector(4, statValuesLength(v) - 4, 'StatKindResponse.values', () => {
        for (const m of v.values) storedMetaDataCodec(m.metadata.model).encode(m, w);
      });
    },
    decode(r): StatKindResponse {
      const kind = r.u32('StatKindResponse.kind');
      const generation = r.u64('StatKindResponse.generation');
      const model = layoutModel(modelOf, kind);
      if (model === undefined) {
        return { kind, generation, rawValues: r.opaque(4, 'StatKindResponse.values') };
      }
      const codec = storedMetaDataCodec(model);
      const sub = r.sub(4, 'StatKindResponse.values');
      const values: StoredMetaData[] = [];
      while (sub.remaining > 0) values.push(codec.decode(sub));
      return { kind, generation, values };
    },
  };
}

/**
 * §7.4.3.2 StatAns codec; Kinds unknown to `modelOf` keep their values raw.
 * @throws ReloadError(Error_Invalid_Message) naming field and offset on malformed input.
 */
export function statAnsCodec(modelOf: ModelOf): Codec<StatAns> {
  const list = vectorCodec(statKindResponseCodec(modelOf), 4, 'StatAns.kind_responses');
  return {
    encodedLength: (v) => list.encodedLength(v.kindResponses),
    encode: (v, w) => list.encode(v.kindResponses, w),
    decode: (r) => ({ kindResponses: list.decode(r) }),
  };
}
