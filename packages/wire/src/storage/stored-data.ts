/**
 * RFC 6940 §7 StoredData: the unit of stored data.
 *
 * ```
 * struct { uint32 length; uint64 storage_time; uint32 lifetime;
 *          StoredDataValue value; Signature signature; } StoredData;
 * ```
 * `length` counts the bytes after itself and is computed by the encoder; the decoder checks
 * that the structure fills exactly `length` bytes.
 */
import { bigU64, putBigU64 } from '../builtins.js';
import { type Codec, type Reader, type Writer, unencodable } from '../codec.js';
import { getU32, isU32, isU64, putBytes, putU32 } from '../fast.js';
import { type Signature, SignatureCodec } from '../security-block.js';
import { type StoredDataModel, type StoredDataValue, storedDataValueCodec } from './data-value.js';

/** §7 StoredData (without its `length`, which is derived). */
export interface StoredData {
  /** Milliseconds since 1970-01-01T00:00:00Z, not counting leap seconds (uint64). */
  storageTime: bigint;
  /** Validity in seconds from the time the storing peer receives the StoreReq (uint32). */
  lifetime: number;
  /** The value, tagged with its data model. */
  value: StoredDataValue;
  /** §7.1 data signature (the synthetic "none"/{0,0}/empty one for nonexistent values). */
  signature: Signature;
}

/**
 * Encoded bytes of a StoredData (§7), `length` field included, whatever its data model (the
 * `value.model` tag decides); what `storedDataCodec(v.value.model).encodedLength(v)` returns.
 * @throws RangeError for an unknown data model.
 */
export function storedDataLength(v: StoredData): number {
  return 4 + innerLength(v);
}

/** Bytes after the `length` field: 8 + 4 + value + signature. */
function innerLength(v: StoredData): number {
  const sv = v.value;
  // DataValue (exists, value<0..2^32-1>) plus the model's prefix (§7.2), without the calls
  // of the per-model codecs for the well-formed case
  const dataValue = 5 + sv.value.value.length;
  const value =
    sv.model === 'SINGLE'
      ? dataValue
      : sv.model === 'ARRAY'
        ? 4 + dataValue
        : sv.model === 'DICTIONARY'
          ? 2 + sv.key.length + dataValue
          : storedDataValueCodec((sv as StoredDataValue).model).encodedLength(sv); // throws
  return 12 + value + SignatureCodec.encodedLength(v.signature);
}

/**
 * Fast path of StoredData encode (decision 0171): everything up to the signature is checked
 * first and then written directly; the signature is written by SignatureCodec (its own fast
 * path) and `length` back-patched. Returns false, having written nothing, when any field is
 * out of range or the buffer lacks room; the per-field path then throws the error.
 */
function encodeStoredDataFast(v: StoredData, w: Writer, model: StoredDataModel): boolean {
  const sv = v.value;
  if (sv.model !== model) return false;
  const t = v.storageTime;
  const life = v.lifetime;
  const dv = sv.value;
  const exists = dv.exists;
  const bytes = dv.value;
  const at = w.pos;
  // storage_time, lifetime, [index | key], exists, value length
  let p = at + 16;
  let index = 0;
  let key: Uint8Array | undefined;
  if (sv.model === 'ARRAY') {
    index = sv.index;
    if (!isU32(index)) return false;
    p += 4;
  } else if (sv.model === 'DICTIONARY') {
    key = sv.key;
    if (key.length > 0xffff) return false;
    p += 2 + key.length;
  }
  const valueAt = p + 5;
  if (
    valueAt + bytes.length > w.end ||
    typeof exists !== 'boolean' ||
    !isU64(t) ||
    !isU32(life) ||
    bytes.length > 0xffffffff
  ) {
    return false;
  }
  const b = w.buf;
  putBigU64(w.view, at + 4, t);
  putU32(b, at + 12, life);
  p = at + 16;
  if (key !== undefined) {
    b[p] = key.length >>> 8;
    b[p + 1] = key.length;
    putBytes(b, p + 2, key);
  } else if (sv.model === 'ARRAY') {
    putU32(b, p, index);
  }
  b[valueAt - 5] = exists ? 1 : 0;
  putU32(b, valueAt - 4, bytes.length);
  putBytes(b, valueAt, bytes);
  w.pos = valueAt + bytes.length;
  SignatureCodec.encode(v.signature, w);
  const length = w.pos - at - 4;
  if (length > 0xffffffff) throw unencodable('StoredData.length', `${length} bytes`);
  putU32(b, at, length);
  return true;
}

/**
 * Fast path of the StoredDataValue decode for the bytes at `r.pos` (inside a StoredData whose
 * range is `r.end`): the model's prefix, `exists` (0 or 1) and the value's length are checked
 * against the range first. Returns undefined, having consumed nothing, otherwise; the
 * per-field path then reports the error.
 */
function decodeValueFast(r: Reader, model: StoredDataModel): StoredDataValue | undefined {
  const b = r.buf;
  const end = r.end;
  let p = r.pos;
  let index = 0;
  let keyLength = 0;
  if (model === 'ARRAY') {
    if (p + 4 > end) return undefined;
    index = getU32(b, p);
    p += 4;
  } else if (model === 'DICTIONARY') {
    if (p + 2 > end) return undefined;
    keyLength = (b[p] << 8) | b[p + 1];
    p += 2 + keyLength;
  }
  if (p + 5 > end) return undefined;
  const exists = b[p];
  const length = getU32(b, p + 1);
  if (exists > 1 || p + 5 + length > end) return undefined;
  let key: Uint8Array | undefined;
  if (model === 'DICTIONARY') {
    r.pos = p - keyLength;
    key = r.bytes(keyLength, 'StoredDataValue.key');
  }
  r.pos = p + 5;
  const value = { exists: exists === 1, value: r.bytes(length, 'DataValue.value') };
  return model === 'SINGLE'
    ? { model, value }
    : model === 'ARRAY'
      ? { model, index, value }
      : { model, key: key as Uint8Array, value };
}

function makeStoredDataCodec(model: StoredDataModel): Codec<StoredData> {
  const valueCodec = storedDataValueCodec(model);
  return {
    encodedLength: (v) => 4 + innerLength(v),
    encode(v, w) {
      if (encodeStoredDataFast(v, w, model)) return;
      const at = w.beginVector(4, 'StoredData.length');
      w.u64(v.storageTime, 'StoredData.storage_time');
      w.u32(v.lifetime, 'StoredData.lifetime');
      valueCodec.encode(v.value, w);
      SignatureCodec.encode(v.signature, w);
      w.endVector(at, 4, 'StoredData.length');
    },
    decode(r: Reader) {
      const b = r.buf;
      const p = r.pos;
      let saved: number;
      let storageTime: bigint;
      let lifetime: number;
      const length = r.end - p >= 16 ? getU32(b, p) : -1;
      if (length >= 12 && p + 4 + length <= r.end) {
        // fixed part in one go when it and the announced length are inside the range
        saved = r.end;
        r.end = p + 4 + length;
        storageTime = bigU64(getU32(b, p + 4), getU32(b, p + 8));
        lifetime = getU32(b, p + 12);
        r.pos = p + 16;
      } else {
        saved = r.enter(r.u32('StoredData.length'), 'StoredData.length');
        storageTime = r.u64('StoredData.storage_time');
        lifetime = r.u32('StoredData.lifetime');
      }
      const value = decodeValueFast(r, model) ?? valueCodec.decode(r);
      const signature = SignatureCodec.decode(r);
      r.leave(saved, 'StoredData');
      return { storageTime, lifetime, value, signature };
    },
  };
}

const SINGLE = makeStoredDataCodec('SINGLE');
const ARRAY = makeStoredDataCodec('ARRAY');
const DICTIONARY = makeStoredDataCodec('DICTIONARY');

/**
 * The §7 StoredData codec for a Kind of data model `model`.
 * @throws ReloadError(Error_Invalid_Message) on decode errors; `WIRE_UNENCODABLE` when a
 *   value's model differs from `model` or a field is out of range.
 */
export function storedDataCodec(model: StoredDataModel): Codec<StoredData> {
  // a switch, not a Map: this runs per StoredData on every encode (bench/wire)
  switch (model) {
    case 'SINGLE':
      return SINGLE;
    case 'ARRAY':
      return ARRAY;
    case 'DICTIONARY':
      return DICTIONARY;
  }
  throw new RangeError(`unknown data model ${String(model)}`);
}
