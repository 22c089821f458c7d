/**
 * Parser of the RFC 6940 §11.1 configuration document. The DOM (xmldom) gives structure;
 * {@link scanElements} gives each element's exact byte range, kept for §11.1 signatures.
 */
import { DOMParser } from '@xmldom/xmldom';
import { ReloadError } from '@reload/wire';
import { CONFIG_DEFAULTS, NS_CONFIG_BASE, NS_CONFIG_CHORD } from './constants.js';
import type {
  Configuration,
  ConfigurationDocument,
  ElementSource,
  ExtensionElement,
  ForeignAttribute,
  KindBlock,
  KindDefinition,
  SignatureElement,
} from './model.js';
import { RANGES } from './rules.js';
import {
  type Parsed,
  parseBase64,
  parseBoolean,
  parseDateTime,
  parseHttpsUrl,
  parseInteger,
  parseIpAddress,
  parseNodeIdHex,
  type Range,
  xmlTrim,
} from './values.js';
import { type ScannedElement, scanElements, SourceMap } from './xml-scan.js';

// Minimal structural views of the xmldom node types we use.
interface XNode {
  nodeType: number;
  nodeValue: string | null;
  childNodes: ArrayLike<XNode>;
}
interface XAttr {
  name: string;
  localName: string;
  prefix: string | null;
  namespaceURI: string | null;
  value: string;
}
interface XElement extends XNode {
  tagName: string;
  localName: string;
  prefix: string | null;
  namespaceURI: string | null;
  attributes: ArrayLike<XAttr>;
  parentNode: XNode | null;
  lookupNamespaceURI(prefix: string | null): string | null;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const textEncoder = new TextEncoder();

class Ctx {
  readonly map: SourceMap;
  readonly ranges = new Map<XElement, ScannedElement>();
  constructor(
    readonly text: string,
    readonly bytes: Uint8Array,
  ) {
    this.map = new SourceMap(text);
  }

  line(el: XElement): number {
    const r = this.ranges.get(el);
    return r === undefined ? 0 : this.map.line(r.start);
  }

  error(el: XElement, why: string): ReloadError {
    return new ReloadError('CONFIG_INVALID', `line ${this.line(el)}: <${el.tagName}>: ${why}`, {
      field: el.tagName,
    });
  }

  value<T>(el: XElement, p: Parsed<T>): T {
    if (!p.ok) throw this.error(el, p.why);
    return p.value;
  }

  source(el: XElement): ElementSource {
    const r = this.ranges.get(el);
    if (r === undefined) throw this.error(el, 'internal: element range unknown');
    const start = this.map.byteOffset(r.start);
    const end = start + Buffer.byteLength(this.text.slice(r.start, r.end), 'utf8');
    return {
      bytes: new Uint8Array(this.bytes.subarray(start, end)),
      start,
      end,
      line: this.map.line(r.start),
    };
  }

  rawXml(el: XElement): string {
    const r = this.ranges.get(el);
    if (r === undefined) throw this.error(el, 'internal: element range unknown');
    return this.text.slice(r.start, r.end);
  }
}

function elementsInOrder(root: XElement, out: XElement[] = []): XElement[] {
  out.push(root);
  const kids = root.childNodes;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k.nodeType === ELEMENT_NODE) elementsInOrder(k as XElement, out);
  }
  return out;
}

/** Child elements; non-whitespace text is an error (the grammar allows none here). */
function children(ctx: Ctx, el: XElement): XElement[] {
  const out: XElement[] = [];
  const kids = el.childNodes;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k.nodeType === ELEMENT_NODE) out.push(k as XElement);
    else if (
      (k.nodeType === TEXT_NODE || k.nodeType === CDATA_NODE) &&
      xmlTrim(k.nodeValue ?? '') !== ''
    ) {
      const t = xmlTrim(k.nodeValue ?? '');
      throw ctx.error(el, `unexpected text '${t.length > 30 ? `${t.slice(0, 30)}…` : t}'`);
    }
  }
  return out;
}

/** Text content of an element that must not have child elements. */
function textOf(ctx: Ctx, el: XElement): string {
  let s = '';
  const kids = el.childNodes;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i];
    if (k.nodeType === ELEMENT_NODE)
      throw ctx.error(el, `unexpected child element <${(k as XElement).tagName}>`);
    if (k.nodeType === TEXT_NODE || k.nodeType === CDATA_NODE) s += k.nodeValue ?? '';
  }
  return s;
}

function isNsDecl(a: XAttr): boolean {
  return a.name === 'xmlns' || a.name.startsWith('xmlns:');
}

/**
 * Unqualified attributes of `el`, checked against `allowed`; namespaced ones are returned as
 * foreign attributes when `foreign` is true, refused otherwise.
 */
function attributes(
  ctx: Ctx,
  el: XElement,
  allowed: readonly string[],
  foreign = false,
): { attrs: Map<string, string>; foreign: ForeignAttribute[] } {
  const attrs = new Map<string, string>();
  const out: ForeignAttribute[] = [];
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes[i];
    if (isNsDecl(a)) continue;
    const ns = a.namespaceURI ?? '';
    if (ns === '') {
      if (!allowed.includes(a.name)) throw ctx.error(el, `unknown attribute '${a.name}'`);
      attrs.set(a.name, a.value);
    } else if (foreign && ns !== NS_CONFIG_BASE && ns !== NS_CONFIG_CHORD) {
      out.push({
        namespaceURI: ns,
        prefix: a.prefix ?? '',
        localName: a.localName,
        value: a.value,
      });
    } else {
      throw ctx.error(el, `attribute '${a.name}' (namespace ${ns}) is not allowed here`);
    }
  }
  return { attrs, foreign: out };
}

function intText(ctx: Ctx, el: XElement, range: Range): number {
  return ctx.value(el, parseInteger(textOf(ctx, el), range));
}

function boolText(ctx: Ctx, el: XElement): boolean {
  return ctx.value(el, parseBoolean(textOf(ctx, el)));
}

function nonEmptyText(ctx: Ctx, el: XElement): string {
  const s = xmlTrim(textOf(ctx, el));
  if (s === '') throw ctx.error(el, 'is empty');
  return s;
}

/** Namespace prefixes used inside an extension element, resolved on its parent. */
function extension(ctx: Ctx, el: XElement): ExtensionElement {
  const used = new Set<string>();
  for (const e of elementsInOrder(el)) {
    used.add(e.prefix ?? '');
    for (let i = 0; i < e.attributes.length; i++) {
      const a = e.attributes[i];
      if (!isNsDecl(a) && a.prefix) used.add(a.prefix);
    }
  }
  const namespaces: Record<string, string> = {};
  const parent = el.parentNode as XElement | null;
  for (const p of used) {
    if (p === 'xml' || parent === null) continue;
    const uri = parent.lookupNamespaceURI(p === '' ? null : p);
    if (uri !== null && uri !== '') namespaces[p] = uri;
  }
  return {
    namespaceURI: el.namespaceURI ?? '',
    localName: el.localName,
    xml: ctx.rawXml(el),
    namespaces,
  };
}

function isForeign(el: XElement): boolean {
  const ns = el.namespaceURI ?? '';
  return ns !== '' && ns !== NS_CONFIG_BASE && ns !== NS_CONFIG_CHORD;
}

function unknownElement(ctx: Ctx, el: XElement, where: string): ReloadError {
  const ns = el.namespaceURI ?? '';
  return ctx.error(
    el,
    ns === ''
      ? `element without a namespace is not allowed in <${where}>`
      : `unknown element in namespace ${ns} inside <${where}>`,
  );
}

function signature(ctx: Ctx, el: XElement): SignatureElement {
  const { attrs } = attributes(ctx, el, ['algorithm']);
  const sig: SignatureElement = {
    value: ctx.value(el, parseBase64(textOf(ctx, el))),
    source: ctx.source(el),
  };
  const alg = attrs.get('algorithm');
  if (alg !== undefined) sig.algorithm = xmlTrim(alg);
  return sig;
}

function kind(ctx: Ctx, el: XElement): KindDefinition {
  const { attrs } = attributes(ctx, el, ['id', 'name']);
  const id = attrs.get('id');
  const name = attrs.get('name');
  if ((id === undefined) === (name === undefined))
    throw ctx.error(el, 'needs exactly one of the attributes id and name');
  const seen = new Set<string>();
  const k: Partial<KindDefinition> & { extensions: ExtensionElement[] } = { extensions: [] };
  if (id !== undefined) {
    const p = parseInteger(id, RANGES.id);
    if (!p.ok) throw ctx.error(el, `attribute id: ${p.why}`);
    k.id = p.value;
  }
  if (name !== undefined) {
    if (xmlTrim(name) === '') throw ctx.error(el, 'attribute name is empty');
    k.name = xmlTrim(name);
  }
  for (const c of children(ctx, el)) {
    if (isForeign(c)) {
      k.extensions.push(extension(ctx, c));
      continue;
    }
    if (c.namespaceURI !== NS_CONFIG_BASE) throw unknownElement(ctx, c, 'kind');
    if (seen.has(c.localName)) throw ctx.error(c, 'appears more than once');
    seen.add(c.localName);
    attributes(ctx, c, []);
    switch (c.localName) {
      case 'max-count':
        k.maxCount = intText(ctx, c, RANGES['max-count']);
        break;
      case 'max-size':
        k.maxSize = intText(ctx, c, RANGES['max-size']);
        break;
      case 'max-node-multiple':
        k.maxNodeMultiple = intText(ctx, c, RANGES['max-node-multiple']);
        break;
      case 'data-model':
        k.dataModel = nonEmptyText(ctx, c);
        break;
      case 'access-control':
        k.accessControl = nonEmptyText(ctx, c);
        break;
      default:
        throw unknownElement(ctx, c, 'kind');
    }
  }
  for (const req of ['max-count', 'max-size', 'data-model', 'access-control'])
    if (!seen.has(req)) throw ctx.error(el, `missing required element <${req}>`);
  if (k.accessControl === 'NODE-MULTIPLE' && k.maxNodeMultiple === undefined)
    throw ctx.error(
      el,
      'access-control NODE-MULTIPLE requires <max-node-multiple> (RFC 6940 §11.1)',
    );
  k.source = ctx.source(el);
  return k as KindDefinition;
}

function kindBlock(ctx: Ctx, el: XElement): KindBlock {
  attributes(ctx, el, []);
  let def: KindDefinition | undefined;
  let sig: SignatureElement | undefined;
  for (const c of children(ctx, el)) {
    if (c.namespaceURI === NS_CONFIG_BASE && c.localName === 'kind') {
      if (def !== undefined) throw ctx.error(c, 'appears more than once');
      def = kind(ctx, c);
    } else if (c.namespaceURI === NS_CONFIG_BASE && c.localName === 'kind-signature') {
      if (sig !== undefined) throw ctx.error(c, 'appears more than once');
      sig = signature(ctx, c);
    } else throw unknownElement(ctx, c, 'kind-block');
  }
  if (def === undefined) throw ctx.error(el, 'missing required element <kind>');
  return sig === undefined ? { kind: def } : { kind: def, signature: sig };
}

/** Elements that may appear at most once inside <configuration>. */
const SINGLE = new Set([
  'topology-plugin',
  'node-id-length',
  'self-signed-permitted',
  'turn-density',
  'clients-permitted',
  'no-ice',
  'shared-secret',
  'max-message-size',
  'initial-ttl',
  'overlay-reliability-timer',
  'required-kinds',
]);

/** Every config-base element allowed inside <configuration>. */
const KNOWN = new Set([
  ...SINGLE,
  'root-cert',
  'enrollment-server',
  'bootstrap-node',
  'overlay-link-protocol',
  'configuration-signer',
  'kind-signer',
  'bad-node',
  'mandatory-extension',
]);

function configuration(ctx: Ctx, el: XElement): Configuration {
  const { attrs, foreign } = attributes(ctx, el, ['instance-name', 'expiration', 'sequence'], true);
  const instanceName = attrs.get('instance-name');
  if (instanceName === undefined) throw ctx.error(el, "missing attribute 'instance-name'");
  if (xmlTrim(instanceName) === '') throw ctx.error(el, "attribute 'instance-name' is empty");
  const c: Configuration = {
    instanceName: xmlTrim(instanceName),
    sequence: CONFIG_DEFAULTS.sequence,
    foreignAttributes: foreign,
    topologyPlugin: CONFIG_DEFAULTS.topologyPlugin,
    nodeIdLength: CONFIG_DEFAULTS.nodeIdLength,
    rootCerts: [],
    enrollmentServers: [],
    bootstrapNodes: [],
    turnDensity: CONFIG_DEFAULTS.turnDensity,
    clientsPermitted: CONFIG_DEFAULTS.clientsPermitted,
    noIce: CONFIG_DEFAULTS.noIce,
    maxMessageSize: CONFIG_DEFAULTS.maxMessageSize,
    initialTtl: CONFIG_DEFAULTS.initialTtl,
    overlayReliabilityTimer: CONFIG_DEFAULTS.overlayReliabilityTimer,
    overlayLinkProtocols: [],
    configurationSigners: [],
    kindSigners: [],
    badNodes: [],
    mandatoryExtensions: [],
    requiredKinds: [],
    chord: {
      pingInterval: CONFIG_DEFAULTS.chordPingInterval,
      updateInterval: CONFIG_DEFAULTS.chordUpdateInterval,
      reactive: CONFIG_DEFAULTS.chordReactive,
    },
    extensions: [],
    signatures: [],
  };
  const seq = attrs.get('sequence');
  if (seq !== undefined) {
    const p = parseInteger(seq, RANGES.sequence);
    if (!p.ok) throw ctx.error(el, `attribute sequence: ${p.why} (RFC 6940 §11.1)`);
    c.sequence = p.value;
  }
  const exp = attrs.get('expiration');
  if (exp !== undefined) {
    const p = parseDateTime(exp);
    if (!p.ok) throw ctx.error(el, `attribute expiration: ${p.why}`);
    c.expiration = p.value;
  }
  const seen = new Set<string>();
  for (const k of children(ctx, el)) {
    if (isForeign(k)) {
      c.extensions.push(extension(ctx, k));
      continue;
    }
    if (k.namespaceURI === NS_CONFIG_CHORD) {
      if (seen.has(`chord:${k.localName}`)) throw ctx.error(k, 'appears more than once');
      seen.add(`chord:${k.localName}`);
      attributes(ctx, k, []);
      switch (k.localName) {
        case 'chord-ping-interval':
          c.chord.pingInterval = intText(ctx, k, RANGES['chord-ping-interval']);
          break;
        case 'chord-update-interval':
          c.chord.updateInterval = intText(ctx, k, RANGES['chord-update-interval']);
          break;
        case 'chord-reactive':
          c.chord.reactive = boolText(ctx, k);
          break;
        default:
          throw unknownElement(ctx, k, 'configuration');
      }
      continue;
    }
    if (k.namespaceURI !== NS_CONFIG_BASE) throw unknownElement(ctx, k, 'configuration');
    // RFC 6940 §11.1 prose spells it "topology-plug-in"; the grammar and example say
    // "topology-plugin" (docs/decisions/0251). Both are read; we write "topology-plugin".
    const name = k.localName === 'topology-plug-in' ? 'topology-plugin' : k.localName;
    if (SINGLE.has(name)) {
      if (seen.has(name)) throw ctx.error(k, 'appears more than once');
      seen.add(name);
    }
    if (!KNOWN.has(name)) throw unknownElement(ctx, k, 'configuration');
    if (name !== 'bootstrap-node' && name !== 'self-signed-permitted') attributes(ctx, k, []);
    switch (name) {
      case 'topology-plugin':
        c.topologyPlugin = nonEmptyText(ctx, k);
        break;
      case 'node-id-length':
        c.nodeIdLength = intText(ctx, k, RANGES['node-id-length']);
        break;
      case 'root-cert': {
        const der = ctx.value(k, parseBase64(textOf(ctx, k)));
        if (der.length === 0) throw ctx.error(k, 'is empty');
        c.rootCerts.push(der);
        break;
      }
      case 'enrollment-server':
        c.enrollmentServers.push(ctx.value(k, parseHttpsUrl(textOf(ctx, k))));
        break;
      case 'self-signed-permitted': {
        const { attrs: a } = attributes(ctx, k, ['digest']);
        const digest = a.get('digest');
        // The grammar makes digest mandatory (§11.1.1).
        if (digest === undefined) throw ctx.error(k, "missing attribute 'digest'");
        if (xmlTrim(digest) === '') throw ctx.error(k, "attribute 'digest' is empty");
        c.selfSignedPermitted = { permitted: boolText(ctx, k), digest: xmlTrim(digest) };
        break;
      }
      case 'bootstrap-node': {
        const { attrs: a } = attributes(ctx, k, ['address', 'port']);
        const address = a.get('address');
        if (address === undefined) throw ctx.error(k, "missing attribute 'address'");
        const ip = parseIpAddress(address);
        if (!ip.ok) throw ctx.error(k, `attribute address: ${ip.why}`);
        let port: number = CONFIG_DEFAULTS.bootstrapPort;
        const portText = a.get('port');
        if (portText !== undefined) {
          const p = parseInteger(portText, RANGES.port);
          if (!p.ok) throw ctx.error(k, `attribute port: ${p.why}`);
          port = p.value;
        }
        if (xmlTrim(textOf(ctx, k)) !== '') throw ctx.error(k, 'must be empty');
        c.bootstrapNodes.push({ address: ip.value, port });
        break;
      }
      case 'turn-density':
        c.turnDensity = intText(ctx, k, RANGES['turn-density']);
        break;
      case 'clients-permitted':
        c.clientsPermitted = boolText(ctx, k);
        break;
      case 'no-ice':
        c.noIce = boolText(ctx, k);
        break;
      case 'shared-secret':
        c.sharedSecret = nonEmptyText(ctx, k);
        break;
      case 'max-message-size':
        c.maxMessageSize = intText(ctx, k, RANGES['max-message-size']);
        break;
      case 'initial-ttl':
        c.initialTtl = intText(ctx, k, RANGES['initial-ttl']);
        break;
      case 'overlay-reliability-timer':
        c.overlayReliabilityTimer = intText(ctx, k, RANGES['overlay-reliability-timer']);
        break;
      case 'overlay-link-protocol':
        c.overlayLinkProtocols.push(nonEmptyText(ctx, k));
        break;
      case 'configuration-signer':
        c.configurationSigners.push(ctx.value(k, parseNodeIdHex(textOf(ctx, k))));
        break;
      case 'kind-signer':
        c.kindSigners.push(ctx.value(k, parseNodeIdHex(textOf(ctx, k))));
        break;
      case 'bad-node':
        c.badNodes.push(ctx.value(k, parseNodeIdHex(textOf(ctx, k))));
        break;
      case 'mandatory-extension':
        c.mandatoryExtensions.push(nonEmptyText(ctx, k));
        break;
      case 'required-kinds':
        for (const b of children(ctx, k)) {
          if (b.namespaceURI !== NS_CONFIG_BASE || b.localName !== 'kind-block')
            throw unknownElement(ctx, b, 'required-kinds');
          c.requiredKinds.push(kindBlock(ctx, b));
        }
        break;
      default:
        throw unknownElement(ctx, k, 'configuration');
    }
  }
  if (c.overlayLinkProtocols.length === 0)
    c.overlayLinkProtocols = [...CONFIG_DEFAULTS.overlayLinkProtocols];
  c.source = ctx.source(el);
  return c;
}

function scan(text: string, map: SourceMap): ScannedElement[] {
  try {
    return scanElements(text);
  } catch (e) {
    const off = /offset (\d+): (.*)$/.exec((e as Error).message);
    throw new ReloadError(
      'CONFIG_INVALID',
      off === null
        ? (e as Error).message
        : `line ${map.line(Number(off[1]))}: malformed XML: ${off[2]}`,
    );
  }
}

/**
 * Parses an RFC 6940 §11.1 configuration document (`application/p2p-overlay+xml`, UTF-8).
 *
 * Checks well-formedness, namespaces, the structure of the §11.1.1 grammar (with the
 * fixes recorded in docs/decisions/0250–0255) and the value rules of the §11.1 prose.
 * Keeps the exact bytes of each `<configuration>` and `<kind>` element (`source`), which is
 * what §11.1 signatures cover. Does not verify signatures (see `verifyConfiguration`).
 *
 * @param xml the document, as text or as UTF-8 bytes.
 * @throws ReloadError code 'CONFIG_INVALID', message `line N: <element>: reason`.
 */
export function parseConfigurationDocument(xml: string | Uint8Array): ConfigurationDocument {
  let text: string;
  let bytes: Uint8Array;
  if (typeof xml === 'string') {
    text = xml;
    bytes = textEncoder.encode(xml);
  } else {
    try {
      text = textDecoder.decode(xml);
    } catch {
      throw new ReloadError('CONFIG_INVALID', 'the document is not valid UTF-8 (RFC 6940 §11.1)');
    }
    bytes = new Uint8Array(xml);
  }
  const decl = /^\uFEFF?<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']/.exec(text);
  if (decl !== null && !/^utf-8$/i.test(decl[1]))
    throw new ReloadError(
      'CONFIG_INVALID',
      `line 1: encoding '${decl[1]}' is not allowed, the document MUST use UTF-8 (RFC 6940 §11.1)`,
    );
  const map = new SourceMap(text);
  let scanned: ScannedElement[] | undefined;
  // Refuse DOCTYPE (entity declarations) before the DOM parser sees the text.
  if (/<!DOCTYPE/i.test(text)) scanned = scan(text, map);
  let doc: { documentElement: XElement | null };
  let first: { msg: string; line?: number } | undefined;
  try {
    const parser = new DOMParser({
      onError: (level, msg, context) => {
        if (level === 'warning') return;
        const loc = (context as { locator?: { lineNumber?: number } } | undefined)?.locator;
        first ??= { msg, ...((loc?.lineNumber ?? 0) < 1 ? {} : { line: loc?.lineNumber }) };
        throw new Error(msg);
      },
    });
    doc = parser.parseFromString(text.replace(/^\uFEFF/, ''), 'text/xml') as unknown as {
      documentElement: XElement | null;
    };
  } catch (e) {
    const what = first?.msg ?? (e as Error).message;
    throw new ReloadError(
      'CONFIG_INVALID',
      first?.line === undefined
        ? `malformed XML: ${what}`
        : `line ${first.line}: malformed XML: ${what}`,
      { cause: e },
    );
  }
  scanned ??= scan(text, map);
  const root = doc.documentElement;
  if (root === null) throw new ReloadError('CONFIG_INVALID', 'malformed XML: no root element');
  const ctx = new Ctx(text, bytes);
  const all = elementsInOrder(root);
  if (all.length !== scanned.length)
    throw new ReloadError('CONFIG_INVALID', 'malformed XML: element structure not understood');
  all.forEach((el, i) => {
    const s = scanned[i];
    if (s.qname !== el.tagName)
      throw new ReloadError(
        'CONFIG_INVALID',
        `line ${map.line(s.start)}: malformed XML: element structure not understood`,
      );
    ctx.ranges.set(el, s);
  });
  if (root.localName !== 'overlay')
    throw ctx.error(root, 'the root element must be <overlay> (RFC 6940 §11.1)');
  if (root.namespaceURI !== NS_CONFIG_BASE)
    throw ctx.error(
      root,
      `namespace ${root.namespaceURI === null || root.namespaceURI === '' ? '(none)' : `'${root.namespaceURI}'`} is not ${NS_CONFIG_BASE}`,
    );
  attributes(ctx, root, []);
  const configurations: Configuration[] = [];
  for (const k of children(ctx, root)) {
    if (k.namespaceURI === NS_CONFIG_BASE && k.localName === 'configuration') {
      configurations.push(configuration(ctx, k));
    } else if (k.namespaceURI === NS_CONFIG_BASE && k.localName === 'signature') {
      const last = configurations[configurations.length - 1];
      // §11.1: "Each configuration element MAY be followed by signature elements".
      if (last === undefined) throw ctx.error(k, 'a <signature> must follow a <configuration>');
      last.signatures.push(signature(ctx, k));
    } else throw unknownElement(ctx, k, 'overlay');
  }
  if (configurations.length === 0)
    throw ctx.error(root, 'needs at least one <configuration> (RFC 6940 §11.1.1)');
  return { configurations, source: bytes };
}
