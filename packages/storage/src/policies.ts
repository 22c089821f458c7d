/**
 * Access-control policies (RFC 6940 §7.3, registry §14.4) as a registry of named checks, so
 * that later policies (scripted ones, VIPR, RFC 7374 NODE-ID-MATCH …) can be registered.
 *
 * A policy decides whether one signer may write one value of one Kind at one Resource-ID. The
 * engine asks it twice for an original store — for the signer of each StoredData and for the
 * signer of the StoreReq — and once (StoredData signer only) for a replica store (§7.3,
 * §7.4.1.1).
 */
import { bytesEqual, ReloadError } from '@reload/wire';
import type { KindDefinition } from './kinds.js';

/**
 * The identity a signature was verified against, abstracted from its certificate (§6.3.4,
 * §11.3): what the policies look at.
 */
export interface SignerInfo {
  /** User names in the certificate (e.g. `alice@example.org`). */
  readonly usernames: readonly string[];
  /** Every Node-ID the certificate carries. */
  readonly nodeIds: readonly Uint8Array[];
  /**
   * The Node-ID "indicated in the SignerIdentity" (§7.3.2): for `cert_hash_node_id` the
   * Node-ID that was hashed with the certificate; for `cert_hash` the certificate's only
   * Node-ID. Undefined when no single Node-ID is indicated (a `cert_hash` over a
   * certificate with several Node-IDs, which §6.3.4 forbids).
   */
  readonly nodeId?: Uint8Array;
}

/** Everything a policy may look at for one decision. */
export interface AccessRequest {
  /** Resource-ID being written. */
  readonly resourceId: Uint8Array;
  /** The Kind being written. */
  readonly kind: KindDefinition;
  /** Dictionary key of the value (DICTIONARY Kinds only). */
  readonly dictionaryKey?: Uint8Array;
  /** Array index of the value as sent (ARRAY Kinds only; 0xffffffff = append). */
  readonly arrayIndex?: number;
  /** The value bytes (`DataValue.value`) and its `exists` flag. */
  readonly exists: boolean;
  readonly value: Uint8Array;
  /** The signer under test. */
  readonly signer: SignerInfo;
  /** Whose signature this is: the StoredData's, or the StoreReq message's. */
  readonly role: 'value' | 'request';
  /**
   * The overlay's hash from a Resource Name to a Resource-ID (§6.3.1.1, for CHORD-RELOAD
   * SHA-1 truncated to the Resource-ID length, §10.2).
   */
  readonly resourceIdOf: (name: Uint8Array) => Uint8Array;
}

/** A named access-control policy. */
export interface AccessPolicy {
  /** Name as used in configuration documents, e.g. `USER-MATCH`. */
  readonly name: string;
  /**
   * Optional check of a Kind definition using this policy (e.g. USER-NODE-MATCH needs a
   * DICTIONARY); throws ReloadError('KIND_INVALID') when the Kind cannot use it.
   */
  validateKind?(kind: KindDefinition): void;
  /** True when the write is allowed. Must not throw for any input. */
  check(req: AccessRequest): boolean;
}

const utf8 = new TextEncoder();

/** The Node-ID indicated by a signer's identity (see {@link SignerInfo.nodeId}). */
export function indicatedNodeId(signer: SignerInfo): Uint8Array | undefined {
  if (signer.nodeId !== undefined) {
    // The indicated Node-ID must be one the certificate actually carries.
    return signer.nodeIds.some((n) => bytesEqual(n, signer.nodeId!)) ? signer.nodeId : undefined;
  }
  return signer.nodeIds.length === 1 ? signer.nodeIds[0] : undefined;
}

function userMatches(req: AccessRequest): boolean {
  return req.signer.usernames.some((u) =>
    bytesEqual(req.resourceIdOf(utf8.encode(u)), req.resourceId),
  );
}

/** RFC 6940 §7.3.1 USER-MATCH: a user name in the certificate hashes to the Resource-ID. */
export const USER_MATCH: AccessPolicy = {
  name: 'USER-MATCH',
  check: userMatches,
};

/**
 * RFC 6940 §7.3.2 NODE-MATCH: the certificate has a Node-ID hashing to the Resource-ID and
 * that Node-ID is the one indicated in the SignerIdentity.
 */
export const NODE_MATCH: AccessPolicy = {
  name: 'NODE-MATCH',
  check(req) {
    const id = indicatedNodeId(req.signer);
    return id !== undefined && bytesEqual(req.resourceIdOf(id), req.resourceId);
  },
};

/**
 * RFC 6940 §7.3.3 USER-NODE-MATCH (DICTIONARY only): a user name hashes to the Resource-ID,
 * and the dictionary key equals the Node-ID indicated in the SignerIdentity.
 */
export const USER_NODE_MATCH: AccessPolicy = {
  name: 'USER-NODE-MATCH',
  validateKind(kind) {
    if (kind.dataModel !== 'DICTIONARY')
      throw new ReloadError('KIND_INVALID', 'USER-NODE-MATCH may be used only with DICTIONARY');
  },
  check(req) {
    if (req.kind.dataModel !== 'DICTIONARY' || req.dictionaryKey === undefined) return false;
    const id = indicatedNodeId(req.signer);
    return id !== undefined && bytesEqual(req.dictionaryKey, id) && userMatches(req);
  },
};

/**
 * The Resource Name `Node-ID || i` of NODE-MULTIPLE (§7.3.4) and of TURN-SERVICE (§9): the raw
 * Node-ID bytes followed by i as one byte (docs/decisions/0400).
 */
export function nodeMultipleName(nodeId: Uint8Array, i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i > 255)
    throw new ReloadError('NODE_MULTIPLE_RANGE', `i = ${i} does not fit one byte`);
  const out = new Uint8Array(nodeId.length + 1);
  out.set(nodeId, 0);
  out[nodeId.length] = i;
  return out;
}

/**
 * RFC 6940 §7.3.4 NODE-MULTIPLE: H(Node-ID || i) equals the Resource-ID for some i in
 * 1..max-node-multiple, the Node-ID being the one indicated in the SignerIdentity. The
 * verifier iterates over i since i is not on the wire.
 */
export const NODE_MULTIPLE: AccessPolicy = {
  name: 'NODE-MULTIPLE',
  validateKind(kind) {
    const m = kind.maxNodeMultiple;
    if (m === undefined || !Number.isInteger(m) || m < 1 || m > 255)
      throw new ReloadError('KIND_INVALID', 'NODE-MULTIPLE needs max-node-multiple in 1..255');
  },
  check(req) {
    const id = indicatedNodeId(req.signer);
    const max = req.kind.maxNodeMultiple ?? 0;
    if (id === undefined || !Number.isInteger(max) || max < 1 || max > 255) return false;
    for (let i = 1; i <= max; i++) {
      if (bytesEqual(req.resourceIdOf(nodeMultipleName(id, i)), req.resourceId)) return true;
    }
    return false;
  },
};

/** The policies of RFC 6940 §7.3. EXP-MATCH is not registered (experimental only, §14.4). */
export const BASE_POLICIES: readonly AccessPolicy[] = [
  USER_MATCH,
  NODE_MATCH,
  USER_NODE_MATCH,
  NODE_MULTIPLE,
];

/** Named policies; later issues register more (scripted, VIPR). */
export interface PolicyRegistry {
  /** The policy with this name, or undefined. */
  get(name: string): AccessPolicy | undefined;
  /** True when a policy with this name is registered. */
  has(name: string): boolean;
  /**
   * Adds a policy.
   * @throws ReloadError('POLICY_EXISTS') when the name is taken (unless `replace`).
   */
  register(policy: AccessPolicy, replace?: boolean): void;
  /** Registered names. */
  names(): string[];
}

/** Creates a registry preloaded with {@link BASE_POLICIES} (and `extra`). */
export function createPolicyRegistry(extra: readonly AccessPolicy[] = []): PolicyRegistry {
  const map = new Map<string, AccessPolicy>();
  const reg: PolicyRegistry = {
    get: (n) => map.get(n),
    has: (n) => map.has(n),
    register(p, replace = false) {
      if (map.has(p.name) && !replace)
        throw new ReloadError('POLICY_EXISTS', `access-control policy ${p.name} already exists`);
      map.set(p.name, p);
    },
    names: () => [...map.keys()],
  };
  for (const p of BASE_POLICIES) reg.register(p);
  for (const p of extra) reg.register(p, true);
  return reg;
}
