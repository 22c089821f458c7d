/**
 * Persistence backends: an ordered byte-key/byte-value store with atomic batches. One
 * implementation over any `abstract-level` database, opened either on disk with
 * `classic-level` (one database per peer data directory, design.md) or in memory with
 * `memory-level` (unit tests). Both pass the same compliance suite
 * (test/backend-compliance.ts).
 */
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { ReloadError } from '@reload/wire';

/** One write of an atomic batch. */
export type BackendOp =
  { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** Key range for {@link StorageBackend.entries}; bounds compare bytewise. */
export interface KeyRange {
  /** Inclusive lower bound. */
  gte?: Uint8Array;
  /** Exclusive upper bound. */
  lt?: Uint8Array;
}

/** What the storage engine needs from a database. */
export interface StorageBackend {
  /** Value under `key` (a plain Uint8Array copy), or undefined. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Applies all `ops` atomically (all or none); keys and values are copied. */
  batch(ops: readonly BackendOp[]): Promise<void>;
  /** Entries (plain Uint8Array copies) with keys in `range`, in ascending bytewise order. */
  entries(range?: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Closes the database; further calls fail. Idempotent. */
  close(): Promise<void>;
}

/** The part of an abstract-level database (view encodings) that the backend uses. */
export interface ViewLevel {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  batch(
    ops: ({ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array })[],
  ): Promise<void>;
  iterator(options: { gte?: Uint8Array; lt?: Uint8Array }): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
}

function backendError(what: string, cause: unknown): ReloadError {
  return new ReloadError('STORAGE_BACKEND', `storage backend ${what} failed`, { cause });
}

/**
 * Wraps an opened (or openable) abstract-level database whose key and value encodings are
 * `view` (Uint8Array).
 */
export function levelBackend(db: ViewLevel): StorageBackend {
  let closed = false;
  return {
    async get(key) {
      try {
        const v = await db.get(key);
        return v === undefined ? undefined : new Uint8Array(v);
      } catch (e) {
        throw backendError('get', e);
      }
    },
    async batch(ops) {
      if (ops.length === 0) return;
      try {
        await db.batch(
          ops.map((o) =>
            o.type === 'put'
              ? { type: 'put' as const, key: o.key.slice(), value: o.value.slice() }
              : { type: 'del' as const, key: o.key },
          ),
        );
      } catch (e) {
        throw backendError('batch', e);
      }
    },
    async *entries(range = {}) {
      const opts: { gte?: Uint8Array; lt?: Uint8Array } = {};
      if (range.gte) opts.gte = range.gte;
      if (range.lt) opts.lt = range.lt;
      // Some abstract-level implementations hand out Buffers; give plain Uint8Array copies.
      for await (const [k, v] of db.iterator(opts))
        yield [new Uint8Array(k), new Uint8Array(v)] as [Uint8Array, Uint8Array];
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}

/** An in-memory backend (memory-level); contents vanish on close. */
export async function openMemoryBackend(): Promise<StorageBackend> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  return levelBackend(db);
}

/**
 * A persistent backend: a classic-level (LevelDB) database in directory `location`, created
 * when missing. One database per peer data directory; LevelDB locks it, so a second open of
 * the same directory fails until the first is closed.
 * @throws ReloadError('STORAGE_BACKEND') when the database cannot be opened.
 */
export async function openLevelBackend(location: string): Promise<StorageBackend> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  try {
    await db.open();
  } catch (e) {
    throw backendError(`open of ${location}`, e);
  }
  return levelBackend(db);
}
