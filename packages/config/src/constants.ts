/**
 * RFC 6940 §11.1 / §14.16 / §14.17 constants of the configuration document.
 */

/** RFC 6940 §14.17: namespace of the base configuration elements. */
export const NS_CONFIG_BASE = 'urn:ietf:params:xml:ns:p2p:config-base';
/** RFC 6940 §14.17: namespace of the CHORD-RELOAD configuration elements. */
export const NS_CONFIG_CHORD = 'urn:ietf:params:xml:ns:p2p:config-chord';
/** RFC 6940 §14.16: media type of a configuration document. */
export const CONFIG_MEDIA_TYPE = 'application/p2p-overlay+xml';
/** RFC 6940 §11.2 / §14.1: well-known path of the configuration document. */
export const CONFIG_WELL_KNOWN_PATH = '/.well-known/reload-config';
/** RFC 6940 §11.2 / §14.2: DNS SRV service label for configuration servers. */
export const CONFIG_SRV_SERVICE = '_reload-config._tcp';

/** Defaults of the §11.1 parameters when the element is absent. */
export const CONFIG_DEFAULTS = {
  /** §11.1 topology-plugin. */
  topologyPlugin: 'CHORD-RELOAD',
  /** §11.1 node-id-length, bytes. */
  nodeIdLength: 16,
  /** §11.1 bootstrap-node port. */
  bootstrapPort: 6084,
  /** §11.1 turn-density. */
  turnDensity: 1,
  /** §11.1 clients-permitted. */
  clientsPermitted: true,
  /** §11.1 no-ice. */
  noIce: false,
  /** §11.1 max-message-size, bytes. */
  maxMessageSize: 5000,
  /** §11.1 initial-ttl, hops. */
  initialTtl: 100,
  /** §11.1 overlay-reliability-timer, milliseconds. */
  overlayReliabilityTimer: 3000,
  /** §11.1 overlay-link-protocol: "TLS" when no element is present. */
  overlayLinkProtocols: ['TLS'] as readonly string[],
  /** §10.7.4.1 chord-update-interval, seconds ("about every ten minutes"). */
  chordUpdateInterval: 600,
  /** §10.7.4.2 chord-ping-interval, seconds. */
  chordPingInterval: 3600,
  /** §11.1 chord-reactive. */
  chordReactive: true,
  /** Configuration sequence when the attribute is absent. */
  sequence: 0,
} as const;

/** §11.1: overlay-reliability-timer "MUST be at least 200 milliseconds". */
export const MIN_OVERLAY_RELIABILITY_TIMER = 200;
/** §11.1: node-id-length is between 16 and 20 bytes. */
export const NODE_ID_LENGTH_RANGE = [16, 20] as const;
/** §11.1 / §6.3.2.1: sequence is 0..2^16-2; 65535 is reserved for ConfigUpdate. */
export const MAX_SEQUENCE = 65534;
