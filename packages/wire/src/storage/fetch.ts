/**
 * RFC 6940 §7.4.2 Fetch: ArrayRange, StoredDataSpecifier, FetchReq, FetchKindResponse,
 * FetchAns.
 *
 * ```
 * struct { int32 first; int32 last; } ArrayRange;
 * struct { KindId kind; uint64 generation; uint16 length;
 *          select (DataModel) { case single_value: ;
 *            case array: ArrayRange indices<0..2^16-1>;
 *            case dictionary: DictionaryKey keys<0..2^16-1>;
 *            /* This structure may be extended *\/ } model_specifier; } StoredDataSpecifier;
 * struct { ResourceId resource; StoredDataSpecifier specifiers<0..2^16-1>; } FetchReq;
 * struct { KindId kind; uint64 generation; StoredData values<0..2^32-1>; } FetchKindResponse;
 * struct { FetchKindResponse kind_responses<0..2^32-1>; } FetchAns;
 * ```
 */
import { type Codec, type Reader, type Writer } from '../codec.js';
import { invalidMessage } from '../errors.js';
import { readResourceId, vectorCodec, writeResourceId } from '../bodies/primitives.js';
import { DictionaryKeyCodec, type ModelOf, layoutModel } from './data-value.js';
import { type KindValues, kindValuesLength, readKindValues, writeKindValues } from './store.js';

/**
 * §7.4.2.1 ArrayRange. The RFC declares `int32` but uses 0xffffffff for "the final element";
 * both fields are therefore exposed as unsigned 32-bit numbers (same bytes on the wire,
 * decision 0150). `first <= last` and non-overlap are checked by the storage layer.
 */
export interface ArrayRange {
  first: number;
  last: number;
}

/** ArrayRange `last` value meaning "the final element" (§7.4.2.1). */
export const ARRAY_RANGE_LAST = 0xffffffff;

/**
 * §7.4.2.1 StoredDataSpecifier, tagged with the Kind's data model (not on the wire). A Kind
 * unknown to the decoder yields `model: null` with the raw `model_specifier` bytes.
 */
export type StoredDataSpecifier = {
  /** Kind-ID (uint32). */
  kind: number;
  /** Last generation counter the requester saw, or 0 (uint64). */
  generation: bigint;
} & (
  | { model: 'SINGLE' }
  | { model: 'ARRAY'; indices: ArrayRange[] }
  /** An empty `keys` list is a wildcard fetch of the whole dictionary. */
  | { model: 'DICTIONARY'; keys: Uint8Array[] }
  | { model: null; modelSpecifier: Uint8Array }
);

/** §7.4.2.1 FetchReq (§7.4.3.1 StatReq has the same layout). */
export interface FetchReq {
  resource: Uint8Array;
  specifiers: StoredDataSpecifier[];
}

/** §7.4.2.2 FetchKindResponse (`values` decoded, or `rawValues` for an unknown Kind). */
export type FetchKindResponse = { kind: number; generation: bigint } & KindValues;

/** §7.4.2.2 FetchAns. */
export interface FetchAns {
  kindResponses: FetchKindResponse[];
}

export const ArrayRangeCodec: Codec<ArrayRange> = {
  encodedLength: () => 8,
  encode(v, w) {
    w.u32(v.first, 'ArrayRange.first');
    w.u32(v.last, 'ArrayRange.last');
  },
  decode: (r) => ({ first: r.u32('ArrayRange.first'), last: r.u32('ArrayRange.last') }),
};

const IndicesCodec = vectorCodec(ArrayRangeCodec, 2, 'StoredDataSpecifier.indices');
const KeysCodec = vectorCodec(DictionaryKeyCodec, 2, 'StoredDataSpecifier.keys');

function specifierLength(v: StoredDataSpecifier): number {
  switch (v.model) {
    case 'SINGLE':
      return 0;
    case 'ARRAY':
      return IndicesCodec.encodedLength(v.indices);
    case 'DICTIONARY':
      return KeysCodec.encodedLength(v.keys);
    case null:
      return v.modelSpecifier.length;
  }
}

/**
 * §7.4.2.1 StoredDataSpecifier codec. The model comes from `modelOf(kind)`; for a known
 * model the `length` must be filled exactly by the model specifier (decision 0151), for an
 * unknown Kind the specifier is kept raw.
 */
export function storedDataSpecifierCodec(modelOf: ModelOf): Codec<StoredDataSpecifier> {
  return {
    encodedLength: (v) => 4 + 8 + 2 + specifierLength(v),
    encode(v: StoredDataSpecifier, w: Writer) {
      w.u32(v.kind, 'StoredDataSpecifier.kind');
      w.u64(v.generation, 'StoredDataSpecifier.generation');
      w.vector(2, specifierLength(v), 'StoredDataSpecifier.length', () => {
        switch (v.model) {
          case 'SINGLE':
            break;
          case 'ARRAY':
            IndicesCodec.encode(v.indices, w);
            break;
          case 'DICTIONARY':
            KeysCodec.encode(v.keys, w);
            break;
          case null:
            w.bytes(v.modelSpecifier, 'StoredDataSpecifier.model_specifier');
            break;
        }
      });
    },
    decode(r: Reader): StoredDataSpecifier {
      const kind = r.u32('StoredDataSpecifier.kind');
      const generation = r.u64('StoredDataSpecifier.generation');
      const body = r.sub(2, 'StoredDataSpecifier.length');
      const model = layoutModel(modelOf, kind);
      let out: StoredDataSpecifier;
      switch (model) {
        case undefined:
          return {
            kind,
            generation,
            model: null,
            modelSpecifier: body.bytes(body.remaining, 'StoredDataSpecifier.model_specifier'),
          };
        case 'SINGLE':
          out = { kind, generation, model };
          break;
        case 'ARRAY':
          out = { kind, generation, model, indices: IndicesCodec.decode(body) };
          break;
        case 'DICTIONARY':
          out = { kind, generation, model, keys: KeysCodec.decode(body) };
          break;
        default:
          throw invalidMessage('StoredDataSpecifier', body.pos, `bad data model`);
      }
      body.done('StoredDataSpecifier.model_specifier');
      return out;
    },
  };
}

/**
 * §7.4.2.1 FetchReq codec (also used for §7.4.3.1 StatReq, which is identical).
 * @throws ReloadError(Error_Invalid_Message) naming field and offset on malformed input.
 */
export function fetchReqCodec(modelOf: ModelOf, name = 'FetchReq'): Codec<FetchReq> {
  const specs = vectorCodec(storedDataSpecifierCodec(modelOf), 2, `${name}.specifiers`);
  return {
    encodedLength: (v) => 1 + v.resource.length + specs.encodedLength(v.specifiers),
    encode(v, w) {
      writeResourceId(w, v.resource, `${name}.resource`);
      specs.encode(v.specifiers, w);
    },
    decode(r) {
      const resource = readResourceId(r, `${name}.resource`);
      return { resource, specifiers: specs.decode(r) };
    },
  };
}

/** §7.4.2.2 FetchKindResponse codec. */
export function fetchKindResponseCodec(modelOf: ModelOf): Codec<FetchKindResponse> {
  return {
    encodedLength: (v) => 4 + 8 + kindValuesLength(v),
    encode(v, w) {
      w.u32(v.kind, 'FetchKindResponse.kind');
      w.u64(v.generation, 'FetchKindResponse.generation');
      writeKindValues(w, v, 'FetchKindResponse.values');
    },
    decode(r) {
      const kind = r.u32('FetchKindResponse.kind');
      const generation = r.u64('FetchKindResponse.generation');
      return {
        kind,
        generation,
        ...readKindValues(r, kind, modelOf, 'FetchKindResponse.values'),
      };
    },
  };
}

/**
 * §7.4.2.2 FetchAns codec; Kinds unknown to `modelOf` keep their values raw.
 * @throws ReloadError(Error_Invalid_Message) naming field and offset on malformed input.
 */
export function fetchAnsCodec(modelOf: ModelOf): Codec<FetchAns> {
  const list = vectorCodec(fetchKindResponseCodec(modelOf), 4, 'FetchAns.kind_responses');
  return {
    encodedLength: (v) => list.encodedLength(v.kindResponses),
    encode: (v, w) => list.encode(v.kindResponses, w),
    decode: (r) => ({ kindResponses: list.decode(r) }),
  };
}
