/**
 * The persistent layout (docs/decisions/0409): one backend entry per (Resource-ID, Kind-ID).
 *
 * ```
 * key   = 0x01 ‖ uint8 len(resource) ‖ resource ‖ uint32 kind       (bytewise order = ring order
 *                                                                  for fixed-length Resource-IDs)
 * value = uint8 format (1) ‖ uint8 model (1 SINGLE, 2 ARRAY, 3 DICTIONARY) ‖ uint64 generation ‖
 *         uint32 count ‖ count × { uint64 expiresAt (ms, local clock) ‖ StoredData (§7 wire form)
 *                                  ‖ GenericCertificate certificates<0..2^24-1> }
 * ```
 * StoredData keeps its wire encoding (storage_time, lifetime, value, signature), so what was
 * signed is kept byte for byte; the certificates that authenticated each value are retained
 * because a storing peer must be able to send them with the data (§6.3.4 note to implementers).
 */
import {
  type GenericCertificate,
  GenericCertificateCodec,
  Reader,
  type StoredData,
  storedDataCodec,
  Writer,
  ReloadError,
} from '@reload/wire';
import type { DataModelName } from './kinds.js';

/** One stored value with its local bookkeeping. */
export interface StoredEntry {
  /** The value as stored (for ARRAY, `value.index` is the actual index). */
  readonly data: StoredData;
  /** Local time (ms since the epoch, injected clock) at which the value expires. */
  readonly expiresAt: number;
  /** Certificates that authenticated the value's signature. */
  readonly certificates: readonly GenericCertificate[];
}

/** Everything stored for one Kind at one Resource-ID. */
export interface KindRecord {
  readonly model: DataModelName;
  /** Generation counter (§7.4.1.1), ≥ 1 once anything was stored. */
  generation: bigint;
  /** Values; ARRAY sorted by index, DICTIONARY by key bytes. */
  entries: StoredEntry[];
}

const KEY_PREFIX = 0x01;
const FORMAT = 1;
const MODEL_CODES: Record<DataModelName, number> = { SINGLE: 1, ARRAY: 2, DICTIONARY: 3 };
const MODELS: (DataModelName | undefined)[] = [undefined, 'SINGLE', 'ARRAY', 'DICTIONARY'];

/** Backend key of (resource, kind). */
export function recordKey(resource: Uint8Array, kind: number): Uint8Array {
  const k = new Uint8Array(2 + resource.length + 4);
  k[0] = KEY_PREFIX;
  k[1] = resource.length;
  k.set(resource, 2);
  new DataView(k.buffer).setUint32(2 + resource.length, kind);
  return k;
}

/** First key of all records of `resource` (inclusive) and the key after them (exclusive). */
export function resourceKeyRange(resource: Uint8Array): { gte: Uint8Array; lt: Uint8Array } {
  const gte = recordKey(resource, 0);
  const lt = recordKey(resource, 0);
  lt.fill(0xff, 2 + resource.length);
  // lt must be past kind 0xffffffff too: append one byte.
  const lt2 = new Uint8Array(lt.length + 1);
  lt2.set(lt);
  return { gte, lt: lt2 };
}

/** Range covering every record key. */
export const ALL_RECORDS = { gte: Uint8Array.of(KEY_PREFIX), lt: Uint8Array.of(KEY_PREFIX + 1) };

/**
 * Splits a record key into (resource, kind).
 * @throws ReloadError('STORAGE_CORRUPT') for a key not of this layout.
 */
export function parseRecordKey(key: Uint8Array): { resource: Uint8Array; kind: number } {
  if (key.length < 6 || key[0] !== KEY_PREFIX || key.length !== 2 + key[1] + 4)
    throw new ReloadError('STORAGE_CORRUPT', 'malformed record key');
  const len = key[1];
  return {
    resource: key.slice(2, 2 + len),
    kind: new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(2 + len),
  };
}

function certsLength(certs: readonly GenericCertificate[]): number {
  let n = 0;
  for (const c of certs) n += GenericCertificateCodec.encodedLength(c);
  return n;
}

/**
 * Encoded bytes of entries as they were decoded, keyed by the entry object: an unchanged
 * entry is re-written by copying its bytes. Entries are immutable; a changed one is a new
 * object (spread), so it can never pick up stale bytes.
 */
const encodedEntries = new WeakMap<StoredEntry, Uint8Array>();

function entryLength(model: DataModelName, e: StoredEntry): number {
  const cached = encodedEntries.get(e);
  if (cached) return cached.length;
  return 8 + storedDataCodec(model).encodedLength(e.data) + 3 + certsLength(e.certificates);
}

/** Encodes a record for the backend. */
export function encodeRecord(rec: KindRecord): Uint8Array {
  const codec = storedDataCodec(rec.model);
  let len = 1 + 1 + 8 + 4;
  for (const e of rec.entries) len += entryLength(rec.model, e);
  const out = new Uint8Array(len);
  const w = new Writer(out);
  w.u8(FORMAT, 'record.format');
  w.u8(MODEL_CODES[rec.model], 'record.model');
  w.u64(rec.generation, 'record.generation');
  w.u32(rec.entries.length, 'record.count');
  for (const e of rec.entries) {
    const cached = encodedEntries.get(e);
    if (cached) {
      w.bytes(cached, 'record.entry');
      continue;
    }
    w.u64(BigInt(Math.max(0, Math.floor(e.expiresAt))), 'record.expiresAt');
    codec.encode(e.data, w);
    w.vector(3, certsLength(e.certificates), 'record.certificates', () => {
      for (const c of e.certificates) GenericCertificateCodec.encode(c, w);
    });
  }
  return out;
}

/**
 * Decodes a record read from the backend. The result holds views of `bytes`: pass a buffer
 * nobody else writes to (the backends hand out fresh copies).
 * @throws ReloadError('STORAGE_CORRUPT') when the bytes are not a record of this format.
 */
export function decodeRecord(bytes: Uint8Array): KindRecord {
  try {
    const r = new Reader(bytes);
    const format = r.u8('record.format');
    if (format !== FORMAT) throw new Error(`unknown record format ${format}`);
    const model = MODELS[r.u8('record.model')];
    if (!model) throw new Error('unknown data model code');
    const generation = r.u64('record.generation');
    const count = r.u32('record.count');
    const codec = storedDataCodec(model);
    const entries: StoredEntry[] = [];
    for (let i = 0; i < count; i++) {
      const start = r.pos;
      const expiresAt = Number(r.u64('record.expiresAt'));
      const data = codec.decode(r);
      const sub = r.sub(3, 'record.certificates');
      const certificates = sub.list(GenericCertificateCodec.decode);
      const entry: StoredEntry = { data, expiresAt, certificates };
      encodedEntries.set(entry, bytes.subarray(start, r.pos));
      entries.push(entry);
    }
    r.done('record');
    return { model, generation, entries };
  } catch (e) {
    throw new ReloadError('STORAGE_CORRUPT', 'stored record cannot be decoded', { cause: e });
  }
}

/** Wire size of a StoredData (what quotas count, docs/decisions/0408). */
export function storedDataSize(d: StoredData): number {
  return storedDataCodec(d.value.model).encodedLength(d);
}

/** Bytes a record counts against the quota: the wire size of its StoredData values. */
export function recordSize(rec: KindRecord): number {
  let n = 0;
  for (const e of rec.entries) n += storedDataSize(e.data);
  return n;
}
