/**
 * Kind registry (RFC 6940 §5.1, §7.4.5, §11.1 `<kind>`): which Kinds this peer stores, with
 * their data model, access-control policy and limits. Built from configuration-like input and
 * replaced wholesale when a new configuration arrives (`update`).
 *
 * IANA-registered Kinds (§14.6) referenced by name take their data model and policy from the
 * registration, not from the configuration ("clients MUST ignore them in favor of the IANA
 * versions", §11.1); max-count / max-size / max-node-multiple come from the configuration.
 */
import { encodeToBytes, ErrorCode, ReloadError, UnknownKindsCodec } from '@reload/wire';

/**
 * Data model names as they appear in configuration documents (§7.2, §14.7); the same strings
 * tag StoredDataValue in @reload/wire.
 */
export type DataModelName = 'SINGLE' | 'ARRAY' | 'DICTIONARY';

/** One Kind as the storage engine needs it (the `<kind>` element of §11.1, resolved). */
export interface KindDefinition {
  /** Kind-ID (uint32, §14.6). */
  readonly id: number;
  /** IANA name (`CERTIFICATE_BY_NODE`) when the Kind is registered; informative otherwise. */
  readonly name?: string;
  /** Data model (§7.2). */
  readonly dataModel: DataModelName;
  /** Access-control policy name (§7.3, §14.4), looked up in the policy registry. */
  readonly accessControl: string;
  /** `max-count`: most values stored per Resource-ID for this Kind (§11.1). */
  readonly maxCount: number;
  /** `max-size`: largest `DataValue.value` in bytes (§11.1). */
  readonly maxSize: number;
  /** `max-node-multiple`: largest i for NODE-MULTIPLE (§7.3.4); required for that policy. */
  readonly maxNodeMultiple?: number;
  /** False when this Kind may not be used with Find (§7.4.4.2). Default true. */
  readonly findable?: boolean;
}

/**
 * Configuration input for one Kind: either `id` (private Kind-ID, §11.1) or `name` (an IANA
 * name this registry knows), plus the limits. `dataModel`/`accessControl` are required for
 * private Kinds and ignored for IANA Kinds.
 */
export interface KindConfig {
  id?: number;
  name?: string;
  dataModel?: string;
  accessControl?: string;
  maxCount: number;
  maxSize: number;
  maxNodeMultiple?: number;
  findable?: boolean;
}

/** An IANA Kind registration known to this implementation (§14.6 and usage RFCs). */
export interface IanaKind {
  readonly id: number;
  readonly name: string;
  readonly dataModel: DataModelName;
  readonly accessControl: string;
  /** Where the Kind is defined. */
  readonly reference: string;
}

/**
 * IANA Kinds whose definitions this package knows, by name (RFC 6940 §8, §9, §14.6, RFC 7904
 * §7). Note: TURN-SERVICE is SINGLE ("stores a single value for each Resource-ID", §9).
 */
export const IANA_KINDS: ReadonlyMap<string, IanaKind> = new Map(
  (
    [
      {
        id: 0x2,
        name: 'TURN-SERVICE',
        dataModel: 'SINGLE',
        accessControl: 'NODE-MULTIPLE',
        reference: 'RFC 6940 §9',
      },
      {
        id: 0x3,
        name: 'CERTIFICATE_BY_NODE',
        dataModel: 'ARRAY',
        accessControl: 'NODE-MATCH',
        reference: 'RFC 6940 §8',
      },
      {
        id: 0x10,
        name: 'CERTIFICATE_BY_USER',
        dataModel: 'ARRAY',
        accessControl: 'USER-MATCH',
        reference: 'RFC 6940 §8',
      },
      {
        id: 0x1,
        name: 'SIP-REGISTRATION',
        dataModel: 'DICTIONARY',
        accessControl: 'USER-NODE-MATCH',
        reference: 'RFC 7904 §7',
      },
    ] satisfies IanaKind[]
  ).map((k) => [k.name, k]),
);

/** TURN-SERVICE maximum iteration (RFC 6940 §9: "NODE-MULTIPLE, with a maximum iteration of counter 20"). */
export const TURN_SERVICE_MAX_NODE_MULTIPLE = 20;

/**
 * The base-spec usages (§8, §9) as built-in Kinds, present even when the configuration does
 * not list them; limits are our defaults (docs/decisions/0406), overridable by configuration.
 */
export const BUILTIN_KINDS: readonly KindDefinition[] = [
  {
    id: 0x3,
    name: 'CERTIFICATE_BY_NODE',
    dataModel: 'ARRAY',
    accessControl: 'NODE-MATCH',
    maxCount: 8,
    maxSize: 16384,
  },
  {
    id: 0x10,
    name: 'CERTIFICATE_BY_USER',
    dataModel: 'ARRAY',
    accessControl: 'USER-MATCH',
    maxCount: 8,
    maxSize: 16384,
  },
  {
    id: 0x2,
    name: 'TURN-SERVICE',
    dataModel: 'SINGLE',
    accessControl: 'NODE-MULTIPLE',
    maxCount: 1,
    maxSize: 64,
    maxNodeMultiple: TURN_SERVICE_MAX_NODE_MULTIPLE,
  },
];

/** Options of {@link createKindRegistry}. */
export interface KindRegistryOptions {
  /** Include {@link BUILTIN_KINDS} (default true). */
  builtins?: boolean;
  /**
   * Checks a policy name when a Kind is defined (the policy registry's `has`); unknown
   * policies make the definition invalid. Omit to accept any name.
   */
  policyExists?: (name: string) => boolean;
  /**
   * When given, an invalid or unsupported `<kind>` (unknown IANA name, extension data model,
   * unknown policy …) is left out and reported here instead of failing the whole update:
   * requests for it are then answered Error_Unknown_Kind. Without it, `update` throws.
   */
  onInvalidKind?: (error: ReloadError, config: KindConfig) => void;
}

/** Kinds by id and by name; replaceable as configurations change. */
export interface KindRegistry {
  /** The Kind with this id, or undefined. */
  get(id: number): KindDefinition | undefined;
  /** The Kind with this IANA name, or undefined. */
  byName(name: string): KindDefinition | undefined;
  /**
   * The Kind with this id.
   * @throws ReloadError(Error_Unknown_Kind) when unknown.
   */
  require(id: number): KindDefinition;
  /** Data model of a Kind (for wire decoding of StoredDataValue), undefined when unknown. */
  dataModelOf(id: number): DataModelName | undefined;
  /** All Kinds, in id order. */
  list(): KindDefinition[];
  /**
   * Replaces the configuration-defined Kinds (built-ins stay unless overridden). Accepts
   * `<kind>` objects of @reload/config as they are. Atomic: when an entry is invalid (and no
   * `onInvalidKind` is set) nothing changes.
   * @throws ReloadError('KIND_INVALID') naming the offending Kind.
   */
  update(configs: readonly KindConfig[]): void;
}

function invalid(what: string, why: string): ReloadError {
  return new ReloadError('KIND_INVALID', `kind ${what}: ${why}`);
}

function positiveInt(v: unknown, max = 0xffffffff): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max;
}

function nonNegativeInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/**
 * Resolves one configuration `<kind>` into a {@link KindDefinition}.
 * @throws ReloadError('KIND_INVALID') for unknown names, bad ids, missing elements, a data
 * model or policy that is not known, or NODE-MULTIPLE without max-node-multiple.
 */
export function resolveKind(
  cfg: KindConfig,
  policyExists: (name: string) => boolean = () => true,
): KindDefinition {
  let id: number;
  let name: string | undefined;
  let dataModel: string | undefined;
  let accessControl: string | undefined;
  if (cfg.name !== undefined) {
    const iana = IANA_KINDS.get(cfg.name);
    if (!iana) throw invalid(cfg.name, 'name is not a known IANA Kind (use id= for private Kinds)');
    if (cfg.id !== undefined && cfg.id !== iana.id)
      throw invalid(cfg.name, `id ${cfg.id} contradicts the IANA Kind-ID ${iana.id}`);
    // RFC 6940 §11.1: IANA data model and policy win over the configuration's.
    ({ id, name, dataModel, accessControl } = iana);
  } else if (cfg.id !== undefined) {
    id = cfg.id;
    dataModel = cfg.dataModel;
    accessControl = cfg.accessControl;
    if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff || id === 0x7fffffff)
      throw invalid(String(id), 'Kind-ID must be a uint32 other than 0 and 0x7fffffff');
    if (id === 0xffffffff) throw invalid(String(id), 'Kind-ID 0xffffffff is outside the registry');
    // A non-private id given numerically is accepted too (an IANA Kind this code does not
    // know by name); it then needs its model and policy from the configuration.
  } else {
    throw invalid('(anonymous)', 'needs an id or a name attribute');
  }
  const label = name ?? `0x${id.toString(16)}`;
  if (dataModel !== 'SINGLE' && dataModel !== 'ARRAY' && dataModel !== 'DICTIONARY')
    throw invalid(label, `unsupported data model ${String(dataModel)}`);
  if (accessControl === undefined || accessControl === '')
    throw invalid(label, 'missing access-control');
  if (!policyExists(accessControl)) throw invalid(label, `unknown access-control ${accessControl}`);
  // 0 is allowed (the configuration grammar allows it): such a Kind stores nothing.
  if (!nonNegativeInt(cfg.maxCount)) throw invalid(label, 'max-count must be an integer ≥ 0');
  if (!nonNegativeInt(cfg.maxSize)) throw invalid(label, 'max-size must be an integer ≥ 0');
  if (accessControl === 'USER-NODE-MATCH' && dataModel !== 'DICTIONARY')
    // RFC 6940 §7.3.3: "may be used only with dictionary types".
    throw invalid(label, 'USER-NODE-MATCH may be used only with DICTIONARY');
  let maxNodeMultiple = cfg.maxNodeMultiple;
  if (accessControl === 'NODE-MULTIPLE') {
    if (maxNodeMultiple === undefined && id === 0x2)
      maxNodeMultiple = TURN_SERVICE_MAX_NODE_MULTIPLE;
    // RFC 6940 §11.1: "MUST be included … an integer greater than 0"; we encode i in one
    // byte (docs/decisions/0400), hence ≤ 255.
    if (!positiveInt(maxNodeMultiple, 255))
      throw invalid(label, 'NODE-MULTIPLE needs max-node-multiple in 1..255');
  }
  const def: KindDefinition = {
    id,
    dataModel,
    accessControl,
    maxCount: cfg.maxCount,
    maxSize: cfg.maxSize,
    ...(name !== undefined ? { name } : {}),
    ...(maxNodeMultiple !== undefined ? { maxNodeMultiple } : {}),
    ...(cfg.findable !== undefined ? { findable: cfg.findable } : {}),
  };
  return def;
}

/**
 * Creates a {@link KindRegistry} holding the built-in Kinds (unless disabled) and `configs`.
 * @throws ReloadError('KIND_INVALID') when a configuration entry is invalid.
 */
export function createKindRegistry(
  configs: readonly KindConfig[] = [],
  options: KindRegistryOptions = {},
): KindRegistry {
  const policyExists = options.policyExists ?? (() => true);
  const builtins = options.builtins ?? true;
  let byId = new Map<number, KindDefinition>();
  let byName = new Map<string, KindDefinition>();

  const build = (list: readonly KindConfig[]): void => {
    const ids = new Map<number, KindDefinition>();
    if (builtins) for (const k of BUILTIN_KINDS) ids.set(k.id, k);
    const seen = new Set<number>();
    for (const cfg of list) {
      let def: KindDefinition;
      try {
        def = resolveKind(cfg, policyExists);
      } catch (e) {
        if (options.onInvalidKind && e instanceof ReloadError) {
          options.onInvalidKind(e, cfg);
          continue;
        }
        throw e;
      }
      if (seen.has(def.id)) throw invalid(def.name ?? String(def.id), 'defined twice');
      seen.add(def.id);
      ids.set(def.id, def);
    }
    const names = new Map<string, KindDefinition>();
    for (const d of ids.values()) if (d.name !== undefined) names.set(d.name, d);
    byId = ids;
    byName = names;
  };
  build(configs);

  return {
    get: (id) => byId.get(id),
    byName: (name) => byName.get(name),
    require(id) {
      const k = byId.get(id);
      if (!k) throw unknownKindError([id]);
      return k;
    },
    dataModelOf: (id) => byId.get(id)?.dataModel,
    list: () => [...byId.values()].sort((a, b) => a.id - b.id),
    update: build,
  };
}

/**
 * `Error_Unknown_Kind` whose `info` is the RFC 6940 §7.4.1.2 error_info
 * `KindId unknown_kinds<0..2^8-1>` (at most 63 Kind-IDs fit; further ones are left out).
 */
export function unknownKindError(kinds: readonly number[]): ReloadError {
  const list = [...new Set(kinds)].slice(0, 63);
  const names = list.map((k) => `0x${k.toString(16)}`).join(', ');
  return new ReloadError(ErrorCode.UnknownKind, `unknown Kind-ID(s) ${names}`, {
    info: encodeToBytes(UnknownKindsCodec, list),
  });
}
