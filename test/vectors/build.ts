/**
 * Builds the golden vectors (RFC 6940 messages, one per message type) deterministically.
 *
 * Message bodies are written by hand here, field by field from the RFC structs (§6.4, §6.5,
 * §7.4, §10), with tiny byte helpers — independent of the @reload/wire body codecs, so the
 * vectors can check them. The forwarding header, MessageContents and SecurityBlock go
 * through @reload/wire's message codec. Signatures: RSASSA-PKCS1-v1_5 with SHA-256 by
 * node:crypto over `overlay ‖ transaction_id ‖ MessageContents ‖ SignerIdentity` (§6.3.4),
 * with the fixed key and self-signed certificate in this folder (made once with openssl;
 * PKCS#1 v1.5 signatures are deterministic, so the output is too). StoredData signatures
 * use the §7.1 input `resource_id ‖ kind ‖ storage_time ‖ StoredDataValue ‖ SignerIdentity`
 * (decision 0201: resource_id as raw bytes, no length prefix).
 *
 * Imported by generate.ts (which writes the files) and by the tests (which rebuild them and
 * compare). Until @reload/security lands, the minimal signer below stands in for it.
 */
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Destination,
  encodeMessage,
  encodeMessageContents,
  type ForwardingOption,
  type MessageExtension,
  messageSignatureInput,
  newForwardingHeader,
  type SignerIdentity,
  SignerIdentityCodec,
  encodeToBytes,
} from '@reload/wire';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Overlay name of every vector, and its §6.3.2 hash (low 32 bits of SHA-1(name)). */
export const OVERLAY_NAME = 'example.org';
export const OVERLAY = createHash('sha1').update(OVERLAY_NAME).digest().readUInt32BE(16);
/** configuration_sequence used in every vector. */
export const CONFIG_SEQUENCE = 7;

/** Node-IDs (16 bytes): A signs everything (its id is in the certificate's reload:// URI). */
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const NODE_A = hex('0123456789abcdeffedcba9876543210');
export const NODE_B = hex('b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0');
export const NODE_C = hex('c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0');
export const NODE_D = hex('d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0');
export const NODE_E = hex('e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0');
/** A Resource-ID: SHA-1("alice@example.org") truncated to 128 bits (§10.2). */
export const RESOURCE = new Uint8Array(
  createHash('sha1').update('alice@example.org').digest().subarray(0, 16),
);

/** The fixed signer: RSA-2048 key and self-signed DER certificate in test/vectors/. */
export const SIGNER_KEY_PEM = readFileSync(`${here}signer-key.pem`, 'utf8');
export const SIGNER_CERT = new Uint8Array(readFileSync(`${here}signer-cert.der`));
const signerKey = createPrivateKey(SIGNER_KEY_PEM);
/** §6.3.4 cert_hash identity: SHA-256 (hash_alg 4) of the certificate DER. */
export const SIGNER_IDENTITY: SignerIdentity = {
  identityType: 1,
  hashAlg: 4,
  certificateHash: new Uint8Array(createHash('sha256').update(SIGNER_CERT).digest()),
};
const identityBytes = encodeToBytes(SignerIdentityCodec, SIGNER_IDENTITY);

function rsaSign(data: Uint8Array): Uint8Array {
  return new Uint8Array(sign('sha256', data, signerKey)); // RSA default padding: PKCS#1 v1.5
}

// ---- byte helpers (big-endian, RFC 6940 §6.3.1) -------------------------------------------

const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const u8 = (n: number): Uint8Array => Uint8Array.of(n);
const u16 = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff);
const u24 = (n: number): Uint8Array => Uint8Array.of(n >>> 16, (n >>> 8) & 0xff, n & 0xff);
function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return new Uint8Array(b);
}
function u64(n: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return new Uint8Array(b);
}
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
/** `opaque x<0..2^8-1>` etc.: a prefix of 1, 2, 3 or 4 bytes, then the bytes. */
const op1 = (b: Uint8Array): Uint8Array => cat(u8(b.length), b);
const op2 = (b: Uint8Array): Uint8Array => cat(u16(b.length), b);
const op3 = (b: Uint8Array): Uint8Array => cat(u24(b.length), b);
const op4 = (b: Uint8Array): Uint8Array => cat(u32(b.length), b);
const bool = (v: boolean): Uint8Array => u8(v ? 1 : 0);

// ---- §6.3.1.1 / §6.5.1 building blocks ----------------------------------------------------

function ipv4(a: string, port: number): Uint8Array {
  return cat(u8(1), u8(6), Uint8Array.from(a.split('.').map(Number)), u16(port));
}
function ipv6(a16: Uint8Array, port: number): Uint8Array {
  return cat(u8(2), u8(18), a16, u16(port));
}
const V6_ADDR = hex('20010db8000000000000000000000001'); // 2001:db8::1

interface Candidate {
  addrPort: Uint8Array;
  overlayLink: number;
  foundation: string;
  priority: number;
  type: 1 | 2 | 4;
  relAddrPort?: Uint8Array;
  extensions?: [string, string][];
}
/** §6.5.1.1 IceCandidate. */
function iceCandidate(c: Candidate): Uint8Array {
  const ext = (c.extensions ?? []).map(([n, v]) => cat(op2(text(n)), op2(text(v))));
  return cat(
    c.addrPort,
    u8(c.overlayLink),
    op1(text(c.foundation)),
    u32(c.priority),
    u8(c.type),
    c.type === 1 ? new Uint8Array(0) : c.relAddrPort!,
    op2(cat(...ext)),
  );
}

const TLS_TCP_FH_NO_ICE = 4;
const CANDIDATES_A: Candidate[] = [
  {
    addrPort: ipv4('192.0.2.1', 6084),
    overlayLink: TLS_TCP_FH_NO_ICE,
    foundation: '1',
    priority: 2130706431,
    type: 1,
  },
  {
    addrPort: ipv4('198.51.100.7', 40000),
    overlayLink: TLS_TCP_FH_NO_ICE,
    foundation: '2',
    priority: 1694498815,
    type: 2,
    relAddrPort: ipv4('192.0.2.1', 6084),
    extensions: [['tcptype', 'passive']],
  },
];
const CANDIDATES_B: Candidate[] = [
  {
    addrPort: ipv6(V6_ADDR, 6084),
    overlayLink: TLS_TCP_FH_NO_ICE,
    foundation: '1',
    priority: 2130706431,
    type: 1,
  },
];

/** §6.5.1.1 AttachReqAns. */
function attachReqAns(ufrag: string, pwd: string, role: string, cands: Candidate[], upd: boolean) {
  return cat(
    op1(text(ufrag)),
    op1(text(pwd)),
    op1(text(role)),
    op2(cat(...cands.map(iceCandidate))),
    bool(upd),
  );
}
/** §6.5.2 AppAttachReq / AppAttachAns. */
function appAttach(ufrag: string, pwd: string, app: number, role: string, cands: Candidate[]) {
  return cat(
    op1(text(ufrag)),
    op1(text(pwd)),
    u16(app),
    op1(text(role)),
    op2(cat(...cands.map(iceCandidate))),
  );
}

// ---- §7 storage structures ----------------------------------------------------------------

const KIND_CERTIFICATE_BY_NODE = 0x3; // ARRAY data model (§8)
const KIND_TURN_SERVICE = 0x2; // SINGLE data model (§9: "a single value for each Resource-ID")
const KIND_CERTIFICATE_BY_USER = 0x10; // ARRAY
export const STORAGE_TIME = 1_764_115_200_000n; // 2025-11-26T00:00:00Z in ms (§7)
const LIFETIME = 86_400; // seconds
const ARRAY_INDEX = 0;

/** §7.2.2 ArrayEntry { uint32 index; DataValue { Boolean exists; opaque value<0..2^32-1> } }. */
const arrayEntry = cat(u32(ARRAY_INDEX), bool(true), op4(SIGNER_CERT));

/** §6.3.4 Signature { SignatureAndHashAlgorithm; SignerIdentity; opaque value<0..2^16-1> }. */
function signatureStruct(value: Uint8Array): Uint8Array {
  return cat(u8(4), u8(1), identityBytes, op2(value));
}

/** §7 StoredData with its §7.1 signature. */
function storedData(kind: number): Uint8Array {
  const sigInput = cat(RESOURCE, u32(kind), u64(STORAGE_TIME), arrayEntry, identityBytes);
  const rest = cat(
    u64(STORAGE_TIME),
    u32(LIFETIME),
    arrayEntry,
    signatureStruct(rsaSign(sigInput)),
  );
  return cat(u32(rest.length), rest);
}
/** The §7 StoredData carried by store_req and fetch_ans. */
export const STORED_DATA = storedData(KIND_CERTIFICATE_BY_NODE);

/** §7.4.2.1 StoredDataSpecifier. */
function specifierArray(kind: number, ranges: [number, number][]): Uint8Array {
  const body = op2(cat(...ranges.map(([f, l]) => cat(u32(f), u32(l)))));
  return cat(u32(kind), u64(0n), u16(body.length), body);
}
/** A SINGLE Kind's specifier: `case single_value: ;` — an empty model_specifier, length 0. */
function specifierSingle(kind: number): Uint8Array {
  return cat(u32(kind), u64(0n), u16(0));
}
const fetchSpecifiers = cat(
  op1(RESOURCE),
  op2(cat(specifierArray(KIND_CERTIFICATE_BY_NODE, [[0, 0]]), specifierSingle(KIND_TURN_SERVICE))),
);

/**
 * §7.4.3.2 StoredMetaData of the ArrayEntry above (ArrayEntryMeta, MetaData). Its first
 * uint32 is the length of the rest of the structure, like StoredData.length (decision 0157);
 * MetaData.value_length is the stored value's length and hash_value is SHA-256 over the
 * DataValue value field including its 4 length bytes (§7.4.3.2).
 */
function storedMetaData(): Uint8Array {
  const meta = cat(
    bool(true),
    u32(SIGNER_CERT.length),
    u8(4), // sha256
    op1(new Uint8Array(createHash('sha256').update(op4(SIGNER_CERT)).digest())),
  );
  const rest = cat(u64(STORAGE_TIME), u32(LIFETIME), u32(ARRAY_INDEX), meta);
  return cat(u32(rest.length), rest);
}

// ---- §10 Chord -----------------------------------------------------------------------------

const nodeIds = (...ids: Uint8Array[]): Uint8Array => op2(cat(...ids));

// ---- vectors --------------------------------------------------------------------------------

/** What a vector holds, for the README, the tests and the demo. */
export interface VectorSpec {
  /** File name in test/vectors/. */
  file: string;
  /** §14.8 message code. */
  messageCode: number;
  transactionId: bigint;
  ttl: number;
  viaList: Destination[];
  destinationList: Destination[];
  options?: ForwardingOption[];
  extensions?: MessageExtension[];
  /** The message_body bytes, encoded by hand from the RFC structs. */
  body: Uint8Array;
  /** One line for test/vectors/README.md. */
  description: string;
}

const node = (nodeId: Uint8Array): Destination => ({ kind: 'node', nodeId });
const resource: Destination = { kind: 'resource', resourceId: RESOURCE };
const tid = (n: number): bigint => 0x5245_4c4f_0000_0000n + BigInt(n);

/** Every vector: one per message type of RFC 6940 §14.8 (exp codes excluded) plus error. */
export function vectorSpecs(): VectorSpec[] {
  const reqTo = (dst: Destination[]) => ({ viaList: [], destinationList: dst, ttl: 100 });
  // Answers travel back along the reversed Via list (§6.2.2) and carry TTL 100 again.
  const ansTo = (dst: Destination[]) => ({ viaList: [], destinationList: dst, ttl: 100 });
  return [
    {
      file: 'probe_req.bin',
      messageCode: 0x1,
      transactionId: tid(1),
      ...reqTo([node(NODE_B)]),
      body: op1(Uint8Array.of(1, 2, 3)),
      description: 'ProbeReq (§6.4.2.5.1) A→B asking for responsible_set, num_resources, uptime',
    },
    {
      file: 'probe_ans.bin',
      messageCode: 0x2,
      transactionId: tid(1),
      ...ansTo([node(NODE_A)]),
      body: op2(
        cat(
          cat(u8(1), u8(4), u32(250_000_000)),
          cat(u8(2), u8(4), u32(42)),
          cat(u8(3), u8(4), u32(3600)),
        ),
      ),
      description:
        'ProbeAns (§6.4.2.5.2): responsible_ppb 250000000, num_resources 42, uptime 3600',
    },
    {
      file: 'attach_req.bin',
      messageCode: 0x3,
      transactionId: tid(2),
      viaList: [node(NODE_C)],
      destinationList: [node(NODE_B)],
      ttl: 99,
      body: attachReqAns('a1b2', 'reload-ice-password-0123', 'active', CANDIDATES_A, true),
      description:
        'AttachReq (§6.5.1.1) A→B after one hop via C (TTL 99): host + srflx TLS-TCP-FH-NO-ICE IPv4 candidates, ICE extension, send_update',
    },
    {
      file: 'attach_ans.bin',
      messageCode: 0x4,
      transactionId: tid(2),
      ...ansTo([node(NODE_C), node(NODE_A)]),
      body: attachReqAns('c3d4', 'reload-ice-password-4567', 'passive', CANDIDATES_B, false),
      description:
        'AttachAns (§6.5.1.2) B→A along the reversed via list [C, A]: one IPv6 host candidate',
    },
    {
      file: 'store_req.bin',
      messageCode: 0x7,
      transactionId: tid(3),
      ...reqTo([resource]),
      body: cat(
        op1(RESOURCE),
        u8(0),
        op4(cat(u32(KIND_CERTIFICATE_BY_NODE), u64(1n), op4(STORED_DATA))),
      ),
      description:
        'StoreReq (§7.4.1.1) to a Resource-ID: CERTIFICATE_BY_NODE (ARRAY) entry 0 = the signer certificate, StoredData signed per §7.1',
    },
    {
      file: 'store_ans.bin',
      messageCode: 0x8,
      transactionId: tid(3),
      ...ansTo([node(NODE_A)]),
      body: op2(cat(u32(KIND_CERTIFICATE_BY_NODE), u64(1n), nodeIds(NODE_C, NODE_D))),
      description: 'StoreAns (§7.4.1.2): generation 1, replicas C and D',
    },
    {
      file: 'fetch_req.bin',
      messageCode: 0x9,
      transactionId: tid(4),
      ...reqTo([resource]),
      body: fetchSpecifiers,
      description:
        'FetchReq (§7.4.2.1): CERTIFICATE_BY_NODE indices [0..0] and TURN-SERVICE (SINGLE: empty model_specifier)',
    },
    {
      file: 'fetch_ans.bin',
      messageCode: 0xa,
      transactionId: tid(4),
      ...ansTo([node(NODE_A)]),
      body: op4(
        cat(
          cat(u32(KIND_CERTIFICATE_BY_NODE), u64(1n), op4(STORED_DATA)),
          cat(u32(KIND_TURN_SERVICE), u64(0n), op4(new Uint8Array(0))),
        ),
      ),
      description: 'FetchAns (§7.4.2.2): the stored certificate entry, and no TURN-SERVICE values',
    },
    {
      file: 'find_req.bin',
      messageCode: 0xd,
      transactionId: tid(5),
      ...reqTo([resource]),
      body: cat(
        op1(RESOURCE),
        op1(cat(u32(KIND_CERTIFICATE_BY_NODE), u32(KIND_CERTIFICATE_BY_USER))),
      ),
      description: 'FindReq (§7.4.4.1) for kinds CERTIFICATE_BY_NODE and CERTIFICATE_BY_USER',
    },
    {
      file: 'find_ans.bin',
      messageCode: 0xe,
      transactionId: tid(5),
      ...ansTo([node(NODE_A)]),
      body: op2(
        cat(
          cat(u32(KIND_CERTIFICATE_BY_NODE), op1(RESOURCE)),
          cat(u32(KIND_CERTIFICATE_BY_USER), op1(new Uint8Array(0))),
        ),
      ),
      description: 'FindAns (§7.4.4.2): closest Resource-ID per kind (empty for none)',
    },
    {
      file: 'join_req.bin',
      messageCode: 0xf,
      transactionId: tid(6),
      ...reqTo([node(NODE_B)]),
      body: cat(NODE_A, op2(new Uint8Array(0))),
      description: 'JoinReq (§6.4.2.1): joining_peer_id A, no overlay-specific data',
    },
    {
      file: 'join_ans.bin',
      messageCode: 0x10,
      transactionId: tid(6),
      ...ansTo([node(NODE_A)]),
      body: op2(new Uint8Array(0)),
      description: 'JoinAns (§6.4.2.1): empty overlay_specific_data',
    },
    {
      file: 'leave_req.bin',
      messageCode: 0x11,
      transactionId: tid(7),
      ...reqTo([node(NODE_B)]),
      body: cat(NODE_A, op2(cat(u8(1), nodeIds(NODE_C, NODE_D)))),
      description: 'LeaveReq (§6.4.2.2) with ChordLeaveData (§10.9) from_succ, successors C and D',
    },
    {
      file: 'leave_ans.bin',
      messageCode: 0x12,
      transactionId: tid(7),
      ...ansTo([node(NODE_A)]),
      body: new Uint8Array(0),
      description: 'LeaveAns (§6.4.2.2): empty body',
    },
    {
      file: 'update_req.bin',
      messageCode: 0x13,
      transactionId: tid(8),
      ...reqTo([node(NODE_B)]),
      body: cat(
        u32(3600),
        u8(3),
        nodeIds(NODE_E, NODE_D),
        nodeIds(NODE_B, NODE_C),
        nodeIds(NODE_B, NODE_C, NODE_E),
      ),
      description:
        'UpdateReq carrying ChordUpdate (§10.7) full: uptime 3600, predecessors, successors, fingers',
    },
    {
      file: 'update_ans.bin',
      messageCode: 0x14,
      transactionId: tid(8),
      ...ansTo([node(NODE_A)]),
      body: new Uint8Array(0),
      description: 'UpdateAns (§6.4.2.3): empty body',
    },
    {
      file: 'route_query_req.bin',
      messageCode: 0x15,
      transactionId: tid(9),
      viaList: [],
      destinationList: [{ kind: 'compressed', id: 0x8005 }, node(NODE_B)],
      ttl: 100,
      body: cat(bool(false), cat(u8(2), u8(17), op1(RESOURCE)), op2(new Uint8Array(0))),
      description:
        'RouteQueryReq (§6.4.2.4.1) for a Resource-ID; destination list starts with a 16-bit compressed id 0x8005',
    },
    {
      file: 'route_query_ans.bin',
      messageCode: 0x16,
      transactionId: tid(9),
      ...ansTo([node(NODE_A)]),
      body: NODE_C,
      description: 'RouteQueryAns carrying ChordRouteQueryAns (§10.8): next_peer C',
    },
    {
      file: 'ping_req.bin',
      messageCode: 0x17,
      transactionId: tid(10),
      ...reqTo([node(NODE_B)]),
      body: op2(new Uint8Array(32)),
      description: 'PingReq (§6.5.3.1) with 32 bytes of padding',
    },
    {
      file: 'ping_ans.bin',
      messageCode: 0x18,
      transactionId: tid(10),
      ...ansTo([node(NODE_A)]),
      body: cat(u64(0x0123_4567_89ab_cdefn), u64(STORAGE_TIME)),
      description: 'PingAns (§6.5.3.2): response_id and time',
    },
    {
      file: 'stat_req.bin',
      messageCode: 0x19,
      transactionId: tid(11),
      ...reqTo([resource]),
      body: cat(op1(RESOURCE), op2(specifierArray(KIND_CERTIFICATE_BY_NODE, [[0, 0]]))),
      description: 'StatReq (§7.4.3.1): CERTIFICATE_BY_NODE indices [0..0]',
    },
    {
      file: 'stat_ans.bin',
      messageCode: 0x1a,
      transactionId: tid(11),
      ...ansTo([node(NODE_A)]),
      body: op4(cat(u32(KIND_CERTIFICATE_BY_NODE), u64(1n), op4(storedMetaData()))),
      description: 'StatAns (§7.4.3.2): StoredMetaData of entry 0 with its SHA-256 hash',
    },
    {
      file: 'app_attach_req.bin',
      messageCode: 0x1d,
      transactionId: tid(12),
      ...reqTo([node(NODE_B)]),
      body: appAttach('e5f6', 'reload-ice-password-89ab', 5060, 'active', CANDIDATES_A.slice(0, 1)),
      description: 'AppAttachReq (§6.5.2.1) for application 5060 (SIP), one host candidate',
    },
    {
      file: 'app_attach_ans.bin',
      messageCode: 0x1e,
      transactionId: tid(12),
      ...ansTo([node(NODE_A)]),
      body: appAttach('0718', 'reload-ice-password-cdef', 5060, 'passive', CANDIDATES_B),
      description: 'AppAttachAns (§6.5.2.2) for application 5060, one IPv6 host candidate',
    },
    {
      file: 'config_update_req.bin',
      messageCode: 0x21,
      transactionId: tid(13),
      ...reqTo([node(NODE_B)]),
      body: (() => {
        const rest = op3(text(CONFIG_XML));
        return cat(u8(1), u32(rest.length), rest);
      })(),
      description: 'ConfigUpdateReq (§6.5.4.1) type config carrying a small configuration document',
    },
    {
      file: 'config_update_ans.bin',
      messageCode: 0x22,
      transactionId: tid(13),
      ...ansTo([node(NODE_A)]),
      body: new Uint8Array(0),
      description: 'ConfigUpdateAns (§6.5.4.2): empty body',
    },
    {
      file: 'error.bin',
      messageCode: 0xffff,
      transactionId: tid(4),
      ...ansTo([node(NODE_A)]),
      body: cat(u16(0x3), op2(text('no data stored at this Resource-ID'))),
      description: 'Error response (§6.3.3.1) Error_Not_Found to the fetch_req transaction',
    },
  ];
}

/** The configuration document carried by config_update_req (not signed: a wire vector). */
const CONFIG_XML =
  '<overlay xmlns="urn:ietf:params:xml:ns:p2p:config-base">' +
  '<configuration instance-name="example.org" sequence="8">' +
  '<topology-plugin>CHORD-RELOAD</topology-plugin>' +
  '</configuration></overlay>';

/** Encodes one vector: header, contents, SecurityBlock with the certificate and signature. */
export function buildVector(spec: VectorSpec): Uint8Array {
  const forwardingHeader = newForwardingHeader({
    overlay: OVERLAY,
    configurationSequence: CONFIG_SEQUENCE,
    transactionId: spec.transactionId,
    ttl: spec.ttl,
    viaList: spec.viaList,
    destinationList: spec.destinationList,
    options: spec.options ?? [],
  });
  const messageContents = {
    messageCode: spec.messageCode,
    messageBody: spec.body,
    extensions: spec.extensions ?? [],
  };
  const contentsBytes = encodeMessageContents(messageContents);
  const input = messageSignatureInput(OVERLAY, spec.transactionId, contentsBytes, SIGNER_IDENTITY);
  return encodeMessage({
    forwardingHeader,
    messageContents,
    securityBlock: {
      certificates: [{ type: 0, certificate: SIGNER_CERT }],
      signature: {
        algorithm: { hash: 4, signature: 1 },
        identity: SIGNER_IDENTITY,
        signatureValue: rsaSign(input),
      },
    },
  });
}

/** All vectors as `{ file, bytes, spec }`. */
export function buildVectors(): { file: string; bytes: Uint8Array; spec: VectorSpec }[] {
  return vectorSpecs().map((spec) => ({ file: spec.file, bytes: buildVector(spec), spec }));
}
