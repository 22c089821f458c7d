/**
 * The "naked" (unsigned) configuration document of an overlay (RFC 6940 §11.1): the default
 * document written by provisioning, the edits the server makes itself (sequence, expiration,
 * enrollment-server), and the rules an OAM upload must satisfy.
 */
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { ReloadError } from '@reload/wire';

/** RFC 6940 §14.17 namespace of the base configuration elements. */
export const CONFIG_BASE_NS = 'urn:ietf:params:xml:ns:p2p:config-base';
/** RFC 6940 §14.17 namespace of the CHORD-RELOAD configuration elements. */
export const CONFIG_CHORD_NS = 'urn:ietf:params:xml:ns:p2p:config-chord';
/** Sequence numbers wrap modulo 65535 (RFC 6940 §6.3.2.1, §11.1: 0 … 2^16-2). */
export const SEQUENCE_MODULUS = 65535;

/** Inputs of {@link defaultNakedConfiguration}. */
export interface DefaultConfigurationParams {
  /** Overlay name (instance-name). */
  overlay: string;
  /** Sequence number (0 … 65534). */
  sequence: number;
  /** Expiration time (the configuration signer's notAfter). */
  expiration: Date;
  /** DER of the overlay CA certificate (root-cert). */
  rootCert: Uint8Array;
  /** https URL of the enrollment server. */
  enrollmentServer: string;
  /** Node-ID of the configuration signer, hexadecimal. */
  configurationSigner: string;
  /**
   * Node-ID (hex) of the kind-signer (the server signs the kind-blocks with the configuration
   * signer's credentials, decision 0454); omitted when undefined.
   */
  kindSigner?: string;
}

/** RFC 3339 UTC without fractional seconds, as §11.1 requires for `expiration`. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * The default naked configuration with the minimum parameters: instance-name, sequence,
 * expiration, topology-plugin CHORD-RELOAD, root-cert, enrollment-server,
 * configuration-signer, the kind-signer (when given), overlay-link-protocol TLS, and
 * required-kinds for the §8 certificate kinds (CERTIFICATE_BY_NODE / NODE-MATCH,
 * CERTIFICATE_BY_USER / USER-MATCH, both ARRAY; their kind-signatures are added at signing).
 */
export function defaultNakedConfiguration(p: DefaultConfigurationParams): string {
  const b64 = Buffer.from(p.rootCert).toString('base64');
  return `<?xml version="1.0" encoding="UTF-8"?>
<overlay xmlns="${CONFIG_BASE_NS}" xmlns:chord="${CONFIG_CHORD_NS}">
  <configuration instance-name="${escapeXml(p.overlay)}" sequence="${p.sequence}" expiration="${rfc3339(p.expiration)}">
    <topology-plugin>CHORD-RELOAD</topology-plugin>
    <root-cert>${b64}</root-cert>
    <enrollment-server>${escapeXml(p.enrollmentServer)}</enrollment-server>
    <configuration-signer>${p.configurationSigner}</configuration-signer>
${p.kindSigner === undefined ? '' : `    <kind-signer>${p.kindSigner}</kind-signer>\n`}    <overlay-link-protocol>TLS</overlay-link-protocol>
    <max-message-size>5000</max-message-size>
    <initial-ttl>100</initial-ttl>
    <clients-permitted>true</clients-permitted>
    <chord:chord-ping-interval>3600</chord:chord-ping-interval>
    <chord:chord-update-interval>600</chord:chord-update-interval>
    <chord:chord-reactive>true</chord:chord-reactive>
    <required-kinds>
      <kind-block>
        <kind name="CERTIFICATE_BY_NODE">
          <data-model>ARRAY</data-model>
          <access-control>NODE-MATCH</access-control>
          <max-count>4</max-count>
          <max-size>8192</max-size>
        </kind>
      </kind-block>
      <kind-block>
        <kind name="CERTIFICATE_BY_USER">
          <data-model>ARRAY</data-model>
          <access-control>USER-MATCH</access-control>
          <max-count>4</max-count>
          <max-size>8192</max-size>
        </kind>
      </kind-block>
    </required-kinds>
  </configuration>
</overlay>
`;
}

/**
 * An OAM upload that breaks a rule (issue 4 item 5). `rule` is a stable identifier,
 * `element` names the offending element or attribute, `statusCode` is the HTTP status (4xx).
 */
export class ConfigurationRuleError extends ReloadError {
  /** Stable rule identifier, e.g. `sequence`, `unchanged`, `forbidden-element`. */
  readonly rule: string;
  /** The element (or `element@attribute`) concerned. */
  readonly element: string;
  /** HTTP status to answer with. */
  readonly statusCode: number;

  constructor(rule: string, element: string, detail: string, statusCode = 422) {
    super('CONFIG_RULE_VIOLATION', `rule ${rule} broken at <${element}>: ${detail}`);
    this.rule = rule;
    this.element = element;
    this.statusCode = statusCode;
  }
}

/** A parsed naked configuration: its DOM and the single `<configuration>` element. */
export interface ParsedNakedConfiguration {
  /** The DOM (xmldom). */
  document: Document;
  /** The `<configuration>` element. */
  configuration: Element;
  /** instance-name attribute. */
  instanceName: string;
  /** sequence attribute (0 when absent). */
  sequence: number;
  /** expiration attribute text ('' when absent). */
  expiration: string;
}

function childElements(e: Element): Element[] {
  const out: Element[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

function text(e: Element): string {
  return (e.textContent ?? '').trim();
}

function lineOf(e: Element): string {
  const l = (e as unknown as { lineNumber?: number }).lineNumber;
  return l === undefined ? '' : ` (line ${l})`;
}

/**
 * Parses a naked configuration and checks it against the RFC 6940 §11.1.1 grammar (the
 * structure the servers rely on): root `<overlay>` in the config-base namespace, exactly one
 * `<configuration>` with instance-name, known base and chord elements with the right value
 * types, kind-blocks with their mandatory parameters.
 * @throws ConfigurationRuleError rule `xml` (not well-formed), `grammar` (not conforming),
 *   `single-configuration` (more than one configuration element).
 */
export function parseNakedConfiguration(xml: string): ParsedNakedConfiguration {
  let document: Document;
  const problems: string[] = [];
  try {
    document = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') problems.push(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (e) {
    throw new ConfigurationRuleError(
      'xml',
      'document',
      `not well-formed XML: ${(e as Error).message}`,
      400,
    );
  }
  if (problems.length > 0) {
    throw new ConfigurationRuleError('xml', 'document', `not well-formed XML: ${problems[0]}`, 400);
  }
  const root = document.documentElement;
  if (!root || root.localName !== 'overlay' || root.namespaceURI !== CONFIG_BASE_NS) {
    throw new ConfigurationRuleError(
      'grammar',
      root?.tagName ?? 'document',
      `the root element must be <overlay> in namespace ${CONFIG_BASE_NS}`,
      400,
    );
  }
  const configurations: Element[] = [];
  for (const c of childElements(root)) {
    if (c.namespaceURI === CONFIG_BASE_NS && c.localName === 'configuration')
      configurations.push(c);
    else if (c.namespaceURI === CONFIG_BASE_NS && c.localName === 'signature') continue;
    else
      throw new ConfigurationRuleError(
        'grammar',
        c.tagName,
        `only <configuration> and <signature> may appear in <overlay>${lineOf(c)}`,
        400,
      );
  }
  if (configurations.length === 0) {
    throw new ConfigurationRuleError('grammar', 'configuration', 'no <configuration> element', 400);
  }
  for (const c of configurations) checkConfigurationGrammar(c);
  if (configurations.length > 1) {
    throw new ConfigurationRuleError(
      'single-configuration',
      'configuration',
      `exactly one <configuration> is allowed, found ${configurations.length}`,
    );
  }
  const configuration = configurations[0];
  const seqText = configuration.getAttribute('sequence');
  return {
    document,
    configuration,
    instanceName: configuration.getAttribute('instance-name') ?? '',
    sequence: seqText === null || seqText.trim() === '' ? 0 : Number(seqText.trim()),
    expiration: (configuration.getAttribute('expiration') ?? '').trim(),
  };
}

type ValueType =
  'string' | 'int' | 'unsignedInt' | 'unsignedByte' | 'boolean' | 'base64' | 'uri' | 'empty';

const BASE_PARAMETERS: Record<string, { type: ValueType; single: boolean }> = {
  'topology-plugin': { type: 'string', single: true },
  'max-message-size': { type: 'unsignedInt', single: true },
  'initial-ttl': { type: 'int', single: true },
  'root-cert': { type: 'base64', single: false },
  'required-kinds': { type: 'empty', single: true },
  'enrollment-server': { type: 'uri', single: false },
  'kind-signer': { type: 'string', single: false },
  'configuration-signer': { type: 'string', single: false },
  'bad-node': { type: 'string', single: false },
  'no-ice': { type: 'boolean', single: true },
  'shared-secret': { type: 'string', single: true },
  'overlay-link-protocol': { type: 'string', single: false },
  'clients-permitted': { type: 'boolean', single: true },
  'turn-density': { type: 'unsignedByte', single: true },
  'node-id-length': { type: 'int', single: true },
  'mandatory-extension': { type: 'string', single: false },
  'self-signed-permitted': { type: 'boolean', single: true },
  'bootstrap-node': { type: 'empty', single: false },
  // In the §11.1 prose and example but missing from the §11.1.1 grammar: accepted.
  'overlay-reliability-timer': { type: 'unsignedInt', single: true },
};

const CHORD_PARAMETERS: Record<string, ValueType> = {
  'chord-ping-interval': 'int',
  'chord-update-interval': 'int',
  'chord-reactive': 'boolean',
};

function checkValue(e: Element, type: ValueType): void {
  const v = text(e);
  const bad = (what: string): never => {
    throw new ConfigurationRuleError(
      'grammar',
      e.tagName,
      `value "${v}" is not ${what}${lineOf(e)}`,
      400,
    );
  };
  switch (type) {
    case 'int':
      if (!/^[+-]?\d+$/.test(v) || Math.abs(Number(v)) > 2147483647) bad('an xsd:int');
      break;
    case 'unsignedInt':
      if (!/^\+?\d+$/.test(v) || Number(v) > 4294967295) bad('an xsd:unsignedInt');
      break;
    case 'unsignedByte':
      if (!/^\+?\d+$/.test(v) || Number(v) > 255) bad('an xsd:unsignedByte');
      break;
    case 'boolean':
      if (!/^(true|false|0|1)$/.test(v)) bad('an xsd:boolean');
      break;
    case 'base64':
      if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(v) || v.replace(/\s+/g, '').length % 4 !== 0)
        bad('base64');
      break;
    case 'uri':
      if (v === '' || /\s/.test(v)) bad('a URI');
      break;
    default:
      break;
  }
}

function checkConfigurationGrammar(c: Element): void {
  if (!c.hasAttribute('instance-name')) {
    throw new ConfigurationRuleError(
      'grammar',
      'configuration',
      'the instance-name attribute is required',
      400,
    );
  }
  const seq = c.getAttribute('sequence');
  if (seq !== null && !/^\s*[+-]?\d+\s*$/.test(seq)) {
    throw new ConfigurationRuleError(
      'grammar',
      'configuration@sequence',
      `"${seq}" is not an xsd:long`,
      400,
    );
  }
  const exp = c.getAttribute('expiration');
  if (
    exp !== null &&
    (!/^\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?\s*$/.test(exp) ||
      Number.isNaN(Date.parse(exp)))
  ) {
    throw new ConfigurationRuleError(
      'grammar',
      'configuration@expiration',
      `"${exp}" is not an xsd:dateTime`,
      400,
    );
  }
  for (let i = 0; i < c.attributes.length; i++) {
    const a = c.attributes.item(i)!;
    if (
      a.namespaceURI === null &&
      !['instance-name', 'sequence', 'expiration'].includes(a.localName ?? '')
    ) {
      throw new ConfigurationRuleError(
        'grammar',
        `configuration@${a.name}`,
        'unknown attribute',
        400,
      );
    }
  }
  const seen = new Set<string>();
  for (const p of childElements(c)) {
    const ns = p.namespaceURI;
    const name = p.localName ?? '';
    if (ns === CONFIG_BASE_NS) {
      const def = BASE_PARAMETERS[name];
      if (!def) {
        throw new ConfigurationRuleError(
          'grammar',
          p.tagName,
          `unknown configuration parameter${lineOf(p)}`,
          400,
        );
      }
      if (def.single && seen.has(name)) {
        throw new ConfigurationRuleError(
          'grammar',
          p.tagName,
          `may appear at most once${lineOf(p)}`,
          400,
        );
      }
      seen.add(name);
      checkValue(p, def.type);
      if (name === 'bootstrap-node') {
        if (!p.hasAttribute('address')) {
          throw new ConfigurationRuleError(
            'grammar',
            'bootstrap-node@address',
            'attribute required',
            400,
          );
        }
        const port = p.getAttribute('port');
        if (port !== null && !/^\s*\d+\s*$/.test(port)) {
          throw new ConfigurationRuleError(
            'grammar',
            'bootstrap-node@port',
            `"${port}" is not an xsd:int`,
            400,
          );
        }
      }
      if (name === 'self-signed-permitted' && !p.hasAttribute('digest')) {
        throw new ConfigurationRuleError(
          'grammar',
          'self-signed-permitted@digest',
          'attribute required',
          400,
        );
      }
      if (name === 'required-kinds') checkRequiredKinds(p);
    } else if (ns === CONFIG_CHORD_NS) {
      const type = CHORD_PARAMETERS[name];
      if (!type)
        throw new ConfigurationRuleError(
          'grammar',
          p.tagName,
          `unknown chord parameter${lineOf(p)}`,
          400,
        );
      checkValue(p, type);
    } else if (ns === null || ns === '') {
      throw new ConfigurationRuleError(
        'grammar',
        p.tagName,
        `element in no namespace${lineOf(p)}`,
        400,
      );
    }
    // Elements of other namespaces are foreign-elements: allowed.
  }
}

function checkRequiredKinds(rk: Element): void {
  for (const kb of childElements(rk)) {
    if (kb.namespaceURI !== CONFIG_BASE_NS || kb.localName !== 'kind-block') {
      throw new ConfigurationRuleError(
        'grammar',
        kb.tagName,
        `only <kind-block> may appear in <required-kinds>${lineOf(kb)}`,
        400,
      );
    }
    const kinds = childElements(kb).filter(
      (e) => e.namespaceURI === CONFIG_BASE_NS && e.localName === 'kind',
    );
    if (kinds.length !== 1) {
      throw new ConfigurationRuleError(
        'grammar',
        'kind-block',
        `needs exactly one <kind>${lineOf(kb)}`,
        400,
      );
    }
    for (const e of childElements(kb)) {
      if (
        e.namespaceURI !== CONFIG_BASE_NS ||
        (e.localName !== 'kind' && e.localName !== 'kind-signature')
      ) {
        throw new ConfigurationRuleError(
          'grammar',
          e.tagName,
          `not allowed in <kind-block>${lineOf(e)}`,
          400,
        );
      }
    }
    const kind = kinds[0];
    if (kind.hasAttribute('name') === kind.hasAttribute('id')) {
      throw new ConfigurationRuleError(
        'grammar',
        'kind',
        `needs either a name or an id attribute${lineOf(kind)}`,
        400,
      );
    }
    if (kind.hasAttribute('id') && !/^\s*\d+\s*$/.test(kind.getAttribute('id')!)) {
      throw new ConfigurationRuleError('grammar', 'kind@id', 'not an xsd:unsignedInt', 400);
    }
    const params = new Map<string, Element>();
    for (const e of childElements(kind)) {
      if (e.namespaceURI === CONFIG_BASE_NS) {
        if (
          !['max-count', 'max-size', 'max-node-multiple', 'data-model', 'access-control'].includes(
            e.localName ?? '',
          )
        ) {
          throw new ConfigurationRuleError(
            'grammar',
            e.tagName,
            `unknown kind parameter${lineOf(e)}`,
            400,
          );
        }
        params.set(e.localName!, e);
      }
    }
    for (const required of ['max-count', 'max-size', 'data-model', 'access-control']) {
      if (!params.has(required)) {
        throw new ConfigurationRuleError(
          'grammar',
          required,
          `missing in <kind>${lineOf(kind)}`,
          400,
        );
      }
    }
    for (const intParam of ['max-count', 'max-size', 'max-node-multiple']) {
      const e = params.get(intParam);
      if (e) checkValue(e, 'int');
    }
  }
}

function baseChildren(c: Element, name: string): Element[] {
  return childElements(c).filter((e) => e.namespaceURI === CONFIG_BASE_NS && e.localName === name);
}

function descendants(root: Element, name: string): Element[] {
  const out: Element[] = [];
  const walk = (e: Element): void => {
    for (const c of childElements(e)) {
      if (c.namespaceURI === CONFIG_BASE_NS && c.localName === name) out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function values(c: Element, name: string, normalize: (s: string) => string = (s) => s): string[] {
  return baseChildren(c, name).map((e) => normalize(text(e)));
}

const noSpace = (s: string): string => s.replace(/\s+/g, '');
const lower = (s: string): string => s.toLowerCase();

/** Options of {@link checkNakedConfigurationUpdate}. */
export interface UpdateCheckOptions {
  /**
   * Extra grammar validation run after the structural check (e.g. RELAX NG with xmllint, see
   * `validateWithXmllint` of @reload/config); throw (or reject) to refuse. Its message is
   * reported under rule `grammar`.
   */
  validate?: (xml: string) => void | Promise<void>;
}

/**
 * Checks an uploaded naked configuration against the current one (issue 4 item 5):
 * well-formed XML conforming to the RFC 6940 §11.1.1 grammar with the right namespaces;
 * sequence = current + 1 (mod 65535); instance-name, expiration, root-cert, enrollment-server
 * and configuration-signer unchanged; no node-id-length, shared-secret, kind-signer,
 * kind-signature or signature element added; no self-signed-permitted true; no additional
 * configuration element. (The optional {@link UpdateCheckOptions.validate} hook is run by
 * `ProvisioningStore.putNakedConfiguration`, between the structural check and these rules.)
 * @returns the parsed upload.
 * @throws ConfigurationRuleError naming the rule and the element (the first rule broken).
 */
export function checkNakedConfigurationUpdate(
  current: string,
  proposed: string,
): ParsedNakedConfiguration {
  const cur = parseNakedConfiguration(current);
  const next = parseNakedConfiguration(proposed);
  if (next.instanceName !== cur.instanceName) {
    throw new ConfigurationRuleError(
      'unchanged',
      'configuration@instance-name',
      `must stay "${cur.instanceName}", got "${next.instanceName}"`,
    );
  }
  const expected = (cur.sequence + 1) % SEQUENCE_MODULUS;
  if (!Number.isSafeInteger(next.sequence) || next.sequence !== expected) {
    throw new ConfigurationRuleError(
      'sequence',
      'configuration@sequence',
      `must be ${expected} (current ${cur.sequence} plus one, modulo ${SEQUENCE_MODULUS}), got ${next.configuration.getAttribute('sequence') ?? 'none'}`,
      409,
    );
  }
  if (next.expiration !== cur.expiration) {
    throw new ConfigurationRuleError(
      'unchanged',
      'configuration@expiration',
      `must stay "${cur.expiration}" (managed by the server), got "${next.expiration}"`,
    );
  }
  const unchanged: [string, (s: string) => string][] = [
    ['root-cert', noSpace],
    ['enrollment-server', (s) => s],
    ['configuration-signer', lower],
  ];
  for (const [name, norm] of unchanged) {
    const a = values(cur.configuration, name, norm).sort();
    const b = values(next.configuration, name, norm).sort();
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
      throw new ConfigurationRuleError('unchanged', name, 'must stay as the server set it');
    }
  }
  for (const name of [
    'node-id-length',
    'shared-secret',
    'kind-signer',
    'kind-signature',
    'signature',
  ]) {
    const inCur =
      name === 'signature' ? descendantsOfDoc(cur, name) : descendants(cur.configuration, name);
    const inNext =
      name === 'signature' ? descendantsOfDoc(next, name) : descendants(next.configuration, name);
    const have = new Map<string, number>();
    for (const e of inCur) have.set(noSpace(text(e)), (have.get(noSpace(text(e))) ?? 0) + 1);
    for (const e of inNext) {
      const k = noSpace(text(e));
      const n = have.get(k) ?? 0;
      if (n === 0)
        throw new ConfigurationRuleError('forbidden-element', name, `may not be added${lineOf(e)}`);
      have.set(k, n - 1);
    }
  }
  for (const e of baseChildren(next.configuration, 'self-signed-permitted')) {
    const v = text(e);
    if (v === 'true' || v === '1') {
      throw new ConfigurationRuleError(
        'self-signed',
        'self-signed-permitted',
        `may not be true${lineOf(e)}`,
      );
    }
  }
  return next;
}

function descendantsOfDoc(p: ParsedNakedConfiguration, name: string): Element[] {
  return p.document.documentElement ? descendants(p.document.documentElement, name) : [];
}

/** Server-made edits of {@link applyServerFields}. */
export interface ServerFields {
  /** New sequence number. */
  sequence?: number;
  /** New expiration. */
  expiration?: Date;
  /** Replace the enrollment-server element whose value is `from` with `to`. */
  enrollmentServer?: { from: string; to: string };
}

/**
 * Applies the edits the server makes itself (renewal: sequence and expiration; start: the
 * enrollment-server URL of this server) and returns the new document text.
 */
export function applyServerFields(xml: string, fields: ServerFields): string {
  const p = parseNakedConfiguration(xml);
  if (fields.sequence !== undefined)
    p.configuration.setAttribute('sequence', String(fields.sequence));
  if (fields.expiration !== undefined)
    p.configuration.setAttribute('expiration', rfc3339(fields.expiration));
  if (fields.enrollmentServer) {
    for (const e of baseChildren(p.configuration, 'enrollment-server')) {
      if (text(e) === fields.enrollmentServer.from) e.textContent = fields.enrollmentServer.to;
    }
  }
  let out = new XMLSerializer().serializeToString(p.document);
  if (xml.startsWith('<?xml') && !out.startsWith('<?xml'))
    out = `<?xml version="1.0" encoding="UTF-8"?>\n${out}`;
  if (!out.endsWith('\n')) out += '\n';
  return out;
}

/** The next sequence number after `n` (RFC 6940 §6.3.2.1: modulo 65535). */
export function nextSequence(n: number): number {
  return (n + 1) % SEQUENCE_MODULUS;
}
