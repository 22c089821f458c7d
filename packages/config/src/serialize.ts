/**
 * Serializer of the RFC 6940 §11.1 configuration document: model → XML text that
 * validates against schema/reload-config.rng and re-parses to the same model.
 */
import { ReloadError } from '@reload/wire';
import { CONFIG_DEFAULTS, NS_CONFIG_BASE, NS_CONFIG_CHORD } from './constants.js';
import type {
  Configuration,
  ConfigurationDocument,
  ExtensionElement,
  KindBlock,
  SignatureElement,
} from './model.js';
import { checkConfiguration } from './rules.js';
import { escapeAttr, escapeText, formatBase64, formatDateTime } from './values.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const RESERVED_PREFIXES = new Set(['', 'chord', 'xml', 'xmlns']);

/** Prefix → namespace declarations hoisted to <overlay>. */
class Namespaces {
  readonly decls = new Map<string, string>([
    ['', NS_CONFIG_BASE],
    ['chord', NS_CONFIG_CHORD],
  ]);

  /** Declares `uri` under `prefix` if free; returns the prefix to use. */
  attributePrefix(prefix: string, uri: string): string {
    if (uri === XML_NS) return 'xml'; // bound by definition, never declared
    for (const [p, u] of this.decls) if (u === uri && p !== '') return p;
    let p = prefix;
    for (
      let k = 1;
      RESERVED_PREFIXES.has(p) || (this.decls.has(p) && this.decls.get(p) !== uri);
      k++
    )
      p = `ns${k}`;
    this.decls.set(p, uri);
    return p;
  }

  /** Hoists what `e.xml` needs; returns its text with declarations added where they clash. */
  extension(e: ExtensionElement): string {
    let xml = e.xml;
    for (const [p, uri] of Object.entries(e.namespaces)) {
      const have = this.decls.get(p);
      if (have === uri) continue;
      if (have === undefined && !RESERVED_PREFIXES.has(p)) {
        this.decls.set(p, uri);
        continue;
      }
      const attr = p === '' ? 'xmlns' : `xmlns:${p}`;
      const m = /^<[^\s/>]+/.exec(xml);
      const startTag = /^<[^>]*>/.exec(xml)?.[0] ?? '';
      if (m !== null && !new RegExp(`\\s${attr}\\s*=`).test(startTag))
        xml = `${m[0]} ${attr}="${escapeAttr(uri)}"${xml.slice(m[0].length)}`;
    }
    return xml;
  }
}

function el(indent: string, name: string, text: string): string {
  return `${indent}<${name}>${escapeText(text)}</${name}>\n`;
}

/** Base64 content: one line when short, else 64-column lines and the closing indent. */
function base64Content(bytes: Uint8Array, indent: string): string {
  const f = formatBase64(bytes, 64, `${indent}  `);
  return f.startsWith('\n') ? `${f}${indent}` : f;
}

function signatureXml(indent: string, name: string, s: SignatureElement): string {
  const alg = s.algorithm === undefined ? '' : ` algorithm="${escapeAttr(s.algorithm)}"`;
  return `${indent}<${name}${alg}>${base64Content(s.value, indent)}</${name}>\n`;
}

function kindBlockXml(ns: Namespaces, b: KindBlock, indent: string): string {
  const k = b.kind;
  const i2 = `${indent}  `;
  const i3 = `${indent}    `;
  const attr = k.id !== undefined ? `id="${k.id}"` : `name="${escapeAttr(k.name ?? '')}"`;
  let s = `${indent}<kind-block>\n${i2}<kind ${attr}>\n`;
  s += el(i3, 'data-model', k.dataModel);
  s += el(i3, 'access-control', k.accessControl);
  s += el(i3, 'max-count', String(k.maxCount));
  s += el(i3, 'max-size', String(k.maxSize));
  if (k.maxNodeMultiple !== undefined) s += el(i3, 'max-node-multiple', String(k.maxNodeMultiple));
  for (const e of k.extensions) s += `${i3}${ns.extension(e)}\n`;
  s += `${i2}</kind>\n`;
  if (b.signature !== undefined) s += signatureXml(i2, 'kind-signature', b.signature);
  return `${s}${indent}</kind-block>\n`;
}

function configurationXml(ns: Namespaces, c: Configuration, indent: string): string {
  checkConfiguration(c);
  const i2 = `${indent}  `;
  let attrs = ` instance-name="${escapeAttr(c.instanceName)}" sequence="${c.sequence}"`;
  if (c.expiration !== undefined) attrs += ` expiration="${formatDateTime(c.expiration)}"`;
  for (const a of c.foreignAttributes) {
    const p = ns.attributePrefix(a.prefix, a.namespaceURI);
    attrs += ` ${p}:${a.localName}="${escapeAttr(a.value)}"`;
  }
  let s = `${indent}<configuration${attrs}>\n`;
  s += el(i2, 'topology-plugin', c.topologyPlugin);
  s += el(i2, 'node-id-length', String(c.nodeIdLength));
  for (const r of c.rootCerts) s += `${i2}<root-cert>${base64Content(r, i2)}</root-cert>\n`;
  for (const u of c.enrollmentServers) s += el(i2, 'enrollment-server', u);
  if (c.selfSignedPermitted !== undefined)
    s += `${i2}<self-signed-permitted digest="${escapeAttr(c.selfSignedPermitted.digest)}">${c.selfSignedPermitted.permitted}</self-signed-permitted>\n`;
  for (const b of c.bootstrapNodes)
    s += `${i2}<bootstrap-node address="${escapeAttr(b.address)}" port="${b.port}"/>\n`;
  if (c.turnDensity !== CONFIG_DEFAULTS.turnDensity)
    s += el(i2, 'turn-density', String(c.turnDensity));
  if (c.clientsPermitted !== CONFIG_DEFAULTS.clientsPermitted)
    s += el(i2, 'clients-permitted', String(c.clientsPermitted));
  if (c.noIce !== CONFIG_DEFAULTS.noIce) s += el(i2, 'no-ice', String(c.noIce));
  const chord =
    c.topologyPlugin === 'CHORD-RELOAD' ||
    c.chord.pingInterval !== CONFIG_DEFAULTS.chordPingInterval ||
    c.chord.updateInterval !== CONFIG_DEFAULTS.chordUpdateInterval ||
    c.chord.reactive !== CONFIG_DEFAULTS.chordReactive;
  if (chord) {
    s += el(i2, 'chord:chord-update-interval', String(c.chord.updateInterval));
    s += el(i2, 'chord:chord-ping-interval', String(c.chord.pingInterval));
    s += el(i2, 'chord:chord-reactive', String(c.chord.reactive));
  }
  if (c.sharedSecret !== undefined) s += el(i2, 'shared-secret', c.sharedSecret);
  s += el(i2, 'max-message-size', String(c.maxMessageSize));
  s += el(i2, 'initial-ttl', String(c.initialTtl));
  s += el(i2, 'overlay-reliability-timer', String(c.overlayReliabilityTimer));
  const protocols = c.overlayLinkProtocols.length === 0 ? ['TLS'] : c.overlayLinkProtocols;
  for (const p of protocols) s += el(i2, 'overlay-link-protocol', p);
  for (const n of c.configurationSigners) s += el(i2, 'configuration-signer', n);
  for (const n of c.kindSigners) s += el(i2, 'kind-signer', n);
  for (const n of c.badNodes) s += el(i2, 'bad-node', n);
  for (const e of c.extensions) s += `${i2}${ns.extension(e)}\n`;
  for (const m of c.mandatoryExtensions) s += el(i2, 'mandatory-extension', m);
  if (c.requiredKinds.length > 0) {
    s += `${i2}<required-kinds>\n`;
    for (const b of c.requiredKinds) s += kindBlockXml(ns, b, `${i2}  `);
    s += `${i2}</required-kinds>\n`;
  }
  s += `${indent}</configuration>\n`;
  for (const sig of c.signatures) s += signatureXml(indent, 'signature', sig);
  return s;
}

/**
 * Serializes a configuration document (RFC 6940 §11.1) to UTF-8 XML text.
 *
 * Elements whose value equals the RFC default may be omitted (they re-parse to the same
 * value); extension elements are written back unchanged, their namespace declarations
 * hoisted to `<overlay>`. Signature elements in the model are written as they are — they
 * only verify if the configuration bytes did not change, so sign after serializing
 * (`signConfiguration`).
 *
 * @throws ReloadError 'CONFIG_INVALID' when the model breaks a §11.1 rule.
 */
export function serializeConfiguration(
  doc: ConfigurationDocument | Configuration | readonly Configuration[],
): string {
  const configs: readonly Configuration[] = Array.isArray(doc)
    ? (doc as readonly Configuration[])
    : 'configurations' in (doc as object)
      ? (doc as ConfigurationDocument).configurations
      : [doc as Configuration];
  if (configs.length === 0)
    throw new ReloadError('CONFIG_INVALID', '<overlay>: needs at least one <configuration>');
  const ns = new Namespaces();
  const body = configs.map((c) => configurationXml(ns, c, '  ')).join('');
  let decls = '';
  for (const [p, uri] of ns.decls)
    decls += p === '' ? ` xmlns="${escapeAttr(uri)}"` : `\n    xmlns:${p}="${escapeAttr(uri)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<overlay${decls}>\n${body}</overlay>\n`;
}
