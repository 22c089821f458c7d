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
import { type Codec, type Reader } from '../codec.js';
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

/** Bytes after the `length` field: 8 + 4 + value + signature. */
function innerLength(v: StoredData): number {
  return (
    8 +
    4 +
    storedDataValueCodec(v.value.model).encodedLength(v.value) +
    SignatureCodec.encodedLength(v.signature)
  );
}

function be32(b: Uint8Array, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

function makeStoredDataCodec(model: StoredDataModel): Codec<StoredData> {
  const valueCodec = storedDataValueCodec(model);
  return {
    encodedLength: (v) => 4 + innerLength(v),
    encode(v, w) {
      const at = w.pos;
      const t = v.storageTime;
      const life = v.lifetime;
      if (
        at + 16 <= w.end &&
        typeof t === 'bigint' &&
        t >= 0n &&
        t <= 0xffffffffffffffffn &&
        typeof life === 'number' &&
        life >>> 0 === life
      ) {
        // fixed part in one go (length back-patched below); else the per-field path
        putBigU64(w.view, at + 4, t);
        const b = w.buf;
        b[at + 12] = life >>> 24;
        b[at + 13] = life >>> 16;
        b[at + 14] = life >>> 8;
        b[at + 15] = life;
        w.pos = at + 16;
      } else {
        w.beginVector(4, 'StoredData.length');
        w.u64(t, 'StoredData.storage_time');
        w.u32(life, 'StoredData.lifetime');
      }
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
      const length = r.end - p >= 16 ? be32(b, p) : -1;
      if (length >= 12 && p + 4 + length <= r.end) {
        // fixed part in one go when it and the announced length are inside the range
        saved = r.end;
        r.end = p + 4 + length;
        storageTime = bigU64(be32(b, p + 4), be32(b, p + 8));
        lifetime = be32(b, p + 12);
        r.pos = p + 16;
      } else {
        saved = r.enter(r.u32('StoredData.length'), 'StoredData.length');
        storageTime = r.u64('StoredData.storage_time');
        lifetime = r.u32('StoredData.lifetime');
      }
      const value = valueCodec.decode(r);
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
