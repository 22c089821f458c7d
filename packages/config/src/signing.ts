/**
 * RFC 6940 §11.1 "Configuration signatures" and "Kind signatures": a base64 RELOAD
 * SecurityBlock (§6.3.4) over the exact bytes of `<configuration>…</configuration>` (in the
 * following `<signature>`) or of `<kind>…</kind>` (in the kind-block's `<kind-signature>`).
 * Not XML-DSig. Signer rules: a configuration is signed by a configuration-signer of the
 * previous extant configuration; a kind by a kind-signer of the current one.
 */
import { ReloadError } from '@reload/wire';
import { MAX_SEQUENCE } from './constants.js';
import type { Configuration, ConfigurationDocument, ElementSource, KindBlock } from './model.js';
import { parseConfigurationDocument } from './parse.js';
import {
  checkSecurityBlock,
  createSecurityBlock,
  type SignerInfo,
  type SigningCredentials,
  trustProblem,
} from './security-block.js';
import { serializeConfiguration } from './serialize.js';
import { formatBase64 } from './values.js';

export type { SignerInfo, SigningCredentials } from './security-block.js';

/** Options of {@link signConfiguration}. */
export interface SignOptions {
  /** Sign only the configuration with this instance-name (default: every configuration). */
  instanceName?: string;
  /** Node-ID (hex) to bind with a cert_hash_node_id SignerIdentity (default: cert_hash). */
  nodeId?: string;
  /** Also (re-)sign every kind-block of the signed configurations with these credentials. */
  kindSigner?: SigningCredentials;
  /** Node-ID (hex) for the kind signatures' cert_hash_node_id identity. */
  kindSignerNodeId?: string;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

const enc = new TextEncoder();

function applyEdits(bytes: Uint8Array, edits: Edit[]): Uint8Array {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = Buffer.from(bytes);
  for (const e of sorted)
    out = Buffer.concat([
      out.subarray(0, e.start),
      Buffer.from(e.text, 'utf8'),
      out.subarray(e.end),
    ]);
  return new Uint8Array(out);
}

/** Whitespace at the start of the line holding byte offset `at`. */
function indentOf(bytes: Uint8Array, at: number): string {
  let i = at;
  while (i > 0 && (bytes[i - 1] === 0x20 || bytes[i - 1] === 0x09)) i--;
  return i === 0 || bytes[i - 1] === 0x0a ? Buffer.from(bytes.subarray(i, at)).toString() : '';
}

/** Start of the removable whitespace (and one newline) before byte offset `at`. */
function trimStart(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i > 0 && (bytes[i - 1] === 0x20 || bytes[i - 1] === 0x09)) i--;
  if (i > 0 && bytes[i - 1] === 0x0a) i--;
  if (i > 0 && bytes[i - 1] === 0x0d) i--;
  return i;
}

function prefixOf(src: ElementSource, local: string): string {
  const m = new RegExp(`^<([^\\s>]*:)?${local}[\\s/>]`).exec(
    Buffer.from(src.bytes.subarray(0, 200)).toString(),
  );
  return m?.[1] ?? '';
}

function signatureElement(name: string, block: Uint8Array, indent: string): string {
  const b64 = formatBase64(block, 64, `${indent}  `);
  return `<${name}>${b64}${b64.startsWith('\n') ? indent : ''}</${name}>`;
}

/** Places `element` after `src`, replacing the old signature elements `old`. */
function placeSignature(
  bytes: Uint8Array,
  src: ElementSource,
  old: ElementSource[],
  element: (indent: string) => string,
): Edit[] {
  const indent = indentOf(bytes, src.start);
  const [first, ...rest] = old;
  const edits: Edit[] = rest.map((o) => ({
    start: trimStart(bytes, o.start),
    end: o.end,
    text: '',
  }));
  if (first === undefined)
    edits.push({ start: src.end, end: src.end, text: `\n${indent}${element(indent)}` });
  else
    edits.push({ start: first.start, end: first.end, text: element(indentOf(bytes, first.start)) });
  return edits;
}

function selected(doc: ConfigurationDocument, instanceName: string | undefined): Configuration[] {
  const list = doc.configurations.filter(
    (c) => instanceName === undefined || c.instanceName === instanceName,
  );
  if (list.length === 0)
    throw new ReloadError(
      'CONFIG_NOT_FOUND',
      `no <configuration> with instance-name '${instanceName}'`,
    );
  return list;
}

function toBytes(input: string | Uint8Array | ConfigurationDocument | Configuration): Uint8Array {
  if (typeof input === 'string') return enc.encode(input);
  if (input instanceof Uint8Array) return input;
  return enc.encode(serializeConfiguration(input));
}

/**
 * Signs the kind-blocks of a document (§11.1 "Kind signatures"): each `<kind>`'s exact bytes
 * get a SecurityBlock in the block's `<kind-signature>` (replaced if present). Since kinds
 * sit inside `<configuration>`, sign kinds before the configuration.
 *
 * @returns the new document text (everything else byte-identical).
 * @throws ReloadError 'CONFIG_INVALID' for an unparsable document.
 */
export function signKinds(
  input: string | Uint8Array | ConfigurationDocument | Configuration,
  creds: SigningCredentials,
  options: { instanceName?: string; nodeId?: string } = {},
): string {
  const bytes = toBytes(input);
  const doc = parseConfigurationDocument(bytes);
  const edits: Edit[] = [];
  for (const c of selected(doc, options.instanceName))
    for (const b of c.requiredKinds) {
      const src = b.kind.source as ElementSource;
      const block = createSecurityBlock(src.bytes, creds, options.nodeId);
      const name = `${prefixOf(src, 'kind')}kind-signature`;
      edits.push(
        ...placeSignature(bytes, src, b.signature?.source ? [b.signature.source] : [], (indent) =>
          signatureElement(name, block, indent),
        ),
      );
    }
  return Buffer.from(applyEdits(bytes, edits)).toString('utf8');
}

/**
 * Signs configurations (§11.1 "Configuration signatures"): a SecurityBlock over the exact
 * bytes from `<configuration` to `</configuration>`, base64 in a `<signature>` element
 * right after it (existing signatures of that configuration are replaced). A model is
 * serialized first; text is signed as it is, nothing else in it changes.
 *
 * @param input document text/bytes, or a model to serialize.
 * @param creds the configuration signer (its Node-ID should be a configuration-signer of
 *   the previous configuration).
 * @returns the signed document text.
 * @throws ReloadError 'CONFIG_INVALID' (unparsable), 'CONFIG_NOT_FOUND' (no such instance).
 */
export function signConfiguration(
  input: string | Uint8Array | ConfigurationDocument | Configuration,
  creds: SigningCredentials,
  options: SignOptions = {},
): string {
  let bytes = toBytes(input);
  if (options.kindSigner !== undefined) {
    const kindOpts: { instanceName?: string; nodeId?: string } = {};
    if (options.instanceName !== undefined) kindOpts.instanceName = options.instanceName;
    if (options.kindSignerNodeId !== undefined) kindOpts.nodeId = options.kindSignerNodeId;
    bytes = enc.encode(signKinds(bytes, options.kindSigner, kindOpts));
  }
  const doc = parseConfigurationDocument(bytes);
  const edits: Edit[] = [];
  for (const c of selected(doc, options.instanceName)) {
    const src = c.source as ElementSource;
    const block = createSecurityBlock(src.bytes, creds, options.nodeId);
    const name = `${prefixOf(src, 'configuration')}signature`;
    const old = c.signatures.flatMap((s) => (s.source ? [s.source] : []));
    edits.push(
      ...placeSignature(bytes, src, old, (indent) => signatureElement(name, block, indent)),
    );
  }
  return Buffer.from(applyEdits(bytes, edits)).toString('utf8');
}

/**
 * Compares configuration sequence numbers "mod 65535 … as in TCP" (§6.3.2.1): > 0 when `a`
 * is newer than `b`, < 0 when older, 0 when equal.
 */
export function compareSequence(a: number, b: number): number {
  const m = MAX_SEQUENCE + 1; // 65535 values: 0..65534
  const d = (((a - b) % m) + m) % m;
  if (d === 0) return 0;
  return d < m / 2 ? 1 : -1;
}

/** Options of {@link verifyConfiguration}. */
export interface VerifyOptions {
  /** Which configuration to verify (default: `previous.instanceName`, else the only one). */
  instanceName?: string;
  /**
   * The previous extant configuration for this overlay: the new one must be signed by one of
   * its configuration-signers (§11.1), its root-certs are the trust anchors, and its
   * sequence must be newer.
   */
  previous?: Configuration;
  /**
   * Configuration-signer Node-IDs (hex) trusted out of band, used when there is no
   * `previous`. Without both, the document's own configuration-signer list is used
   * (trust then rests on the channel, e.g. §11.2 HTTPS).
   */
  trustedSigners?: readonly string[];
  /** Trust anchors (DER) for signer certificates (default: previous, else own root-certs). */
  rootCerts?: readonly Uint8Array[];
  /** Clock for certificate validity and expiration (default: now). */
  now?: Date;
  /** Refuse expired configurations (default true). */
  checkExpiration?: boolean;
  /** What to do with a kind-block whose signature fails: 'reject' the document (default) or 'drop' the kind. */
  invalidKinds?: 'reject' | 'drop';
}

/** A kind-block dropped by {@link verifyConfiguration} with `invalidKinds: 'drop'`. */
export interface RejectedKind {
  block: KindBlock;
  error: ReloadError;
}

/** Result of {@link verifyConfiguration}. */
export interface VerifiedConfiguration {
  /** The whole parsed document. */
  document: ConfigurationDocument;
  /** The verified configuration. */
  configuration: Configuration;
  /** Who signed it (the configuration-signer Node-ID that authorized it). */
  signer: SignerInfo & { nodeId: string };
  /** Kind-blocks whose signatures verified (all of them unless invalidKinds is 'drop'). */
  kinds: KindBlock[];
  /** Kind-blocks dropped (only with invalidKinds 'drop'). */
  rejectedKinds: RejectedKind[];
}

function authorize(
  info: SignerInfo,
  authorized: readonly string[],
  config: Configuration,
  bad: readonly string[],
  anchors: readonly Uint8Array[],
  now: Date,
  code: string,
  what: string,
): string {
  const candidates = info.signingNodeId !== undefined ? [info.signingNodeId] : info.nodeIds;
  const allowed = new Set(authorized.map((s) => s.toLowerCase()));
  const badSet = new Set(bad.map((s) => s.toLowerCase()));
  const nodeId = candidates.find((n) => allowed.has(n) && !badSet.has(n));
  if (nodeId === undefined) {
    const shown =
      candidates.length === 0 ? '(no Node-ID in its certificate)' : candidates.join(', ');
    const isBad = candidates.some((n) => allowed.has(n) && badSet.has(n));
    throw new ReloadError(code, `signer ${shown} ${isBad ? 'is a bad-node' : `is not a ${what}`}`);
  }
  const problem = trustProblem(info, nodeId, anchors, config, bad, now);
  if (problem !== undefined) throw new ReloadError(code, `signer ${nodeId}: ${problem}`);
  return nodeId;
}

/**
 * Verifies one kind-block's kind-signature (§11.1): a SecurityBlock over the exact bytes
 * of its `<kind>` element, made by a kind-signer of `configuration` (the current one) that
 * is not a bad-node, with a certificate chaining to `rootCerts` (default: the
 * configuration's root-certs).
 *
 * @returns the signer's Node-ID (hex).
 * @throws ReloadError 'KIND_SIGNATURE_INVALID' or 'KIND_SIGNER_NOT_AUTHORIZED'.
 */
export function verifyKindBlock(
  block: KindBlock,
  configuration: Configuration,
  options: { rootCerts?: readonly Uint8Array[]; now?: Date } = {},
): string {
  const name = block.kind.name ?? String(block.kind.id);
  const line = block.kind.source ? `line ${block.kind.source.line}: ` : '';
  if (block.signature === undefined)
    throw new ReloadError(
      'KIND_SIGNATURE_INVALID',
      `${line}<kind> ${name}: no <kind-signature> (RFC 6940 §11.1)`,
    );
  if (block.kind.source === undefined)
    throw new ReloadError(
      'KIND_SIGNATURE_INVALID',
      `<kind> ${name}: not parsed from a document, nothing to verify`,
    );
  try {
    const info = checkSecurityBlock(
      block.kind.source.bytes,
      block.signature.value,
      'KIND_SIGNATURE_INVALID',
    );
    return authorize(
      info,
      configuration.kindSigners,
      configuration,
      configuration.badNodes,
      options.rootCerts ?? configuration.rootCerts,
      options.now ?? new Date(),
      'KIND_SIGNER_NOT_AUTHORIZED',
      'kind-signer of this configuration',
    );
  } catch (e) {
    const err = e as ReloadError;
    throw new ReloadError(err.code, `${line}<kind> ${name}: ${err.message}`, { cause: e });
  }
}

/**
 * Verifies a signed configuration document (§11.1 "Configuration signatures", §6.3.2.1).
 *
 * Checks, in order: the document parses; the chosen configuration has a `<signature>`
 * whose SecurityBlock verifies over the configuration's exact bytes; the signer's Node-ID
 * is a configuration-signer of `previous` (or of `trustedSigners`, or — first contact —
 * of the configuration itself), is not a bad-node, and its certificate chains to the trust
 * anchors; the sequence is newer than `previous` (an identical re-fetch is accepted); the
 * configuration has not expired; each kind-block's kind-signature verifies.
 *
 * @returns the verified configuration, its signer and the accepted kinds.
 * @throws ReloadError 'CONFIG_INVALID' (parse), 'CONFIG_NOT_FOUND', 'CONFIG_SIGNATURE_INVALID',
 *   'CONFIG_SIGNER_NOT_AUTHORIZED', 'CONFIG_SEQUENCE', 'CONFIG_EXPIRED',
 *   'KIND_SIGNATURE_INVALID', 'KIND_SIGNER_NOT_AUTHORIZED'.
 */
export function verifyConfiguration(
  input: string | Uint8Array | ConfigurationDocument,
  options: VerifyOptions = {},
): VerifiedConfiguration {
  const doc =
    typeof input === 'string' || input instanceof Uint8Array
      ? parseConfigurationDocument(input)
      : input;
  const want = options.instanceName ?? options.previous?.instanceName;
  let config: Configuration | undefined;
  if (want !== undefined) config = doc.configurations.find((c) => c.instanceName === want);
  else if (doc.configurations.length === 1) config = doc.configurations[0];
  else
    throw new ReloadError(
      'CONFIG_NOT_FOUND',
      'the document has several configurations: name the instance to verify',
    );
  if (config === undefined)
    throw new ReloadError('CONFIG_NOT_FOUND', `no <configuration> with instance-name '${want}'`);
  if (config.source === undefined)
    throw new ReloadError(
      'CONFIG_SIGNATURE_INVALID',
      'configuration not parsed from a document, nothing to verify',
    );
  const now = options.now ?? new Date();
  const where = `line ${config.source.line}: <configuration instance-name="${config.instanceName}">`;
  if (config.signatures.length === 0)
    throw new ReloadError(
      'CONFIG_SIGNATURE_INVALID',
      `${where}: not signed (no <signature> follows it)`,
    );

  const prev = options.previous;
  const authorized =
    prev?.configurationSigners ?? options.trustedSigners ?? config.configurationSigners;
  const anchors =
    options.rootCerts ??
    (prev !== undefined && prev.rootCerts.length > 0 ? prev.rootCerts : config.rootCerts);
  const bad = [...config.badNodes, ...(prev?.badNodes ?? [])];
  let signer: (SignerInfo & { nodeId: string }) | undefined;
  let lastError: ReloadError | undefined;
  for (const s of config.signatures) {
    try {
      const info = checkSecurityBlock(config.source.bytes, s.value, 'CONFIG_SIGNATURE_INVALID');
      const nodeId = authorize(
        info,
        authorized,
        config,
        bad,
        anchors,
        now,
        'CONFIG_SIGNER_NOT_AUTHORIZED',
        prev !== undefined
          ? 'configuration-signer of the previous configuration'
          : 'trusted configuration-signer',
      );
      signer = { ...info, nodeId };
      break;
    } catch (e) {
      const err = e as ReloadError;
      // Prefer reporting "valid signature, wrong signer" over "bad signature".
      if (lastError === undefined || err.code === 'CONFIG_SIGNER_NOT_AUTHORIZED') lastError = err;
    }
  }
  if (signer === undefined) {
    const err = lastError as ReloadError;
    throw new ReloadError(err.code, `${where}: ${err.message}`, { cause: err });
  }

  if (prev !== undefined && prev.instanceName === config.instanceName) {
    const cmp = compareSequence(config.sequence, prev.sequence);
    const same =
      cmp === 0 &&
      prev.source !== undefined &&
      Buffer.compare(Buffer.from(prev.source.bytes), Buffer.from(config.source.bytes)) === 0;
    if (cmp < 0 || (cmp === 0 && !same))
      throw new ReloadError(
        'CONFIG_SEQUENCE',
        `${where}: sequence ${config.sequence} is not newer than the previous configuration's ${prev.sequence} (RFC 6940 §6.3.2.1)`,
      );
  }
  if (
    (options.checkExpiration ?? true) &&
    config.expiration !== undefined &&
    config.expiration.getTime() < now.getTime()
  )
    throw new ReloadError(
      'CONFIG_EXPIRED',
      `${where}: expired at ${config.expiration.toISOString()}`,
    );

  const kinds: KindBlock[] = [];
  const rejectedKinds: RejectedKind[] = [];
  for (const b of config.requiredKinds) {
    try {
      verifyKindBlock(b, config, { rootCerts: anchors, now });
      kinds.push(b);
    } catch (e) {
      if (options.invalidKinds === 'drop')
        rejectedKinds.push({ block: b, error: e as ReloadError });
      else throw e;
    }
  }
  return { document: doc, configuration: config, signer, kinds, rejectedKinds };
}
