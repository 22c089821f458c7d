/**
 * Typed model of the RFC 6940 §11.1 configuration document (`application/p2p-overlay+xml`).
 *
 * Values are resolved: where the RFC gives a default for an absent element, the field holds
 * that default (see {@link CONFIG_DEFAULTS}). Fields named `source` exist only on parsed
 * models: they keep the exact bytes that §11.1 signatures cover.
 */

/** Where a parsed element sits in the original document (byte offsets, 1-based line). */
export interface ElementSource {
  /** The exact bytes of the element, from its first `<` to its last `>` (a copy). */
  bytes: Uint8Array;
  /** Byte offset of the element's first `<` in the document. */
  start: number;
  /** Byte offset just after the element's last `>`. */
  end: number;
  /** 1-based line of the element's first `<`. */
  line: number;
}

/** A `<signature>` or `<kind-signature>` element: base64 of a RELOAD SecurityBlock (§11.1). */
export interface SignatureElement {
  /** The optional `algorithm` attribute of the grammar (informational; §11.1.1). */
  algorithm?: string;
  /** The decoded base64 content (a SecurityBlock when well formed, §6.3.4). */
  value: Uint8Array;
  /** Where the element was in the parsed document. */
  source?: ElementSource;
}

/** An attribute from a foreign namespace on `<configuration>` (kept, re-serialized). */
export interface ForeignAttribute {
  namespaceURI: string;
  /** Prefix used in the source (a fresh one is chosen on serialization if it clashes). */
  prefix: string;
  localName: string;
  value: string;
}

/**
 * An element from a namespace other than config-base / config-chord (an extension,
 * §11.1.1 `foreign-elements`), kept as raw XML and re-serialized unchanged.
 */
export interface ExtensionElement {
  namespaceURI: string;
  localName: string;
  /** The element's exact source text, from `<` to `>`. */
  xml: string;
  /**
   * Namespace declarations inherited from ancestors that `xml` relies on
   * (prefix → URI, `''` for a default namespace).
   */
  namespaces: Record<string, string>;
}

/** `<bootstrap-node address port>` (§11.1). */
export interface BootstrapNode {
  /** IPv4 or IPv6 address, as written (RFC 5952 form for IPv6). */
  address: string;
  /** TCP/UDP port; 6084 when the attribute is absent. */
  port: number;
}

/** `<self-signed-permitted digest>` (§11.1). */
export interface SelfSignedPermitted {
  permitted: boolean;
  /** Digest used to compute a self-signed Node-ID: "sha1" or "sha256" (others kept). */
  digest: string;
}

/** CHORD-RELOAD parameters (namespace config-chord, §10, §11.1). */
export interface ChordParameters {
  /** chord-ping-interval, seconds (default 3600, §10.7.4.2). */
  pingInterval: number;
  /** chord-update-interval, seconds (default 600, §10.7.4.1). */
  updateInterval: number;
  /** chord-reactive (default true). */
  reactive: boolean;
}

/** `<kind>` (§11.1): exactly one of `id` or `name`. */
export interface KindDefinition {
  /** Kind-ID (xsd:unsignedInt), when the kind is given by id. */
  id?: number;
  /** IANA Kind name (e.g. "SIP-REGISTRATION"), when the kind is given by name. */
  name?: string;
  /** Data model: "SINGLE", "ARRAY", "DICTIONARY" or an extension name. */
  dataModel: string;
  /** Access-control policy: "USER-MATCH", "NODE-MATCH", "USER-NODE-MATCH", "NODE-MULTIPLE"… */
  accessControl: string;
  /** max-count: maximum number of values members must support. */
  maxCount: number;
  /** max-size: maximum size of one value, bytes. */
  maxSize: number;
  /** max-node-multiple: required when accessControl is NODE-MULTIPLE; > 0. */
  maxNodeMultiple?: number;
  /** Unknown parameters from other namespaces, kept raw. */
  extensions: ExtensionElement[];
  /** Exact bytes of `<kind>…</kind>` (what the kind-signature covers). */
  source?: ElementSource;
}

/** `<kind-block>`: a kind and its kind-signature (§11.1). */
export interface KindBlock {
  kind: KindDefinition;
  /** Required by the prose, optional in the grammar: absent in unsigned documents. */
  signature?: SignatureElement;
}

/** One `<configuration>` element and the `<signature>` elements that follow it (§11.1). */
export interface Configuration {
  /** instance-name: the overlay name. */
  instanceName: string;
  /** expiration (xsd:dateTime, UTC); undefined when absent. */
  expiration?: Date;
  /** sequence, 0..65534 (§11.1, §6.3.2.1); 0 when absent. */
  sequence: number;
  /** Attributes from other namespaces. */
  foreignAttributes: ForeignAttribute[];
  /** topology-plugin (default "CHORD-RELOAD"). */
  topologyPlugin: string;
  /** node-id-length in bytes, 16..20 (default 16). */
  nodeIdLength: number;
  /** root-cert elements: DER X.509 certificates (may be empty). */
  rootCerts: Uint8Array[];
  /** enrollment-server URLs (https:). */
  enrollmentServers: string[];
  /** self-signed-permitted, when present. */
  selfSignedPermitted?: SelfSignedPermitted;
  /** bootstrap-node elements. */
  bootstrapNodes: BootstrapNode[];
  /** turn-density, 0..255 (default 1). */
  turnDensity: number;
  /** clients-permitted (default true). */
  clientsPermitted: boolean;
  /** no-ice (default false). */
  noIce: boolean;
  /** shared-secret, when present (§4.1.1). */
  sharedSecret?: string;
  /** max-message-size, bytes (default 5000). */
  maxMessageSize: number;
  /** initial-ttl, hops (default 100). */
  initialTtl: number;
  /** overlay-reliability-timer, milliseconds, ≥ 200 (default 3000). */
  overlayReliabilityTimer: number;
  /** overlay-link-protocol values (default ["TLS"]). */
  overlayLinkProtocols: string[];
  /** configuration-signer Node-IDs, lower-case hex. */
  configurationSigners: string[];
  /** kind-signer Node-IDs, lower-case hex. */
  kindSigners: string[];
  /** bad-node Node-IDs, lower-case hex. */
  badNodes: string[];
  /** mandatory-extension namespace names. */
  mandatoryExtensions: string[];
  /** required-kinds/kind-block elements. */
  requiredKinds: KindBlock[];
  /** CHORD-RELOAD parameters (defaults when absent). */
  chord: ChordParameters;
  /** Unknown elements from other namespaces, kept raw. */
  extensions: ExtensionElement[];
  /** `<signature>` elements following this configuration. */
  signatures: SignatureElement[];
  /** Exact bytes of `<configuration>…</configuration>` (what the signature covers). */
  source?: ElementSource;
}

/** The whole document: the `<overlay>` root and its configurations (§11.1). */
export interface ConfigurationDocument {
  configurations: Configuration[];
  /** The document's bytes as parsed (UTF-8). */
  source?: Uint8Array;
}
