/**
 * `reload-node run`: a RELOAD peer built from a data directory (RFC 6940 §6, §7, §10, §11):
 * configuration → PeerConfig, trust store and Kinds; TLS-TCP-FH-NO-ICE links; storage on
 * classic-level; join through bootstrap nodes (§11.4) or start a new overlay; configuration
 * re-fetched before it expires (§11.2) and ConfigUpdates (§6.5.4) applied; a local control
 * channel for `status`, `store`, `fetch` and `leave`.
 */
import { readFile } from 'node:fs/promises';
import { type Configuration } from '@reload/config';
import { type LinkAddress, createTlsTransport, trustStoreVerifier } from '@reload/link';
import {
  type FetchedValue,
  type Peer,
  type PeerStatus,
  type ValueInput,
  createPeer,
  fetchValues,
  storeValues,
} from '@reload/overlay';
import { fromPem, nodeIdFromHex, nodeIdToHex, privateKeyFrom, resourceId } from '@reload/security';
import {
  type KindDefinition,
  type KindRegistry,
  type Storage,
  createKindRegistry,
  createPolicyRegistry,
  openLevelBackend,
  openStorage,
  securityVerifier,
} from '@reload/storage';
import { type ConfigUpdateReq, ErrorCode, ReloadError } from '@reload/wire';
import { type ControlRequest, type ControlServer, startControlServer } from './control.js';
import {
  type DataPaths,
  type NodeInfo,
  dataPaths,
  readNodeInfo,
  writeFileAtomic,
} from './data-dir.js';
import { fetchConfiguration, readCaFile, readStoredConfiguration } from './enroll.js';
import {
  type AcceptedConfiguration,
  acceptConfiguration,
  findKind,
  peerConfigOf,
  storageKinds,
  trustStoreOf,
} from './overlay-config.js';

/** The logger `run` uses (pino-compatible). */
export interface NodeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): NodeLogger;
}

/** Options of {@link startNode}. */
export interface RunOptions {
  dataDir: string;
  /** Where to listen (default 127.0.0.1:6084). Port 0 picks a free port. */
  listen?: LinkAddress;
  /** Bootstrap nodes to join through (default: the configuration's bootstrap-node elements). */
  bootstrap?: LinkAddress[];
  /** Start a new overlay when no bootstrap node answers. */
  create?: boolean;
  logger: NodeLogger;
  /** Longest time between configuration re-fetches, ms (default 3 600 000). */
  refreshIntervalMs?: number;
  /** Join timeout per bootstrap attempt, ms (default 20 000). */
  joinTimeoutMs?: number;
  /** Called after a `leave` control request has completed (the CLI exits). */
  onLeft?: () => void;
}

/** A value as `fetch` reports it. */
export interface FetchedEntry {
  index?: number;
  key?: string;
  value: string;
  /** The value bytes, hex (also for text values). */
  valueHex: string;
  /** storage_time, ms since the epoch. */
  storageTime: number;
  /** lifetime, seconds. */
  lifetime: number;
  signer?: string;
  signerNodeId?: string;
}

/** What a store or fetch report says about the Kind and the resource. */
export interface ResourceReport {
  /** Kind name, or its numeric Kind-ID when it has none. */
  kind: string;
  kindId: number;
  /** Data model of the Kind (§7.2). */
  model: string;
  /** Resource Name as given. */
  resource: string;
  /** Resource-ID (hex), §5.2. */
  resourceId: string;
}

/** Result of a store through the control channel. */
export interface StoreReport extends ResourceReport {
  values: number;
  index?: number;
  key?: string;
  storedAt?: string;
  generation: string;
  replicas: string[];
  /** Links crossed: 1 for a neighbour, more through intermediate peers, 0 when local. */
  hops: number;
  rttMs: number;
}

/** Result of a fetch through the control channel. */
export interface FetchReport extends ResourceReport {
  fetchedFrom?: string;
  /** Links crossed (see StoreReport.hops). */
  hops: number;
  rttMs: number;
  values: FetchedEntry[];
}

/** Status through the control channel: the peer's snapshot plus node facts. */
export interface NodeStatus extends PeerStatus {
  username: string;
  configurationSequence: number;
  configurationExpires?: string;
  storedResources?: number;
  kinds: { id: number; name?: string; dataModel: string; accessControl: string }[];
  pid: number;
}

/** A running node. */
export interface RunningNode {
  peer: Peer;
  info: NodeInfo;
  paths: DataPaths;
  /** Handles a control request (what the control socket calls). */
  handle(req: ControlRequest): Promise<unknown>;
  /** Re-fetches the configuration now; true when a newer one was applied. */
  refreshConfiguration(): Promise<boolean>;
  /** Leaves the overlay (§10.9), stops everything. Idempotent. */
  stop(): Promise<void>;
}

const utf8 = new TextEncoder();
const DEFAULT_LISTEN: LinkAddress = { host: '127.0.0.1', port: 6084 };

/**
 * Resource Name of a `--resource` argument (docs/decisions/0501): `node:self` (this node's
 * Node-ID bytes), `node:HEX` (those Node-ID bytes), `user:self` (this node's user name,
 * `alice@overlay`), anything else its UTF-8 bytes.
 */
export function resourceName(spec: string, info: NodeInfo): Uint8Array {
  if (spec === 'node:self') return nodeIdFromHex(info.nodeId);
  if (spec.startsWith('node:')) return nodeIdFromHex(spec.slice(5));
  if (spec === 'user:self') return utf8.encode(info.certificateUsername);
  return utf8.encode(spec);
}

/** Dictionary key of a `--key` argument: `node:self` / `node:HEX` as bytes, else UTF-8. */
export function dictionaryKey(spec: string, info: NodeInfo): Uint8Array {
  if (spec === 'node:self') return nodeIdFromHex(info.nodeId);
  if (spec.startsWith('node:')) return nodeIdFromHex(spec.slice(5));
  return utf8.encode(spec);
}

/** Shows bytes as text when they are printable UTF-8, else as `hex:…`. */
export function showBytes(b: Uint8Array): string {
  const s = Buffer.from(b).toString('utf8');
  if (!s.includes('\uFFFD') && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return s;
  return `hex:${Buffer.from(b).toString('hex')}`;
}

function kindLabelOf(k: KindDefinition): string {
  return k.name ?? String(k.id);
}

function resourceReport(
  kind: KindDefinition,
  resource: string,
  name: string | Uint8Array,
  nodeIdLength: number,
): ResourceReport {
  return {
    kind: kindLabelOf(kind),
    kindId: kind.id,
    model: kind.dataModel,
    resource,
    resourceId: nodeIdToHex(resourceId(name, nodeIdLength)),
  };
}

function requireKind(registry: KindRegistry, spec: string): KindDefinition {
  const k = findKind(registry.list(), spec);
  if (!k)
    throw new ReloadError(
      'UNKNOWN_KIND',
      `no Kind "${spec}" in this overlay's configuration; known: ${registry
        .list()
        .map((x) => (x.name ? `${x.name} (${x.id})` : String(x.id)))
        .join(', ')}`,
    );
  return k;
}

/**
 * Starts a node from its data directory: verifies the stored configuration, starts the
 * peer, the control channel, joins (or creates) the overlay in the background and schedules
 * configuration refreshes.
 * @throws ReloadError 'NOT_ENROLLED', 'CERT_EXPIRED' (re-enroll), 'NODE_ALREADY_RUNNING',
 *   configuration errors, or listen errors.
 */
export async function startNode(o: RunOptions): Promise<RunningNode> {
  const log = o.logger;
  const paths = dataPaths(o.dataDir);
  const info = await readNodeInfo(paths);
  let current: AcceptedConfiguration & { raw: Uint8Array } = await readStoredConfiguration(
    paths,
    info.overlay,
  );
  const ca = info.discovery.caFile ? await readCaFile(info.discovery.caFile) : undefined;
  let config: Configuration = current.configuration;
  const peerConfig = peerConfigOf(config);
  const trust = trustStoreOf(config);
  const certificate = fromPem(await readFile(paths.certificate, 'utf8'), 'CERTIFICATE');
  const privateKey = privateKeyFrom(await readFile(paths.key, 'utf8'));
  try {
    trust.checkCertificate(certificate, { requireNodeId: true });
  } catch (e) {
    throw new ReloadError(
      (e as ReloadError).code ?? 'CERT_UNTRUSTED',
      `this node's certificate is not usable: ${(e as Error).message}; enroll again (reload-node enroll --force)`,
    );
  }
  const nodeId = nodeIdFromHex(info.nodeId, peerConfig.nodeIdLength);
  const policies = createPolicyRegistry();
  const policyExists = (n: string): boolean => policies.has(n);
  const k0 = storageKinds(current.acceptedKinds, policyExists);
  for (const s of [...k0.skipped, ...current.refusedKinds])
    log.warn({ kind: s.kind, reason: s.reason }, 'kind not used');
  const kinds = createKindRegistry(k0.configs, { policyExists });

  const ref: { peer?: Peer } = {};
  let storage: Storage | undefined;
  try {
    storage = await openStorage({
      backend: await openLevelBackend(paths.storage),
      kinds,
      policies,
      verifier: securityVerifier({ trust }),
      resourceIdOf: (name) => resourceId(name, peerConfig.nodeIdLength),
      nodeIdLength: peerConfig.nodeIdLength,
      replicaSenderAllowed: (_r, signer) => ref.peer?.isNeighbor(signer.nodeId) ?? false,
    });
  } catch (e) {
    throw new ReloadError(
      'STORAGE_UNAVAILABLE',
      `cannot open ${paths.storage}: ${(e as Error).message} (is another node running on this directory?)`,
    );
  }

  const linkTransport = createTlsTransport({
    cert: certificate,
    key: privateKey,
    ca: config.rootCerts,
    selfSignedPermitted: config.selfSignedPermitted?.permitted ?? false,
    verifier: trustStoreVerifier(trust),
    maxMessageSize: peerConfig.maxMessageSize,
    logger: log.child({ component: 'link' }),
  });

  let refreshTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  /** Applies a newer verified configuration to the running node (what the peer API allows). */
  const apply = (next: AcceptedConfiguration & { raw: Uint8Array }, how: string): void => {
    const before = config;
    const c = next.configuration;
    const pc = peerConfigOf(c);
    peer.config.sequence = pc.sequence;
    peer.config.initialTtl = pc.initialTtl;
    peer.config.maxMessageSize = pc.maxMessageSize;
    peer.config.reliabilityTimerMs = pc.reliabilityTimerMs;
    const ks = storageKinds(next.acceptedKinds, policyExists);
    for (const s of [...ks.skipped, ...next.refusedKinds])
      log.warn({ kind: s.kind, reason: s.reason }, 'kind not used');
    try {
      kinds.update(ks.configs);
    } catch (e) {
      log.warn({ error: (e as Error).message }, 'kinds of the new configuration not applied');
    }
    const needsRestart: string[] = [];
    const same = (a: readonly unknown[], b: readonly unknown[]): boolean =>
      JSON.stringify(a) === JSON.stringify(b);
    if (!same(before.rootCerts.map(nodeIdToHex), c.rootCerts.map(nodeIdToHex)))
      needsRestart.push('root-cert');
    if (!same(before.badNodes, c.badNodes)) needsRestart.push('bad-node');
    if (before.nodeIdLength !== c.nodeIdLength) needsRestart.push('node-id-length');
    if (JSON.stringify(before.chord) !== JSON.stringify(c.chord)) needsRestart.push('chord-*');
    config = c;
    current = next;
    void writeFileAtomic(paths.configuration, next.raw).catch((e: Error) =>
      log.error({ error: e.message }, 'cannot save the configuration'),
    );
    log.info(
      {
        from: before.sequence,
        sequence: c.sequence,
        how,
        expiration: c.expiration?.toISOString(),
        kinds: ks.configs.length,
        ...(needsRestart.length ? { restartToApply: needsRestart } : {}),
      },
      'newer configuration applied',
    );
  };

  const peer = createPeer({
    config: peerConfig,
    credentials: { certificate, privateKey },
    nodeId,
    trust,
    linkTransport,
    listen: o.listen ?? DEFAULT_LISTEN,
    storage,
    logger: log.child({ component: 'peer' }),
    // RFC 6940 §6.5.4: a ConfigUpdate must verify against the current configuration.
    onConfigUpdate: (u: ConfigUpdateReq) => {
      if (u.type !== 'config')
        return Promise.reject(
          new ReloadError(ErrorCode.Forbidden, 'only whole configuration documents are accepted'),
        );
      const next = acceptConfiguration(u.configData, {
        previous: config,
        instanceName: info.overlay,
      });
      if (next.configuration.sequence !== config.sequence)
        apply({ ...next, raw: u.configData }, 'ConfigUpdate');
      return Promise.resolve();
    },
  });
  ref.peer = peer;
  await peer.start();
  const listen = peer.address;
  if (listen.host === '0.0.0.0' || listen.host === '::')
    // RFC 6940 §6.5.1.11: the Attach candidate carries this address; a wildcard is useless.
    log.warn(
      { listen: listen.host },
      'listening on a wildcard address: other peers get it in Attach candidates; give --listen an address they can reach',
    );
  log.info(
    { nodeId: info.nodeId, overlay: info.overlay, listen: `${listen.host}:${listen.port}` },
    'listening',
  );

  const refreshConfiguration = async (): Promise<boolean> => {
    const next = await fetchConfiguration(
      {
        overlay: info.overlay,
        ...(info.discovery.dnsServer !== undefined ? { dnsServer: info.discovery.dnsServer } : {}),
        ...(info.discovery.configUrl !== undefined ? { configUrl: info.discovery.configUrl } : {}),
        ...(ca ? { ca } : {}),
      },
      config,
    );
    if (
      next.configuration.sequence === config.sequence &&
      Buffer.compare(Buffer.from(next.raw), Buffer.from(current.raw)) === 0
    )
      return false;
    apply(next, 'fetched');
    return true;
  };

  const scheduleRefresh = (): void => {
    if (stopped) return;
    const now = Date.now();
    const max = o.refreshIntervalMs ?? 3_600_000;
    let at = now + max;
    const exp = config.expiration?.getTime();
    if (exp !== undefined) {
      // Before it expires: 10 % of the remaining time ahead, at least one minute ahead.
      const margin = Math.max(60_000, (exp - now) / 10);
      at = Math.min(at, exp - margin);
    }
    const delay = Math.min(Math.max(5_000, at - now), 2 ** 31 - 1);
    refreshTimer = setTimeout(() => {
      refreshConfiguration().then(
        () => scheduleRefresh(),
        (e: Error) => {
          log.warn({ error: e.message }, 'configuration re-fetch failed; retrying later');
          refreshTimer = setTimeout(scheduleRefresh, Math.min(max, 60_000));
          refreshTimer.unref();
        },
      );
    }, delay);
    refreshTimer.unref();
  };
  // An expired stored configuration is refreshed right away.
  if (config.expiration !== undefined && config.expiration.getTime() <= Date.now()) {
    log.warn({ expiration: config.expiration.toISOString() }, 'stored configuration has expired');
    await refreshConfiguration().catch((e: Error) =>
      log.warn({ error: e.message }, 'configuration re-fetch failed'),
    );
  }
  scheduleRefresh();

  const handle = async (req: ControlRequest): Promise<unknown> => {
    switch (req.op) {
      case 'status':
        return status();
      case 'store':
        return store(req);
      case 'fetch':
        return fetch(req);
      case 'leave':
        setImmediate(() => {
          void stop().then(() => o.onLeft?.());
        });
        return { leaving: true, nodeId: info.nodeId };
      default:
        throw new ReloadError('BAD_REQUEST', `unknown op "${String((req as { op: unknown }).op)}"`);
    }
  };

  const status = async (): Promise<NodeStatus> => {
    const s = peer.status();
    let storedResources: number | undefined;
    if (storage) {
      const z = new Uint8Array(peerConfig.nodeIdLength);
      storedResources = (await storage.resourcesInRange(z, z)).length;
    }
    return {
      ...s,
      username: info.certificateUsername,
      configurationSequence: config.sequence,
      ...(config.expiration ? { configurationExpires: config.expiration.toISOString() } : {}),
      ...(storedResources !== undefined ? { storedResources } : {}),
      kinds: kinds.list().map((k) => ({
        id: k.id,
        ...(k.name !== undefined ? { name: k.name } : {}),
        dataModel: k.dataModel,
        accessControl: k.accessControl,
      })),
      pid: process.pid,
    };
  };

  const requireJoined = (): void => {
    if (!peer.isJoined)
      throw new ReloadError(
        'NOT_JOINED',
        `node ${info.nodeId} has not joined the overlay yet (state ${peer.chord.state}); try again shortly`,
      );
  };

  const store = async (req: Extract<ControlRequest, { op: 'store' }>): Promise<StoreReport> => {
    requireJoined();
    const kind = requireKind(kinds, req.kind);
    const value = utf8.encode(req.value);
    let input: ValueInput;
    if (req.key !== undefined && kind.dataModel !== 'DICTIONARY')
      throw new ReloadError(
        'BAD_OPTION',
        `--key is for DICTIONARY Kinds; ${kindLabelOf(kind)} is ${kind.dataModel}`,
      );
    if (req.index !== undefined && kind.dataModel !== 'ARRAY')
      throw new ReloadError(
        'BAD_OPTION',
        `--index is for ARRAY Kinds; ${kindLabelOf(kind)} is ${kind.dataModel}`,
      );
    if (kind.dataModel === 'SINGLE') input = { model: 'SINGLE', value };
    else if (kind.dataModel === 'ARRAY') {
      const index = req.index ?? 0xffffffff;
      if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
        throw new ReloadError('BAD_OPTION', '--index must be 0..4294967295');
      input = { model: 'ARRAY', index, value };
    } else {
      if (req.key === undefined)
        throw new ReloadError(
          'BAD_OPTION',
          `${kindLabelOf(kind)} is a DICTIONARY Kind: give --key`,
        );
      input = { model: 'DICTIONARY', key: dictionaryKey(req.key, info), value };
    }
    const name = resourceName(req.resource, info);
    const r = await storeValues(peer, {
      name,
      kind: kind.id,
      values: [input],
      ...(req.lifetime !== undefined ? { lifetime: req.lifetime } : {}),
    });
    const kr = r.answer.kindResponses.find((x) => x.kind === kind.id);
    return {
      ...resourceReport(kind, req.resource, name, peerConfig.nodeIdLength),
      values: 1,
      ...(input.model === 'ARRAY' ? { index: input.index } : {}),
      ...(req.key !== undefined ? { key: req.key } : {}),
      ...(r.storedAt ? { storedAt: nodeIdToHex(r.storedAt) } : {}),
      generation: String(kr?.generationCounter ?? 0n),
      replicas: (kr?.replicas ?? []).map(nodeIdToHex),
      hops: networkHops(r.hops, r.storedAt, nodeId),
      rttMs: r.rttMs,
    };
  };

  const fetch = async (req: Extract<ControlRequest, { op: 'fetch' }>): Promise<FetchReport> => {
    requireJoined();
    const kind = requireKind(kinds, req.kind);
    const name = resourceName(req.resource, info);
    const r = await fetchValues(peer, { name, kind: kind.id, model: kind.dataModel });
    return {
      ...resourceReport(kind, req.resource, name, peerConfig.nodeIdLength),
      ...(r.fetchedFrom ? { fetchedFrom: nodeIdToHex(r.fetchedFrom) } : {}),
      hops: networkHops(r.hops, r.fetchedFrom, nodeId),
      rttMs: r.rttMs,
      values: r.values.map(entryOf),
    };
  };

  let control: ControlServer | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      if (refreshTimer) clearTimeout(refreshTimer);
      log.info({ nodeId: info.nodeId }, 'leaving the overlay');
      await peer.leave().catch((e: Error) => log.warn({ error: e.message }, 'leave failed'));
      await control?.close().catch(() => undefined);
      await storage?.close().catch(() => undefined);
      log.info({ nodeId: info.nodeId }, 'stopped');
    })();
    return stopping;
  };

  try {
    control = await startControlServer(paths.controlSocket, handle);
  } catch (e) {
    await peer.close();
    await storage.close();
    throw e;
  }

  const node: RunningNode = { peer, info, paths, handle, refreshConfiguration, stop };
  void joinOverlay(node, config, o, () => stopped);
  return node;
}

/**
 * Links the request crossed: the transport counts forwards by intermediate peers
 * (initial-ttl − ttl); one more when another node answered, 0 when this node did.
 */
export function networkHops(
  forwards: number,
  answeredBy: Uint8Array | undefined,
  self: Uint8Array,
): number {
  if (answeredBy && nodeIdToHex(answeredBy) === nodeIdToHex(self)) return forwards;
  return forwards + 1;
}

function entryOf(v: FetchedValue): FetchedEntry {
  const sdv = v.data.value;
  const bytes = sdv.value.value;
  return {
    ...(sdv.model === 'ARRAY' ? { index: sdv.index } : {}),
    ...(sdv.model === 'DICTIONARY' ? { key: showBytes(sdv.key) } : {}),
    value: showBytes(bytes),
    valueHex: Buffer.from(bytes).toString('hex'),
    storageTime: Number(v.data.storageTime),
    lifetime: v.data.lifetime,
    ...(v.usernames[0] !== undefined ? { signer: v.usernames[0] } : {}),
    ...(v.signerNodeId ? { signerNodeId: nodeIdToHex(v.signerNodeId) } : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Joins through `--bootstrap` or the configuration's bootstrap-node elements (§11.4), in
 * order; with none, starts a new overlay. When none answers: a new overlay with `create`
 * (or when this node is itself a configured bootstrap node), else retries with backoff.
 */
async function joinOverlay(
  node: RunningNode,
  config: Configuration,
  o: RunOptions,
  stopped: () => boolean,
): Promise<void> {
  const log = o.logger;
  const peer = node.peer;
  const me = peer.address;
  const isMe = (a: LinkAddress): boolean =>
    a.port === me.port &&
    (a.host === me.host || (me.host === '0.0.0.0' && /^(127\.|::1$|localhost$)/.test(a.host)));
  const configured = config.bootstrapNodes.map((b) => ({ host: b.address, port: b.port }));
  const all = o.bootstrap ?? configured;
  const candidates = all.filter((a) => !isMe(a));
  const started = Date.now();
  if (all.length === 0) {
    peer.createOverlay();
    log.info({ nodeId: node.info.nodeId }, 'started a new overlay (no bootstrap node given)');
    return;
  }
  const selfBootstrap = o.bootstrap === undefined && candidates.length < all.length;
  let delay = 1_000;
  for (;;) {
    for (const b of candidates) {
      if (stopped()) return;
      try {
        await peer.join(b, o.joinTimeoutMs ?? 20_000);
        log.info(
          { nodeId: node.info.nodeId, bootstrap: `${b.host}:${b.port}`, ms: Date.now() - started },
          'joined the overlay',
        );
        return;
      } catch (e) {
        log.warn({ bootstrap: `${b.host}:${b.port}`, error: (e as Error).message }, 'join failed');
      }
    }
    if (stopped()) return;
    if (o.create || selfBootstrap || candidates.length === 0) {
      peer.createOverlay();
      log.info({ nodeId: node.info.nodeId }, 'no bootstrap node answered: started a new overlay');
      return;
    }
    log.warn(
      { retryInMs: delay },
      'no bootstrap node answered; retrying (use --create to start a new overlay)',
    );
    await sleep(delay);
    delay = Math.min(delay * 2, 30_000);
  }
}
