/**
 * RFC 6940 constants and code↔name tables, each with the RFC section that defines it
 * (house style §8). Numeric registries are `{ name: code }` objects (`as const`) plus a
 * {@link CodeTable} for code→name look-ups; string registries (data models, access-control
 * policies, overlay algorithms) are lists of names.
 */
import { ERROR_CODE_NAMES, ErrorCode, ReloadError } from './errors.js';

/** One registry entry: wire code, RFC name, defining section. */
export interface CodeEntry {
  readonly code: number;
  readonly name: string;
  /** RFC section that defines the value, e.g. `'RFC 6940 §14.8'`. */
  readonly section: string;
}

/** A code↔name registry: look up by code or by name. */
export interface CodeTable {
  /** Registry name, e.g. `'MessageCode'`. */
  readonly registry: string;
  /** Entries in code order. */
  readonly entries: readonly CodeEntry[];
  /** Entry for a code, or undefined when the code is not assigned. */
  byCode(code: number): CodeEntry | undefined;
  /** Entry for an RFC name, or undefined. */
  byName(name: string): CodeEntry | undefined;
  /** The RFC name of `code`, or `unknown(0x…)` when unassigned. */
  nameOf(code: number): string;
}

function makeTable(
  registry: string,
  values: Readonly<Record<string, number>>,
  section: string | Readonly<Record<string, string>>,
): CodeTable {
  const entries = Object.entries(values)
    .map(([name, code]) => ({
      code,
      name,
      section: typeof section === 'string' ? section : (section[name] ?? section['*']),
    }))
    .sort((a, b) => a.code - b.code);
  const codes = new Map(entries.map((e) => [e.code, e]));
  const names = new Map(entries.map((e) => [e.name, e]));
  return {
    registry,
    entries,
    byCode: (code) => codes.get(code),
    byName: (name) => names.get(name),
    nameOf: (code) => codes.get(code)?.name ?? `unknown(0x${code.toString(16)})`,
  };
}

// ---------------------------------------------------------------------------------------------
// §6.3.2 forwarding header fixed values

/** RFC 6940 §6.3.2: `relo_token`, "RELO" with the high bit of the first byte set. */
export const RELO_TOKEN = 0xd2454c4f;
/** RFC 6940 §6.3.2: protocol version 1.0 times 10. */
export const RELOAD_VERSION = 0x0a;
/** RFC 6940 §6.3.2: default and maximum initial TTL (unless the configuration says more). */
export const DEFAULT_TTL = 100;
/** RFC 6940 §6.3.2: size of the fixed part of the ForwardingHeader in bytes. */
export const FORWARDING_HEADER_FIXED_LENGTH = 38;
/** RFC 6940 §6.3.2 `fragment`: high bit, MUST be set ("for historical reasons"). */
export const FRAGMENT_HIGH_BIT = 0x80000000;
/** RFC 6940 §6.3.2 `fragment`: last (or only) fragment. */
export const FRAGMENT_LAST_BIT = 0x40000000;
/** RFC 6940 §6.3.2 `fragment`: six reserved bits (SHOULD be zero). */
export const FRAGMENT_RESERVED_MASK = 0x3f000000;
/** RFC 6940 §6.3.2 / §6.7 `fragment`: the 24-bit fragment offset. */
export const FRAGMENT_OFFSET_MASK = 0x00ffffff;
/** RFC 6940 §6.7: value of `fragment` for an unfragmented message. */
export const FRAGMENT_UNFRAGMENTED = 0xc0000000;
/** RFC 6940 §6.7: every fragment but the last carries at least this many body bytes. */
export const FRAGMENT_MIN_BODY = 256;
/** RFC 6940 §6.7: incomplete fragments time out after the maximum request lifetime (ms). */
export const FRAGMENT_REASSEMBLY_TIMEOUT_MS = 15_000;
/** RFC 6940 §6.3.2.1: configuration_sequence value accepted by ConfigUpdate regardless. */
export const CONFIG_SEQUENCE_ANY = 0xffff;
/** RFC 6940 §6.3.1.1 / §11.1: NodeId length bounds and default (bytes). */
export const NODE_ID_LENGTH_MIN = 16;
export const NODE_ID_LENGTH_MAX = 20;
export const NODE_ID_LENGTH_DEFAULT = 16;
/** RFC 6940 §11.1: default max-message-size (bytes). */
export const DEFAULT_MAX_MESSAGE_SIZE = 5000;
/** RFC 6940 §11.2 / §14.2: default port of RELOAD (reload-config and bootstrap). */
export const RELOAD_PORT = 6084;
/** RFC 6940 §7.4.1.1: array index meaning "append at the end". */
export const ARRAY_APPEND_INDEX = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// §14.8 message codes

/** RFC 6940 §6.3.3 / §14.8 message codes (uint16). */
export const MessageCode = {
  invalidMessageCode: 0x0,
  probe_req: 0x1,
  probe_ans: 0x2,
  attach_req: 0x3,
  attach_ans: 0x4,
  store_req: 0x7,
  store_ans: 0x8,
  fetch_req: 0x9,
  fetch_ans: 0xa,
  find_req: 0xd,
  find_ans: 0xe,
  join_req: 0xf,
  join_ans: 0x10,
  leave_req: 0x11,
  leave_ans: 0x12,
  update_req: 0x13,
  update_ans: 0x14,
  route_query_req: 0x15,
  route_query_ans: 0x16,
  ping_req: 0x17,
  ping_ans: 0x18,
  stat_req: 0x19,
  stat_ans: 0x1a,
  app_attach_req: 0x1d,
  app_attach_ans: 0x1e,
  config_update_req: 0x21,
  config_update_ans: 0x22,
  exp_a_req: 0x23,
  exp_a_ans: 0x24,
  exp_b_req: 0x25,
  exp_b_ans: 0x26,
  error: 0xffff,
} as const;
export type MessageCodeValue = (typeof MessageCode)[keyof typeof MessageCode];

/** Section of RFC 6940 that defines each method's bodies. */
const METHOD_SECTIONS: Record<string, string> = {
  invalidMessageCode: 'RFC 6940 §14.8',
  probe_req: 'RFC 6940 §6.4.2.5',
  probe_ans: 'RFC 6940 §6.4.2.5',
  attach_req: 'RFC 6940 §6.5.1',
  attach_ans: 'RFC 6940 §6.5.1',
  store_req: 'RFC 6940 §7.4.1',
  store_ans: 'RFC 6940 §7.4.1',
  fetch_req: 'RFC 6940 §7.4.2',
  fetch_ans: 'RFC 6940 §7.4.2',
  find_req: 'RFC 6940 §7.4.4',
  find_ans: 'RFC 6940 §7.4.4',
  join_req: 'RFC 6940 §6.4.2.1',
  join_ans: 'RFC 6940 §6.4.2.1',
  leave_req: 'RFC 6940 §6.4.2.2',
  leave_ans: 'RFC 6940 §6.4.2.2',
  update_req: 'RFC 6940 §6.4.2.3',
  update_ans: 'RFC 6940 §6.4.2.3',
  route_query_req: 'RFC 6940 §6.4.2.4',
  route_query_ans: 'RFC 6940 §6.4.2.4',
  ping_req: 'RFC 6940 §6.5.3',
  ping_ans: 'RFC 6940 §6.5.3',
  stat_req: 'RFC 6940 §7.4.3',
  stat_ans: 'RFC 6940 §7.4.3',
  app_attach_req: 'RFC 6940 §6.5.2',
  app_attach_ans: 'RFC 6940 §6.5.2',
  config_update_req: 'RFC 6940 §6.5.4',
  config_update_ans: 'RFC 6940 §6.5.4',
  error: 'RFC 6940 §6.3.3.1',
  '*': 'RFC 6940 §14.8',
};

/** Code↔name table of {@link MessageCode} with the section defining each method. */
export const MESSAGE_CODES: CodeTable = makeTable('MessageCode', MessageCode, METHOD_SECTIONS);

/**
 * RFC name of a message code (`probe_req`, `error` …); `reserved(0x8001)` for
 * 0x8000–0xFFFE and `unassigned(0x5)` for unassigned codes below 0x8000 (§6.3.3, §14.8).
 */
export function messageCodeName(code: number): string {
  const e = MESSAGE_CODES.byCode(code);
  if (e) return e.name;
  const hex = `0x${code.toString(16)}`;
  return code >= 0x8000 && code <= 0xfffe ? `reserved(${hex})` : `unassigned(${hex})`;
}

/** True for request codes: odd values in 0x1–0x7FFF (RFC 6940 §6.3.3). */
export function isRequest(code: number): boolean {
  return code >= 0x1 && code <= 0x7fff && (code & 1) === 1;
}

/** True for success-response codes: even values in 0x2–0x7FFF (RFC 6940 §6.3.3). */
export function isResponse(code: number): boolean {
  return code >= 0x2 && code <= 0x7fff && (code & 1) === 0;
}

/**
 * The answer code paired with a request code: request + 1 (RFC 6940 §6.3.3).
 * @throws ReloadError('WIRE_NOT_A_REQUEST') when `requestCode` is not a request code.
 */
export function responseCodeFor(requestCode: number): number {
  if (!isRequest(requestCode)) {
    throw new ReloadError(
      'WIRE_NOT_A_REQUEST',
      `0x${requestCode.toString(16)} is not a request code`,
    );
  }
  return requestCode + 1;
}

// ---------------------------------------------------------------------------------------------
// §14.9 error codes (values live in errors.ts)

/** Code↔name table of the §6.3.3.1 / §14.9 error codes (`Error_Forbidden` …). */
export const ERROR_CODES: CodeTable = makeTable(
  'ErrorCode',
  Object.fromEntries([...ERROR_CODE_NAMES].map(([code, name]) => [name, code])),
  'RFC 6940 §6.3.3.1, §14.9',
);
/** Numeric error code values: see {@link ErrorCode} in errors.ts. */
export const ERROR_CODE_VALUES: typeof ErrorCode = ErrorCode;

// ---------------------------------------------------------------------------------------------
// §6.3.1.1, §6.3.2.2, §6.3.2.3, §6.3.3 forwarding and contents enums

/** RFC 6940 §6.3.1.1 AddressType (uint8) of IpAddressPort. */
export const AddressType = { invalidAddressType: 0, ipv4_address: 1, ipv6_address: 2 } as const;
export const ADDRESS_TYPES: CodeTable = makeTable('AddressType', AddressType, 'RFC 6940 §6.3.1.1');

/** RFC 6940 §6.3.2.2 DestinationType (uint8; 128–255 not allowed: top bit = compressed id). */
export const DestinationType = {
  invalidDestinationType: 0,
  node: 1,
  resource: 2,
  opaque_id_type: 3,
} as const;
export const DESTINATION_TYPES: CodeTable = makeTable(
  'DestinationType',
  DestinationType,
  'RFC 6940 §6.3.2.2',
);

/** RFC 6940 §6.3.2.3 / §14.12 ForwardingOptionType (uint8). */
export const ForwardingOptionType = {
  invalidForwardingOption: 0,
  'exp-forward': 1,
  /** RFC 7263 §7 (Direct Response Routing). */
  extensive_routing_mode: 2,
  Reserved: 255,
} as const;
export const FORWARDING_OPTION_TYPES: CodeTable = makeTable(
  'ForwardingOptionType',
  ForwardingOptionType,
  { extensive_routing_mode: 'RFC 7263 §7', '*': 'RFC 6940 §6.3.2.3, §14.12' },
);

/** RFC 6940 §6.3.2.3 ForwardingOption flags (bits of the uint8 `flags`). */
export const ForwardingOptionFlag = {
  FORWARD_CRITICAL: 0x01,
  DESTINATION_CRITICAL: 0x02,
  RESPONSE_COPY: 0x04,
} as const;

/** RFC 6940 §6.3.3 / §14.14 MessageExtensionType (uint16). */
export const MessageExtensionType = {
  invalidMessageExtensionType: 0x0,
  'exp-ext': 0x1,
  /** RFC 7851 §4.2.1. */
  Diagnostic_Ping: 0x2,
  /** RFC 7363 §5. */
  self_tuning_data: 0x3,
  Reserved: 0xffff,
} as const;
export const MESSAGE_EXTENSION_TYPES: CodeTable = makeTable(
  'MessageExtensionType',
  MessageExtensionType,
  {
    Diagnostic_Ping: 'RFC 7851 §4.2.1',
    self_tuning_data: 'RFC 7363 §5',
    '*': 'RFC 6940 §6.3.3, §14.14',
  },
);

// ---------------------------------------------------------------------------------------------
// Method enums (§6.4, §6.5, §10)

/** RFC 6940 §6.4.2.5.1 / §14.13 ProbeInformationType (uint8). */
export const ProbeInformationType = {
  invalidProbeOption: 0,
  responsible_set: 1,
  num_resources: 2,
  uptime: 3,
  'exp-probe': 4,
  Reserved: 255,
} as const;
export const PROBE_INFORMATION_TYPES: CodeTable = makeTable(
  'ProbeInformationType',
  ProbeInformationType,
  'RFC 6940 §6.4.2.5, §14.13',
);

/** RFC 6940 §6.5.1.1 / §14.10 OverlayLinkType (uint8). */
export const OverlayLinkType = {
  'INVALID-PROTOCOL': 0,
  'DTLS-UDP-SR': 1,
  'DTLS-UDP-SR-NO-ICE': 3,
  'TLS-TCP-FH-NO-ICE': 4,
  'EXP-LINK': 5,
  Reserved: 255,
} as const;
export const OVERLAY_LINK_TYPES: CodeTable = makeTable(
  'OverlayLinkType',
  OverlayLinkType,
  'RFC 6940 §6.5.1.1, §14.10',
);

/** RFC 6940 §6.5.1.1 CandType (uint8; 3 is reserved, was prflx). */
export const CandType = { invalidCandType: 0, host: 1, srflx: 2, relay: 4 } as const;
export const CAND_TYPES: CodeTable = makeTable('CandType', CandType, 'RFC 6940 §6.5.1.1');

/** RFC 6940 §6.5.4.1 ConfigUpdateType (uint8). */
export const ConfigUpdateType = { invalidConfigUpdateType: 0, config: 1, kind: 2 } as const;
export const CONFIG_UPDATE_TYPES: CodeTable = makeTable(
  'ConfigUpdateType',
  ConfigUpdateType,
  'RFC 6940 §6.5.4',
);

/** RFC 6940 §10.7 ChordUpdateType (uint8). */
export const ChordUpdateType = {
  invalidChordUpdateType: 0,
  peer_ready: 1,
  neighbors: 2,
  full: 3,
} as const;
export const CHORD_UPDATE_TYPES: CodeTable = makeTable(
  'ChordUpdateType',
  ChordUpdateType,
  'RFC 6940 §10.7',
);

/** RFC 6940 §10.9 ChordLeaveType (uint8). */
export const ChordLeaveType = { invalidChordLeaveType: 0, from_succ: 1, from_pred: 2 } as const;
export const CHORD_LEAVE_TYPES: CodeTable = makeTable(
  'ChordLeaveType',
  ChordLeaveType,
  'RFC 6940 §10.9',
);

// ---------------------------------------------------------------------------------------------
// §6.6.2 framing, §6.3.4 security

/** RFC 6940 §6.6.2 FramedMessageType (uint8). */
export const FramedMessageType = { data: 128, ack: 129 } as const;
export const FRAMED_MESSAGE_TYPES: CodeTable = makeTable(
  'FramedMessageType',
  FramedMessageType,
  'RFC 6940 §6.6.2',
);

/** RFC 6940 §6.3.4 SignerIdentityType (uint8); same values as security-block.ts exports. */
export const SIGNER_IDENTITY_TYPES: CodeTable = makeTable(
  'SignerIdentityType',
  { invalidSignerIdentityType: 0, cert_hash: 1, cert_hash_node_id: 2, none: 3 },
  'RFC 6940 §6.3.4',
);

// ---------------------------------------------------------------------------------------------
// §14.6 Kind-IDs, §14.7 data models, §14.4 access-control policies, §14.3, §14.5

/** RFC 6940 §14.6 data Kind-IDs (uint32), plus those of companion usages. */
export const KindId = {
  INVALID: 0x0,
  /** RFC 7904 §7. */
  'SIP-REGISTRATION': 0x1,
  'TURN-SERVICE': 0x2,
  CERTIFICATE_BY_NODE: 0x3,
  /** RFC 8076 §8. */
  'ACCESS-CONTROL-LIST': 0x4,
  CERTIFICATE_BY_USER: 0x10,
  /** RFC 7374 §9. */
  REDIR: 0x104,
  Reserved: 0x7fffffff,
  'Reserved-private-end': 0xfffffffe,
} as const;
export const KIND_IDS: CodeTable = makeTable('KindId', KindId, {
  'SIP-REGISTRATION': 'RFC 7904 §7',
  'ACCESS-CONTROL-LIST': 'RFC 8076 §8',
  REDIR: 'RFC 7374 §9',
  '*': 'RFC 6940 §14.6',
});
/** RFC 6940 §14.6: first and last private-use Kind-ID (defined by configuration, §11). */
export const KIND_ID_PRIVATE_MIN = 0xf0000001;
export const KIND_ID_PRIVATE_MAX = 0xfffffffe;

/** RFC 6940 §7.2 / §14.7 data model names (strings in the configuration, not on the wire). */
export const DataModel = {
  SINGLE: 'SINGLE',
  ARRAY: 'ARRAY',
  DICTIONARY: 'DICTIONARY',
  'EXP-DATA': 'EXP-DATA',
} as const;
export type DataModelName = (typeof DataModel)[keyof typeof DataModel];
/**
 * Data model of each Kind defined by RFC 6940 and the companion usages: SIP-REGISTRATION
 * (RFC 7904 §7), TURN-SERVICE (RFC 6940 §9), CERTIFICATE_BY_NODE / CERTIFICATE_BY_USER
 * (RFC 6940 §8), ACCESS-CONTROL-LIST (RFC 8076 §8), REDIR (RFC 7374 §9).
 */
export const KIND_DATA_MODELS: ReadonlyMap<number, DataModelName> = new Map([
  [KindId['SIP-REGISTRATION'], 'DICTIONARY'],
  // RFC 6940 §9: "The TURN-SERVICE Kind stores a single value for each Resource-ID" (each
  // TURN server stores under Node-ID||d, NODE-MULTIPLE), so SINGLE, not DICTIONARY.
  [KindId['TURN-SERVICE'], 'SINGLE'],
  [KindId.CERTIFICATE_BY_NODE, 'ARRAY'],
  [KindId['ACCESS-CONTROL-LIST'], 'ARRAY'],
  [KindId.CERTIFICATE_BY_USER, 'ARRAY'],
  [KindId.REDIR, 'DICTIONARY'],
]);

/** RFC 6940 §7.3 / §14.4 access-control policy names (plus NODE-ID-MATCH, USER-CHAIN-ACL). */
export const AccessControlPolicy = {
  'USER-MATCH': 'USER-MATCH',
  'NODE-MATCH': 'NODE-MATCH',
  'USER-NODE-MATCH': 'USER-NODE-MATCH',
  'NODE-MULTIPLE': 'NODE-MULTIPLE',
  'EXP-MATCH': 'EXP-MATCH',
  /** RFC 7374 §5 (ReDiR). */
  'NODE-ID-MATCH': 'NODE-ID-MATCH',
  /** RFC 8076 §6.6 (ShaRe). */
  'USER-CHAIN-ACL': 'USER-CHAIN-ACL',
} as const;
export type AccessControlPolicyName = keyof typeof AccessControlPolicy;

/** RFC 6940 §14.3 overlay algorithm names. */
export const OverlayAlgorithm = { 'CHORD-RELOAD': 'CHORD-RELOAD', 'EXP-OVERLAY': 'EXP-OVERLAY' };

/** RFC 6940 §14.5 Application-IDs (uint16). */
export const ApplicationId = { INVALID: 0, SIP: 5060, SIPS: 5061, Reserved: 65535 } as const;
export const APPLICATION_IDS: CodeTable = makeTable(
  'ApplicationId',
  ApplicationId,
  'RFC 6940 §14.5',
);
