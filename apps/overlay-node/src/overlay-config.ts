/**
 * From a verified configuration document (RFC 6940 §11.1) to what the peer needs: the
 * PeerConfig parameters, the trust store (root-cert, bad-node, self-signed-permitted) and the
 * Kinds for the storage engine.
 */
import {
  type Configuration,
  type KindBlock,
  type KindDefinition as ConfigKind,
  type VerifiedConfiguration,
  type VerifyOptions,
  verifyConfiguration,
} from '@reload/config';
import type { PeerConfig } from '@reload/overlay';
import { type TrustStore, createTrustStore } from '@reload/security';
import { type KindConfig, type KindDefinition, resolveKind } from '@reload/storage';

/** A verified configuration plus the kinds this node accepts from it. */
export interface AcceptedConfiguration extends VerifiedConfiguration {
  /** Kind-blocks in force: signed ones, and unsigned ones covered by the configuration signature. */
  acceptedKinds: KindBlock[];
  /** Kind-blocks refused, with the reason (a kind-signature that does not verify). */
  refusedKinds: { kind: string; reason: string }[];
}

/**
 * Verifies a configuration document (§11.1) and decides which kind-blocks are in force.
 *
 * A kind-block whose `<kind-signature>` is present but does not verify is refused. A
 * kind-block without a kind-signature is accepted: it sits inside `<configuration>`, whose
 * signature (already verified) covers its bytes (docs/decisions/0500).
 *
 * @throws ReloadError from verifyConfiguration: 'CONFIG_INVALID', 'CONFIG_NOT_FOUND',
 *   'CONFIG_SIGNATURE_INVALID', 'CONFIG_SIGNER_NOT_AUTHORIZED', 'CONFIG_SEQUENCE', 'CONFIG_EXPIRED'.
 */
export function acceptConfiguration(
  input: string | Uint8Array,
  options: Omit<VerifyOptions, 'invalidKinds'> = {},
): AcceptedConfiguration {
  const v = verifyConfiguration(input, { ...options, invalidKinds: 'drop' });
  return withKinds(v);
}

/** Splits a verified configuration's rejected kinds into accepted (unsigned) and refused. */
export function withKinds(v: VerifiedConfiguration): AcceptedConfiguration {
  const acceptedKinds = [...v.kinds];
  const refusedKinds: { kind: string; reason: string }[] = [];
  for (const r of v.rejectedKinds) {
    if (r.block.signature === undefined) acceptedKinds.push(r.block);
    else refusedKinds.push({ kind: kindLabel(r.block.kind), reason: r.error.message });
  }
  return { ...v, acceptedKinds, refusedKinds };
}

/** `NAME` or the decimal Kind-ID of a configuration `<kind>`. */
export function kindLabel(k: ConfigKind): string {
  return k.name ?? String(k.id);
}

/** PeerConfig from a configuration (§11.1 parameters; seconds → ms for the chord intervals). */
export function peerConfigOf(c: Configuration): PeerConfig {
  return {
    overlay: c.instanceName,
    sequence: c.sequence,
    nodeIdLength: c.nodeIdLength,
    initialTtl: c.initialTtl,
    maxMessageSize: c.maxMessageSize,
    reliabilityTimerMs: c.overlayReliabilityTimer,
    chordUpdateIntervalMs: c.chord.updateInterval * 1000,
    chordPingIntervalMs: c.chord.pingInterval * 1000,
    chordReactive: c.chord.reactive,
  };
}

/** The trust store of an overlay: root-cert, bad-node, self-signed-permitted, node-id-length. */
export function trustStoreOf(c: Configuration): TrustStore {
  const digest = c.selfSignedPermitted?.digest === 'sha256' ? 'sha256' : 'sha1';
  return createTrustStore({
    rootCerts: c.rootCerts,
    badNodes: c.badNodes,
    selfSignedPermitted: c.selfSignedPermitted?.permitted ?? false,
    selfSignedDigest: digest,
    nodeIdLength: c.nodeIdLength,
    overlay: c.instanceName,
  });
}

/** The storage engine's KindConfig of a configuration `<kind>`. */
export function kindConfigOf(k: ConfigKind): KindConfig {
  return {
    ...(k.id !== undefined ? { id: k.id } : {}),
    ...(k.name !== undefined ? { name: k.name } : {}),
    dataModel: k.dataModel,
    accessControl: k.accessControl,
    maxCount: k.maxCount,
    maxSize: k.maxSize,
    ...(k.maxNodeMultiple !== undefined ? { maxNodeMultiple: k.maxNodeMultiple } : {}),
  };
}

/**
 * KindConfigs for the storage engine from accepted kind-blocks. Kinds the storage engine
 * cannot use (unknown IANA name, unknown data model or policy) are left out and reported.
 */
export function storageKinds(
  blocks: readonly KindBlock[],
  policyExists: (name: string) => boolean,
): { configs: KindConfig[]; skipped: { kind: string; reason: string }[] } {
  const configs: KindConfig[] = [];
  const skipped: { kind: string; reason: string }[] = [];
  for (const b of blocks) {
    const cfg = kindConfigOf(b.kind);
    try {
      resolveKind(cfg, policyExists);
      configs.push(cfg);
    } catch (e) {
      skipped.push({ kind: kindLabel(b.kind), reason: (e as Error).message });
    }
  }
  return { configs, skipped };
}

/**
 * Finds a Kind by name (IANA name, case-insensitive), by decimal or 0x-hex Kind-ID.
 * @returns undefined when no Kind matches.
 */
export function findKind(
  kinds: readonly KindDefinition[],
  spec: string,
): KindDefinition | undefined {
  const s = spec.trim();
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s.slice(2), 16) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isNaN(n)) return kinds.find((k) => k.id === n);
  return kinds.find((k) => k.name !== undefined && k.name.toLowerCase() === s.toLowerCase());
}
