/**
 * The peer-local storage engine (RFC 6940 §7.4): Store, Fetch, Stat and Find over one
 * backend, with Kinds, data models, access-control policies, per-value signatures,
 * generation counters, lifetimes, limits and a per-peer byte quota. The overlay decodes the
 * messages (with `@reload/wire` and {@link Storage.modelOf}), checks the message signature,
 * and hands the decoded bodies and the request signer here; replication to successors
 * (§10.4) is driven by the overlay with {@link Storage.resourcesInRange},
 * {@link Storage.exportResource} and replica stores.
 */
import { createHash } from 'node:crypto';
import {
  bytesEqual,
  encodeToBytes,
  ErrorCode,
  type FetchAns,
  type FetchKindResponse,
  type FetchReq,
  type FindAns,
  type FindKindData,
  type FindReq,
  type GenericCertificate,
  isReloadError,
  ReloadError,
  type Signature,
  type StatAns,
  type StatKindResponse,
  type StatReq,
  type StoreAns,
  storeAnsCodec,
  type StoredData,
  type StoredDataSpecifier,
  type StoredDataValue,
  type StoredMetaData,
  type StoreKindData,
  type StoreReq,
  type MetaDataValue,
  metaDataValueCodec,
} from '@reload/wire';
import type { StorageBackend } from './backend.js';
import {
  ANONYMOUS_ALGORITHM,
  ARRAY_APPEND,
  ARRAY_LAST,
  SIGNER_IDENTITY_NONE,
  STAT_HASH_ALGORITHM,
} from './constants.js';
import {
  type DataModelName,
  type KindDefinition,
  type KindRegistry,
  unknownKindError,
} from './kinds.js';
import { type AccessRequest, type PolicyRegistry, type SignerInfo } from './policies.js';
import {
  ALL_RECORDS,
  decodeRecord,
  encodeRecord,
  type KindRecord,
  parseRecordKey,
  recordKey,
  recordSize,
  resourceKeyRange,
  type StoredEntry,
} from './record.js';
import type { DataSignatureVerifier } from './verifier.js';
import { BASE_VALUE_VALIDATORS, type ValueValidator } from './usages.js';

/** Options of {@link openStorage}. */
export interface StorageOptions {
  /** Where records live (see backend.ts). The engine closes it on {@link Storage.close}. */
  backend: StorageBackend;
  /** Kinds this peer stores. */
  kinds: KindRegistry;
  /** Access-control policies by name. */
  policies: PolicyRegistry;
  /** §7.1 signature verifier (from @reload/security in production). */
  verifier: DataSignatureVerifier;
  /** Overlay hash from a Resource Name to a Resource-ID (§6.3.1.1, §10.2). */
  resourceIdOf: (name: Uint8Array) => Uint8Array;
  /** Clock in ms since the epoch (default `Date.now`); injectable for tests. */
  now?: () => number;
  /** Most bytes of StoredData this peer keeps (default unlimited); see docs/decisions/0408. */
  quotaBytes?: number;
  /** NodeId length of the overlay (16–20, default 16), for encoding StoreAns error_info. */
  nodeIdLength?: number;
  /**
   * Decides whether the signer of a replica StoreReq (replica_number > 0) is plausible for
   * `resource` (§7.4.1.1: in the replica set or closer than some member of it; §10.4). It is
   * topology knowledge, so the overlay supplies it. Without it, replica stores are refused
   * with Error_Forbidden.
   */
  replicaSenderAllowed?: (resource: Uint8Array, signer: SignerInfo) => boolean;
  /**
   * When set, expired values are purged every this many ms (real timer, unref'd, stopped by
   * {@link Storage.close}). Without it, call {@link Storage.purgeExpired} yourself; expired
   * values are never returned either way.
   */
  purgeIntervalMs?: number;
  /** Receives errors of the background purge (default: ignored). */
  onPurgeError?: (e: unknown) => void;
  /**
   * Value checks by Kind-ID, run on Store after the signature and policy checks (default
   * {@link BASE_VALUE_VALIDATORS}: TURN-SERVICE values must be TurnServers). A validator's
   * ReloadError is answered as is; any other exception as Error_Invalid_Message.
   */
  valueValidators?: ReadonlyMap<number, ValueValidator>;
}

/** Context of one Store request, filled by the overlay from the message. */
export interface StoreContext {
  /** Signer of the StoreReq message (already verified by the message layer, §6.3.4). */
  requestSigner: SignerInfo;
  /** The message's certificate bucket (§6.3.4), used to verify each value's signature. */
  certificates: readonly GenericCertificate[];
  /** NodeIds where the data will be replicated, reported in StoreAns (§7.4.1.2). */
  replicas?: readonly Uint8Array[];
}

/** A Fetch answer plus the certificates the response's SecurityBlock should carry. */
export interface FetchResult {
  answer: FetchAns;
  /** Distinct certificates that authenticated the returned values (§6.3.4). */
  certificates: GenericCertificate[];
}

/** One resource's data, ready to be sent as a replica StoreReq (§10.4, §10.7.3). */
export interface ResourceExport {
  /** StoreReq with `replicaNumber` as asked, generation counters as stored, lifetimes reduced. */
  request: StoreReq;
  /** Certificates for the values' signatures, for the message's SecurityBlock. */
  certificates: GenericCertificate[];
}

/** Figures about this peer's store. */
export interface StorageUsage {
  /** Bytes of StoredData held (expired values not yet purged included). */
  bytes: number;
  /** The quota, or Infinity. */
  quotaBytes: number;
}

/** The storage engine. All methods are safe to call concurrently. */
export interface Storage {
  /**
   * Handles a StoreReq (§7.4.1). Atomic: on any error nothing changes.
   * @throws ReloadError with Error_Unknown_Kind (info: unknown_kinds), Error_Forbidden (bad
   * value signature, anonymous signature, policy refusal, implausible replica sender),
   * Error_Generation_Counter_Too_Low (info: StoreAns with current counters), Error_Data_Too_Old,
   * Error_Data_Too_Large (max-size, max-count, quota), Error_Invalid_Message (duplicate Kind,
   * replica generation 0, value of the wrong data model).
   */
  store(req: StoreReq, ctx: StoreContext): Promise<StoreAns>;
  /**
   * Handles a FetchReq (§7.4.2), synthesizing "nonexistent" values for missing single values,
   * array gaps and requested dictionary keys.
   * @throws ReloadError Error_Unknown_Kind (info: unknown_kinds), Error_Invalid_Message (bad or
   * overlapping ArrayRange, duplicate Kind).
   */
  fetch(req: FetchReq): Promise<FetchResult>;
  /** Handles a StatReq (§7.4.3); same selection and errors as {@link Storage.fetch}. */
  stat(req: StatReq): Promise<StatAns>;
  /**
   * Handles a FindReq (§7.4.4): per Kind, the stored Resource-ID closest at or after
   * `resource` going round the ring (docs/decisions/0405); all-zero when none; Kinds not
   * known get all-zero, Kinds not allowed for Find are left out.
   * @throws ReloadError(Error_Invalid_Message) when a Kind-ID appears twice.
   */
  find(req: FindReq): Promise<FindAns>;
  /** Data model of a Kind for the wire decoders (`ModelOf`), undefined when unknown. */
  modelOf(kind: number): DataModelName | undefined;
  /**
   * Resource-IDs with live data in the ring interval (from, to] (Chord responsibility,
   * §10.1), ascending; from == to means the whole ring.
   */
  resourcesInRange(from: Uint8Array, to: Uint8Array): Promise<Uint8Array[]>;
  /**
   * Everything stored at `resource` as a StoreReq with `replicaNumber` (§10.4: 1, 2 for the
   * successors; the caller picks), lifetimes reduced by the time already spent here
   * (§7.4.1.1); undefined when nothing live is stored there.
   */
  exportResource(resource: Uint8Array, replicaNumber: number): Promise<ResourceExport | undefined>;
  /**
   * Stores an exported resource locally as a replica would be stored (signatures and value
   * policies checked, generation counters and storage times preserved) without a request
   * signer: for restoring or moving data inside one process.
   */
  importResource(exported: ResourceExport): Promise<StoreAns>;
  /** Removes everything stored at `resource` (§10.7.3: no longer in the replica set). */
  deleteResource(resource: Uint8Array): Promise<void>;
  /** Deletes expired values now; returns how many were removed. */
  purgeExpired(): Promise<number>;
  /** Bytes held and quota. */
  usage(): StorageUsage;
  /** Closes the backend. */
  close(): Promise<void>;
}

function forbidden(msg: string, cause?: unknown): ReloadError {
  return new ReloadError(ErrorCode.Forbidden, msg, cause === undefined ? {} : { cause });
}
function invalidMsg(msg: string): ReloadError {
  return new ReloadError(ErrorCode.InvalidMessage, msg);
}
function tooLarge(msg: string): ReloadError {
  return new ReloadError(ErrorCode.DataTooLarge, msg);
}
function tooOld(msg: string): ReloadError {
  return new ReloadError(ErrorCode.DataTooOld, msg);
}

const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The synthetic signature of values the storing node has no knowledge of (§7.4.2.2). */
export const EMPTY_SIGNATURE: Signature = {
  algorithm: { ...ANONYMOUS_ALGORITHM },
  identity: { identityType: SIGNER_IDENTITY_NONE },
  signatureValue: new Uint8Array(0),
};

/** Copies a StoredData out of a (possibly pooled) receive buffer. */
function copyStoredData(d: StoredData, value: StoredDataValue = d.value): StoredData {
  const dv = { exists: value.value.exists, value: value.value.value.slice() };
  let v: StoredDataValue;
  switch (value.model) {
    case 'SINGLE':
      v = { model: 'SINGLE', value: dv };
      break;
    case 'ARRAY':
      v = { model: 'ARRAY', index: value.index, value: dv };
      break;
    case 'DICTIONARY':
      v = { model: 'DICTIONARY', key: value.key.slice(), value: dv };
      break;
  }
  const id = d.signature.identity;
  const identity =
    'certificateHash' in id
      ? { ...id, certificateHash: id.certificateHash.slice() }
      : 'certificateNodeIdHash' in id
        ? { ...id, certificateNodeIdHash: id.certificateNodeIdHash.slice() }
        : 'value' in id
          ? { ...id, value: id.value.slice() }
          : { ...id };
  return {
    storageTime: d.storageTime,
    lifetime: d.lifetime,
    value: v,
    signature: {
      algorithm: { ...d.signature.algorithm },
      identity,
      signatureValue: d.signature.signatureValue.slice(),
    },
  };
}

function sameStoredData(a: StoredData, b: StoredData): boolean {
  return (
    a.storageTime === b.storageTime &&
    a.value.value.exists === b.value.value.exists &&
    bytesEqual(a.value.value.value, b.value.value.value) &&
    bytesEqual(a.signature.signatureValue, b.signature.signatureValue)
  );
}

function indexOf(v: StoredDataValue): number {
  return v.model === 'ARRAY' ? v.index : 0;
}

function synthetic(value: StoredDataValue): StoredData {
  return { storageTime: 0n, lifetime: 0, value, signature: EMPTY_SIGNATURE };
}

function nonexistentDataValue() {
  return { exists: false, value: new Uint8Array(0) };
}

/** Locates an entry inside a record. */
function findEntry(rec: KindRecord, v: StoredDataValue): number {
  switch (v.model) {
    case 'SINGLE':
      return rec.entries.length > 0 ? 0 : -1;
    case 'ARRAY':
      return rec.entries.findIndex((e) => indexOf(e.data.value) === v.index);
    case 'DICTIONARY':
      return rec.entries.findIndex(
        (e) => e.data.value.model === 'DICTIONARY' && bytesEqual(e.data.value.key, v.key),
      );
  }
}

function sortEntries(rec: KindRecord): void {
  if (rec.model === 'ARRAY')
    rec.entries.sort((a, b) => indexOf(a.data.value) - indexOf(b.data.value));
  else if (rec.model === 'DICTIONARY')
    rec.entries.sort((a, b) =>
      a.data.value.model === 'DICTIONARY' && b.data.value.model === 'DICTIONARY'
        ? compareBytes(a.data.value.key, b.data.value.key)
        : 0,
    );
}

/**
 * Opens a storage engine over `options.backend`, counting the bytes already stored (a
 * reopened database serves what it held, minus what expired meanwhile).
 */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  const { backend, kinds, policies, verifier, resourceIdOf } = options;
  const now = options.now ?? Date.now;
  const quota = options.quotaBytes ?? Infinity;
  const nodeIdLength = options.nodeIdLength ?? 16;
  const validators = options.valueValidators ?? BASE_VALUE_VALIDATORS;
  const locks = new Map<string, Promise<unknown>>();
  let bytes = 0;
  for await (const [, v] of backend.entries(ALL_RECORDS)) bytes += recordSize(decodeRecord(v));

  /** Runs `fn` with the resource locked against other writers of the same resource. */
  async function withLock<T>(resource: Uint8Array, fn: () => Promise<T>): Promise<T> {
    const key = hex(resource);
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (locks.get(key) === tail) locks.delete(key);
    }
  }

  async function load(resource: Uint8Array, kind: number): Promise<KindRecord | undefined> {
    const raw = await backend.get(recordKey(resource, kind));
    return raw === undefined ? undefined : decodeRecord(raw);
  }

  /** A record with expired entries removed (a fresh object; the input is not changed). */
  function live(rec: KindRecord, t: number): KindRecord {
    return {
      model: rec.model,
      generation: rec.generation,
      entries: rec.entries.filter((e) => e.expiresAt > t),
    };
  }

  /** Remaining lifetime in whole seconds, rounded up (§7.4.1.1: adjusted downward). */
  function remaining(e: StoredEntry, t: number): number {
    return Math.max(0, Math.min(0xffffffff, Math.ceil((e.expiresAt - t) / 1000)));
  }

  function outgoing(e: StoredEntry, t: number): StoredData {
    return { ...e.data, lifetime: remaining(e, t) };
  }

  function kindOf(kind: number): KindDefinition {
    return kinds.require(kind);
  }

  function checkPolicy(req: AccessRequest): void {
    const policy = policies.get(req.kind.accessControl);
    if (!policy)
      throw forbidden(`access-control policy ${req.kind.accessControl} is not available`);
    let ok = false;
    try {
      ok = policy.check(req);
    } catch {
      ok = false;
    }
    if (!ok)
      throw forbidden(
        `${req.role === 'value' ? 'StoredData' : 'StoreReq'} signer not allowed by ${policy.name} ` +
          `for Kind 0x${req.kind.id.toString(16)}`,
      );
  }

  async function doStore(
    req: StoreReq,
    ctx: StoreContext | undefined,
    replica: boolean,
    certificates: readonly GenericCertificate[] = ctx?.certificates ?? [],
  ): Promise<StoreAns> {
    const t = now();
    const resource = req.resource.slice();
    // RFC 6940 §7.4.1.1: the same Kind-ID MUST NOT be used twice.
    const seen = new Set<number>();
    for (const kd of req.kindData) {
      if (seen.has(kd.kind))
        throw invalidMsg(`Kind 0x${kd.kind.toString(16)} appears twice in StoreReq`);
      seen.add(kd.kind);
    }
    const unknown = req.kindData
      .filter((kd) => 'rawValues' in kd || kinds.get(kd.kind) === undefined)
      .map((kd) => kd.kind);
    if (unknown.length > 0) throw unknownKindError(unknown);
    if (replica) {
      for (const kd of req.kindData)
        // RFC 6940 §7.4.1.1: "Replica Stores MUST NOT use a generation counter of 0."
        if (kd.generationCounter === 0n)
          throw invalidMsg('replica Store with generation counter 0');
      if (ctx !== undefined) {
        const allowed = options.replicaSenderAllowed;
        if (!allowed || !allowed(resource, ctx.requestSigner))
          throw forbidden('replica StoreReq from a node not plausible for this resource');
      }
    }

    // Verify signatures and policies first (no lock needed: pure checks).
    const verified: {
      kd: StoreKindData & { values: StoredData[] };
      kind: KindDefinition;
      entries: StoredEntry[];
    }[] = [];
    for (const kd of req.kindData) {
      if (!('values' in kd)) throw unknownKindError([kd.kind]);
      const kind = kindOf(kd.kind);
      const entries: StoredEntry[] = [];
      for (const sd of kd.values) {
        if (sd.value.model !== kind.dataModel)
          throw invalidMsg(`value of data model ${sd.value.model} for ${kind.dataModel} Kind`);
        const sig = sd.signature;
        // RFC 6940 §7.4.1.1: identity "none" or algorithm {0,0} only in synthesized answers.
        if (
          sig.identity.identityType === SIGNER_IDENTITY_NONE ||
          (sig.algorithm.hash === 0 && sig.algorithm.signature === 0)
        )
          throw forbidden('StoredData with an anonymous signature');
        if (sd.value.value.value.length > kind.maxSize)
          throw tooLarge(
            `value of ${sd.value.value.value.length} bytes exceeds max-size ${kind.maxSize}`,
          );
        let signer;
        try {
          signer = await verifier({
            resourceId: resource,
            kind: kd.kind,
            storedData: sd,
            certificates,
          });
        } catch (e) {
          throw forbidden(
            `StoredData signature invalid${isReloadError(e) ? `: ${e.message}` : ''}`,
            e,
          );
        }
        const base = {
          resourceId: resource,
          kind,
          exists: sd.value.value.exists,
          value: sd.value.value.value,
          resourceIdOf,
          ...(sd.value.model === 'DICTIONARY' ? { dictionaryKey: sd.value.key } : {}),
          ...(sd.value.model === 'ARRAY' ? { arrayIndex: sd.value.index } : {}),
        };
        checkPolicy({ ...base, signer, role: 'value' });
        const validate = validators.get(kd.kind);
        if (validate) {
          try {
            validate({ resourceId: resource, kind, value: sd.value, signer, resourceIdOf });
          } catch (e) {
            if (isReloadError(e) && typeof e.code === 'number') throw e;
            throw new ReloadError(ErrorCode.InvalidMessage, 'value refused by the Kind', {
              cause: e,
            });
          }
        }
        // RFC 6940 §7.3: for non-replica stores the StoreReq signer must conform too.
        if (!replica && ctx !== undefined)
          checkPolicy({ ...base, signer: ctx.requestSigner, role: 'request' });
        entries.push({
          data: copyStoredData(sd),
          // §7.1: a value is not kept beyond its signing certificate's validity.
          expiresAt: Math.min(t + sd.lifetime * 1000, signer.notAfter ?? Infinity),
          certificates: signer.certificates.map((c) => ({
            type: c.type,
            certificate: c.certificate.slice(),
          })),
        });
      }
      verified.push({ kd, kind, entries });
    }

    return withLock(resource, async () => {
      const t2 = now();
      const olds = new Map<number, KindRecord | undefined>();
      for (const { kd } of verified) olds.set(kd.kind, await load(resource, kd.kind));

      // Generation counters (§7.4.1.1/§7.4.1.2): original stores with a non-zero counter must
      // match; otherwise fail the whole request with the current counters as error_info.
      if (!replica) {
        const mismatch = verified.some(({ kd }) => {
          const cur = olds.get(kd.kind)?.generation ?? 0n;
          return kd.generationCounter !== 0n && kd.generationCounter !== cur;
        });
        if (mismatch) {
          const info: StoreAns = {
            kindResponses: verified.map(({ kd }) => ({
              kind: kd.kind,
              generationCounter: olds.get(kd.kind)?.generation ?? 0n,
              replicas: [],
            })),
          };
          throw new ReloadError(
            ErrorCode.GenerationCounterTooLow,
            'generation counter does not match the stored one',
            { info: encodeToBytes(storeAnsCodec(nodeIdLength), info) },
          );
        }
      }

      const ops: { key: Uint8Array; rec: KindRecord }[] = [];
      let delta = 0;
      const answers: StoreAns['kindResponses'] = [];
      for (const { kd, kind, entries } of verified) {
        const old = olds.get(kd.kind);
        const oldSize = old ? recordSize(old) : 0;
        // A record of another data model (the Kind changed with a new configuration) holds
        // values that can no longer be interpreted: they are replaced, the counter kept.
        const rec: KindRecord =
          old && old.model === kind.dataModel
            ? live(old, t2)
            : { model: kind.dataModel, generation: old?.generation ?? 0n, entries: [] };
        let changed = rec.entries.length !== (old?.entries.length ?? 0);
        for (const entry of entries) {
          let value = entry.data.value;
          if (value.model === 'ARRAY' && value.index === ARRAY_APPEND) {
            // RFC 6940 §7.4.1.1: append at the end, whatever the length.
            const last = rec.entries.length
              ? indexOf(rec.entries[rec.entries.length - 1].data.value)
              : -1;
            value = { model: 'ARRAY', index: last + 1, value: value.value };
          }
          if (value.model === 'ARRAY' && value.index >= kind.maxCount)
            throw tooLarge(`array index ${value.index} is beyond max-count ${kind.maxCount}`);
          const stored: StoredEntry = { ...entry, data: { ...entry.data, value } };
          const at = findEntry(rec, value);
          if (at >= 0) {
            const cur = rec.entries[at].data;
            // RFC 6940 §7: a storage_time before the stored one is Error_Data_Too_Old; equal
            // times are only accepted for the very same value (docs/decisions/0402).
            if (entry.data.storageTime < cur.storageTime)
              throw tooOld('storage_time is older than that of the stored value');
            if (entry.data.storageTime === cur.storageTime) {
              if (!sameStoredData(cur, stored.data))
                throw tooOld('storage_time equals that of a different stored value');
              rec.entries[at] = {
                ...stored,
                expiresAt: Math.max(stored.expiresAt, rec.entries[at].expiresAt),
              };
              continue;
            }
            rec.entries[at] = stored;
          } else {
            rec.entries.push(stored);
            sortEntries(rec);
          }
          changed = true;
        }
        if (rec.entries.length > kind.maxCount)
          throw tooLarge(`${rec.entries.length} values exceed max-count ${kind.maxCount}`);
        // §7.4.1.1: replicas take the sender's counter; original stores that change data
        // increase it by one per Kind.
        if (replica) rec.generation = kd.generationCounter;
        else if (changed) rec.generation += 1n;
        delta += recordSize(rec) - oldSize;
        ops.push({ key: recordKey(resource, kd.kind), rec });
        answers.push({
          kind: kd.kind,
          generationCounter: rec.generation,
          replicas: (ctx?.replicas ?? []).map((r) => r.slice()),
        });
      }
      if (delta > 0 && bytes + delta > quota)
        // docs/decisions/0408: the per-peer quota answers Error_Data_Too_Large.
        throw tooLarge(
          `storage quota of ${quota} bytes reached (holding ${bytes}, need ${delta} more)`,
        );
      const batch = ops.map(({ key, rec }) =>
        rec.entries.length === 0
          ? { type: 'del' as const, key }
          : { type: 'put' as const, key, value: encodeRecord(rec) },
      );
      // Reserve the bytes before the write so concurrent stores to other resources cannot
      // overshoot the quota together.
      bytes += delta;
      try {
        await backend.batch(batch);
      } catch (e) {
        bytes -= delta;
        throw e;
      }
      return { kindResponses: answers };
    });
  }

  /** Resolves specifiers: unknown Kinds, duplicates, model mismatches. */
  function checkSpecifiers(specs: readonly StoredDataSpecifier[]): KindDefinition[] {
    const unknown = specs
      .filter((s) => s.model === null || kinds.get(s.kind) === undefined)
      .map((s) => s.kind);
    if (unknown.length > 0) throw unknownKindError(unknown);
    const seen = new Set<number>();
    return specs.map((s) => {
      if (seen.has(s.kind)) throw invalidMsg(`Kind 0x${s.kind.toString(16)} appears twice`);
      seen.add(s.kind);
      const kind = kindOf(s.kind);
      if (s.model !== kind.dataModel)
        throw invalidMsg(`specifier model ${s.model} for ${kind.dataModel} Kind`);
      if (s.model === 'ARRAY') {
        const sorted = [...s.indices].sort((a, b) => a.first - b.first);
        sorted.forEach((r, i) => {
          // RFC 6940 §7.4.2.1: first ≤ last; ranges MUST NOT overlap.
          if (r.first > r.last) throw invalidMsg(`ArrayRange first ${r.first} > last ${r.last}`);
          if (i > 0 && r.first <= sorted[i - 1].last) throw invalidMsg('ArrayRanges overlap');
        });
      }
      return kind;
    });
  }

  /**
   * The values a specifier selects (§7.4.2.2), or [] when the requester's generation is
   * current. Nonexistent ones are synthesized with `entry: undefined`.
   */
  async function select(
    resource: Uint8Array,
    spec: StoredDataSpecifier,
    kind: KindDefinition,
    t: number,
  ): Promise<{ generation: bigint; items: { value: StoredDataValue; entry?: StoredEntry }[] }> {
    const stored = await load(resource, spec.kind);
    const rec = stored && stored.model === kind.dataModel ? live(stored, t) : undefined;
    const generation = rec?.generation ?? 0n;
    if (spec.generation !== 0n && spec.generation === generation) return { generation, items: [] };
    const entries = rec?.entries ?? [];
    const items: { value: StoredDataValue; entry?: StoredEntry }[] = [];
    switch (spec.model) {
      case 'SINGLE':
        if (entries.length > 0) items.push({ value: entries[0].data.value, entry: entries[0] });
        else items.push({ value: { model: 'SINGLE', value: nonexistentDataValue() } });
        break;
      case 'ARRAY': {
        const byIndex = new Map(entries.map((e) => [indexOf(e.data.value), e]));
        const length = entries.length ? indexOf(entries[entries.length - 1].data.value) + 1 : 0;
        for (const r of [...spec.indices].sort((a, b) => a.first - b.first)) {
          // docs/decisions/0403: ranges are clipped to the array's length; 0xffffffff = last.
          const last = r.last === ARRAY_LAST ? length - 1 : Math.min(r.last, length - 1);
          for (let i = r.first; i <= last; i++) {
            const e = byIndex.get(i);
            items.push(
              e
                ? { value: e.data.value, entry: e }
                : { value: { model: 'ARRAY', index: i, value: nonexistentDataValue() } },
            );
          }
        }
        break;
      }
      case 'DICTIONARY':
        if (spec.keys.length === 0) {
          for (const e of entries) items.push({ value: e.data.value, entry: e });
        } else {
          for (const key of spec.keys) {
            const e = entries.find(
              (x) => x.data.value.model === 'DICTIONARY' && bytesEqual(x.data.value.key, key),
            );
            items.push(
              e
                ? { value: e.data.value, entry: e }
                : {
                    value: { model: 'DICTIONARY', key: key.slice(), value: nonexistentDataValue() },
                  },
            );
          }
        }
        break;
      case null:
        throw unknownKindError([spec.kind]);
    }
    return { generation, items };
  }

  function addCerts(into: Map<string, GenericCertificate>, e: StoredEntry): void {
    for (const c of e.certificates) {
      const b = c.certificate;
      into.set(
        `${c.type}:${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')}`,
        c,
      );
    }
  }

  function metaOf(
    item: { value: StoredDataValue; entry?: StoredEntry },
    t: number,
  ): StoredMetaData {
    const dv = item.value.value;
    let hashAlgorithm = 0;
    let hashValue: Uint8Array = new Uint8Array(0);
    if (item.entry) {
      // RFC 6940 §7.4.3.2: digest of the DataValue's value including its 4 length bytes.
      const len = Buffer.alloc(4);
      len.writeUInt32BE(dv.value.length);
      hashAlgorithm = STAT_HASH_ALGORITHM;
      hashValue = new Uint8Array(createHash('sha256').update(len).update(dv.value).digest());
    }
    const meta = { exists: dv.exists, valueLength: dv.value.length, hashAlgorithm, hashValue };
    let metadata: MetaDataValue;
    switch (item.value.model) {
      case 'SINGLE':
        metadata = { model: 'SINGLE', value: meta };
        break;
      case 'ARRAY':
        metadata = { model: 'ARRAY', index: item.value.index, value: meta };
        break;
      case 'DICTIONARY':
        metadata = { model: 'DICTIONARY', key: item.value.key, value: meta };
        break;
    }
    const data = item.entry ? outgoing(item.entry, t) : synthetic(item.value);
    return {
      // docs/decisions/0157 (wire): the framing length of this StoredMetaData, i.e. the
      // bytes after the field; the value's own length is MetaData.value_length.
      valueLength: 8 + 4 + metaDataValueCodec(metadata.model).encodedLength(metadata),
      storageTime: data.storageTime,
      lifetime: data.lifetime,
      metadata,
    };
  }

  async function resourceList(): Promise<Map<string, Uint8Array>> {
    const t = now();
    const out = new Map<string, Uint8Array>();
    for await (const [k, v] of backend.entries(ALL_RECORDS)) {
      const { resource } = parseRecordKey(k);
      if (live(decodeRecord(v), t).entries.length > 0) out.set(hex(resource), resource);
    }
    return out;
  }

  const storage: Storage = {
    store: (req, ctx) => doStore(req, ctx, req.replicaNumber > 0),

    async fetch(req) {
      const t = now();
      const defs = checkSpecifiers(req.specifiers);
      const certs = new Map<string, GenericCertificate>();
      const kindResponses: FetchKindResponse[] = [];
      for (let i = 0; i < req.specifiers.length; i++) {
        const spec = req.specifiers[i];
        const { generation, items } = await select(req.resource, spec, defs[i], t);
        const values = items.map((it) => {
          if (!it.entry) return synthetic(it.value);
          addCerts(certs, it.entry);
          return outgoing(it.entry, t);
        });
        kindResponses.push({ kind: spec.kind, generation, values });
      }
      return { answer: { kindResponses }, certificates: [...certs.values()] };
    },

    async stat(req) {
      const t = now();
      const defs = checkSpecifiers(req.specifiers);
      const kindResponses: StatKindResponse[] = [];
      for (let i = 0; i < req.specifiers.length; i++) {
        const spec = req.specifiers[i];
        const { generation, items } = await select(req.resource, spec, defs[i], t);
        kindResponses.push({
          kind: spec.kind,
          generation,
          values: items.map((it) => metaOf(it, t)),
        });
      }
      return { kindResponses };
    },

    async find(req) {
      const seen = new Set<number>();
      for (const k of req.kinds) {
        // RFC 6940 §7.4.4.1: "Each value MUST appear only once."
        if (seen.has(k)) throw invalidMsg(`Kind 0x${k.toString(16)} appears twice in FindReq`);
        seen.add(k);
      }
      const t = now();
      const wanted = new Set(
        req.kinds.filter((k) => kinds.get(k)?.findable !== false && kinds.get(k)),
      );
      const byKind = new Map<number, Uint8Array[]>();
      if (wanted.size > 0) {
        for await (const [k, v] of backend.entries(ALL_RECORDS)) {
          const { resource, kind } = parseRecordKey(k);
          if (!wanted.has(kind)) continue;
          if (live(decodeRecord(v), t).entries.length === 0) continue;
          const list = byKind.get(kind) ?? [];
          list.push(resource);
          byKind.set(kind, list);
        }
      }
      const results: FindKindData[] = [];
      const zero = new Uint8Array(req.resource.length);
      for (const k of req.kinds) {
        const def = kinds.get(k);
        if (def === undefined) {
          results.push({ kind: k, closest: zero });
          continue;
        }
        if (def.findable === false) continue;
        const list = (byKind.get(k) ?? []).sort(compareBytes);
        // docs/decisions/0405: first Resource-ID at or after the target, wrapping round.
        const after = list.find((r) => compareBytes(r, req.resource) >= 0);
        results.push({ kind: k, closest: after ?? list[0] ?? zero });
      }
      return { results };
    },

    modelOf: (kind) => kinds.dataModelOf(kind),

    async resourcesInRange(from, to) {
      const all = [...(await resourceList()).values()].sort(compareBytes);
      const whole = bytesEqual(from, to);
      return all.filter((r) => {
        if (whole) return true;
        const afterFrom = compareBytes(r, from) > 0;
        const upToTo = compareBytes(r, to) <= 0;
        return compareBytes(from, to) < 0 ? afterFrom && upToTo : afterFrom || upToTo;
      });
    },

    async exportResource(resource, replicaNumber) {
      const t = now();
      const certs = new Map<string, GenericCertificate>();
      const kindData: StoreKindData[] = [];
      for await (const [k, v] of backend.entries(resourceKeyRange(resource))) {
        const { kind } = parseRecordKey(k);
        const rec = live(decodeRecord(v), t);
        if (rec.entries.length === 0) continue;
        for (const e of rec.entries) addCerts(certs, e);
        kindData.push({
          kind,
          generationCounter: rec.generation,
          values: rec.entries.map((e) => outgoing(e, t)),
        });
      }
      if (kindData.length === 0) return undefined;
      return {
        request: { resource: resource.slice(), replicaNumber, kindData },
        certificates: [...certs.values()],
      };
    },

    async importResource(exported) {
      const req = {
        ...exported.request,
        replicaNumber: Math.max(1, exported.request.replicaNumber),
      };
      return doStore(req, undefined, true, exported.certificates);
    },

    async deleteResource(resource) {
      await withLock(resource, async () => {
        const ops: { type: 'del'; key: Uint8Array }[] = [];
        let freed = 0;
        for await (const [k, v] of backend.entries(resourceKeyRange(resource))) {
          freed += recordSize(decodeRecord(v));
          ops.push({ type: 'del', key: k.slice() });
        }
        await backend.batch(ops);
        bytes -= freed;
      });
    },

    async purgeExpired() {
      const t = now();
      const keys: Uint8Array[] = [];
      for await (const [k, v] of backend.entries(ALL_RECORDS)) {
        const rec = decodeRecord(v);
        if (rec.entries.some((e) => e.expiresAt <= t)) keys.push(k.slice());
      }
      let removed = 0;
      for (const k of keys) {
        const { resource } = parseRecordKey(k);
        await withLock(resource, async () => {
          const raw = await backend.get(k);
          if (raw === undefined) return;
          const rec = decodeRecord(raw);
          const kept = live(rec, now());
          const n = rec.entries.length - kept.entries.length;
          if (n === 0) return;
          removed += n;
          // An emptied record is deleted: its generation counter restarts at 1 on the next
          // store, which readers cannot tell apart from a first store (docs/decisions/0401).
          await backend.batch([
            kept.entries.length === 0
              ? { type: 'del', key: k }
              : { type: 'put', key: k, value: encodeRecord(kept) },
          ]);
          bytes -= recordSize(rec) - recordSize(kept);
        });
      }
      return removed;
    },

    usage: () => ({ bytes, quotaBytes: quota }),

    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await purging;
      await backend.close();
    },
  };
  let timer: NodeJS.Timeout | undefined;
  let purging: Promise<unknown> = Promise.resolve();
  if (options.purgeIntervalMs !== undefined && options.purgeIntervalMs > 0) {
    timer = setInterval(() => {
      purging = purging
        .then(() => storage.purgeExpired())
        .catch((e: unknown) => options.onPurgeError?.(e));
    }, options.purgeIntervalMs);
    timer.unref();
  }
  return storage;
}
