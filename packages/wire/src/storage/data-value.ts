/**
 * RFC 6940 §7.2 data models: DataValue, ArrayEntry, DictionaryEntry and the StoredDataValue
 * variant. The data model is not carried on the wire; it comes from the Kind definition, so
 * decoders take it as a parameter.
 *
 * ```
 * struct { Boolean exists; opaque value<0..2^32-1>; } DataValue;
 * struct { uint32 index; DataValue value; } ArrayEntry;
 * typedef opaque DictionaryKey<0..2^16-1>;
 * struct { DictionaryKey key; DataValue value; } DictionaryEntry;
 * struct { select (DataModel) { case single_value: DataValue single_value_entry;
 *          case array: ArrayEntry array_entry; case dictionary: DictionaryEntry dictionary_entry;
 *          /* This structure may be extended *\/ }; } StoredDataValue;
 * ```
 */
import { type Codec, unencodable } from '../codec.js';
import { readBoolean, writeBoolean } from '../bodies/primitives.js';

/**
 * A data model as named in the IANA "RELOAD Data Model" registry (RFC 6940 §14.7) and in the
 * configuration document's `<data-model>` element (§11.1).
 */
export type StoredDataModel = 'SINGLE' | 'ARRAY' | 'DICTIONARY';

/** The data models whose wire layout §7.2 defines. */
export const STORED_DATA_MODELS: readonly StoredDataModel[] = ['SINGLE', 'ARRAY', 'DICTIONARY'];

/**
 * Looks up the data model name of a Kind-ID (from the overlay configuration, e.g.
 * `'DICTIONARY'`). Returns `undefined` for a Kind the node does not know. For `undefined` or
 * any name other than SINGLE / ARRAY / DICTIONARY (e.g. `EXP-DATA`) decoders keep that Kind's
 * values as raw bytes, so the receiver can answer `Error_Unknown_Kind` (§7.4.1.2) instead of
 * failing to parse.
 */
export type ModelOf = (kind: number) => string | undefined;

/** The layout model of `kind`, or undefined when it must be kept raw. */
export function layoutModel(modelOf: ModelOf, kind: number): StoredDataModel | undefined {
  const m = modelOf(kind);
  return m === 'SINGLE' || m === 'ARRAY' || m === 'DICTIONARY' ? m : undefined;
}

/** §7.2.1 DataValue. `exists = false` with an empty value removes a value (§7.4.1.3). */
export interface DataValue {
  exists: boolean;
  /** The stored bytes (a view of the decoded buffer after decode). */
  value: Uint8Array;
}

/** §7.2.2 ArrayEntry: `index` is a uint32 (0xffffffff = append on Store). */
export interface ArrayEntry {
  index: number;
  value: DataValue;
}

/** §7.2.3 DictionaryEntry; `key` is a DictionaryKey `opaque<0..2^16-1>`. */
export interface DictionaryEntry {
  key: Uint8Array;
  value: DataValue;
}

/**
 * §7.2 StoredDataValue, tagged with the data model it was encoded under (the tag itself is
 * not on the wire).
 */
export type StoredDataValue =
  | { model: 'SINGLE'; value: DataValue }
  | { model: 'ARRAY'; index: number; value: DataValue }
  | { model: 'DICTIONARY'; key: Uint8Array; value: DataValue };

/** `DataValue`: 1 + 4 + value bytes. */
export const DataValueCodec: Codec<DataValue> = {
  encodedLength: (v) => 1 + 4 + v.value.length,
  encode(v, w) {
    writeBoolean(w, v.exists, 'DataValue.exists');
    w.opaque(v.value, 4, 'DataValue.value');
  },
  decode(r) {
    const exists = readBoolean(r, 'DataValue.exists');
    const value = r.opaque(4, 'DataValue.value');
    return { exists, value };
  },
};

/** `DictionaryKey` = `opaque<0..2^16-1>` (2-byte prefix). */
export const DictionaryKeyCodec: Codec<Uint8Array> = {
  encodedLength: (v) => 2 + v.length,
  encode: (v, w) => w.opaque(v, 2, 'DictionaryKey'),
  decode: (r) => r.opaque(2, 'DictionaryKey'),
};

export const ArrayEntryCodec: Codec<ArrayEntry> = {
  encodedLength: (v) => 4 + DataValueCodec.encodedLength(v.value),
  encode(v, w) {
    w.u32(v.index, 'ArrayEntry.index');
    DataValueCodec.encode(v.value, w);
  },
  decode(r) {
    const index = r.u32('ArrayEntry.index');
    return { index, value: DataValueCodec.decode(r) };
  },
};

export const DictionaryEntryCodec: Codec<DictionaryEntry> = {
  encodedLength: (v) => 2 + v.key.length + DataValueCodec.encodedLength(v.value),
  encode(v, w) {
    w.opaque(v.key, 2, 'DictionaryEntry.key');
    DataValueCodec.encode(v.value, w);
  },
  decode(r) {
    const key = r.opaque(2, 'DictionaryEntry.key');
    return { key, value: DataValueCodec.decode(r) };
  },
};

/**
 * A model-tagged entry codec: `SINGLE` → `V`, `ARRAY` → `uint32 index; V`,
 * `DICTIONARY` → `DictionaryKey key; V`. Shared by StoredDataValue (V = DataValue) and
 * MetaDataValue (V = MetaData, §7.4.3.2).
 */
export function modelEntryCodec<V>(
  model: StoredDataModel,
  inner: Codec<V>,
  name: string,
): Codec<
  | { model: 'SINGLE'; value: V }
  | { model: 'ARRAY'; index: number; value: V }
  | { model: 'DICTIONARY'; key: Uint8Array; value: V }
> {
  return {
    encodedLength(v) {
      const base = inner.encodedLength(v.value);
      switch (v.model) {
        case 'SINGLE':
          return base;
        case 'ARRAY':
          return 4 + base;
        case 'DICTIONARY':
          return 2 + v.key.length + base;
      }
    },
    encode(v, w) {
      if (v.model !== model) {
        throw unencodable(name, `value has data model ${v.model}, Kind uses ${model}`);
      }
      switch (v.model) {
        case 'SINGLE':
          break;
        case 'ARRAY':
          w.u32(v.index, `${name}.index`);
          break;
        case 'DICTIONARY':
          w.opaque(v.key, 2, `${name}.key`);
          break;
      }
      inner.encode(v.value, w);
    },
    decode(r) {
      switch (model) {
        case 'SINGLE':
          return { model, value: inner.decode(r) };
        case 'ARRAY': {
          const index = r.u32(`${name}.index`);
          return { model, index, value: inner.decode(r) };
        }
        case 'DICTIONARY': {
          const key = r.opaque(2, `${name}.key`);
          return { model, key, value: inner.decode(r) };
        }
      }
    },
  };
}

const SINGLE_VALUE = modelEntryCodec('SINGLE', DataValueCodec, 'StoredDataValue');
const ARRAY_VALUE = modelEntryCodec('ARRAY', DataValueCodec, 'StoredDataValue');
const DICTIONARY_VALUE = modelEntryCodec('DICTIONARY', DataValueCodec, 'StoredDataValue');

/**
 * The §7.2 StoredDataValue codec for one data model. Its encoding alone is the
 * `StoredDataValue` term of the §7.1 data-signature input
 * (`resource_id || kind || storage_time || StoredDataValue || SignerIdentity`), e.g.
 * `encodeToBytes(storedDataValueCodec('ARRAY'), v)`. Encoding a value whose `model` differs
 * from `model` throws `WIRE_UNENCODABLE`.
 */
export function storedDataValueCodec(model: StoredDataModel): Codec<StoredDataValue> {
  switch (model) {
    case 'SINGLE':
      return SINGLE_VALUE;
    case 'ARRAY':
      return ARRAY_VALUE;
    case 'DICTIONARY':
      return DICTIONARY_VALUE;
  }
  throw new RangeError(`unknown data model ${String(model)}`);
}
