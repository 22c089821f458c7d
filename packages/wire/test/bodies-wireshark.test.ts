/**
 * Independent check of the method-body layouts: one message per method, with bodies made by
 * our codecs, framed (§6.6.2), written to a pcap on TCP port 6084 and dissected by
 * Wireshark's RELOAD dissector (`tshark -V`). Every frame must carry the right message code
 * and no expert error or malformed-packet warning, and selected fields must read back as we
 * wrote them. Needs `tshark` and `text2pcap` (Debian package tshark / wireshark-common).
 *
 * Known dissector quirks avoided here (docs/decisions/0154): it prints IceCandidate.priority
 * from the wrong offset, and it parses StoredDataSpecifier dictionary keys from the wrong
 * offset, so the Fetch sample uses a wildcard (empty) key list.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Codec,
  KindId,
  type MethodBodies,
  type MethodName,
  MessageCode,
  type Signature,
  type StoredData,
  type StoredDataValue,
  TurnServerCodec,
  encodeDataFrame,
  encodeMessage,
  encodeToBytes,
  ipAddressPort,
  methodBodyCodecs,
  newForwardingHeader,
} from '@reload/wire';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const id = (b: number): Uint8Array => new Uint8Array(16).fill(b);

function requireTool(tool: string): void {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${tool} is required for this test (apt-get install -y tshark) but is missing`);
  }
}

const signature: Signature = {
  algorithm: { hash: 4, signature: 1 },
  identity: { identityType: 1, hashAlg: 4, certificateHash: new Uint8Array(32).fill(1) },
  signatureValue: new Uint8Array(256).fill(2),
};

const TURN = KindId['TURN-SERVICE']; // SINGLE (RFC 6940 §9), value is a TurnServer
const CERT = KindId.CERTIFICATE_BY_NODE; // ARRAY (§8)
const SIP = KindId['SIP-REGISTRATION']; // DICTIONARY keyed by Node-ID (RFC 7904)
const modelOf = (k: number): string | undefined =>
  k === TURN ? 'SINGLE' : k === CERT ? 'ARRAY' : k === SIP ? 'DICTIONARY' : undefined;

/** RFC 7904 SipRegistration of type sip_registration_uri(1). */
function sipUri(uri: string): Uint8Array {
  const u = enc(uri);
  return new Uint8Array([1, 0, 2 + u.length, 0, u.length, ...u]);
}

const turnValue: StoredDataValue = {
  model: 'SINGLE',
  value: {
    exists: true,
    value: encodeToBytes(TurnServerCodec, {
      iteration: 3,
      serverAddress: ipAddressPort('192.0.2.1', 6084),
    }),
  },
};
const certValue: StoredDataValue = {
  model: 'ARRAY',
  index: 1,
  value: { exists: false, value: new Uint8Array(0) },
};
const sipValue: StoredDataValue = {
  model: 'DICTIONARY',
  key: id(0x4b),
  value: { exists: true, value: sipUri('sip:alice@example.com') },
};
const sd = (value: StoredDataValue): StoredData => ({
  storageTime: 1_700_000_000_000n,
  lifetime: 60,
  value,
  signature,
});

const host = {
  addrPort: ipAddressPort('192.0.2.1', 6084),
  overlayLink: 4,
  foundation: enc('1'),
  priority: 100,
  type: 'host' as const,
  extensions: [{ name: enc('n'), value: enc('v') }],
};
const srflx = {
  addrPort: ipAddressPort('2001:db8::1', 6084),
  overlayLink: 1,
  foundation: enc('2'),
  priority: 90,
  type: 'srflx' as const,
  relAddrPort: ipAddressPort('198.51.100.7', 5000),
  extensions: [],
};
const meta = {
  exists: true,
  valueLength: 7,
  hashAlgorithm: 4,
  hashValue: new Uint8Array(32).fill(3),
};

const bodies: { [K in MethodName]?: MethodBodies[K] } = {
  probe_req: { requestedInfo: [1, 2, 3] },
  probe_ans: {
    probeInfo: [
      { type: 'responsible_set', responsiblePpb: 5 },
      { type: 'num_resources', numResources: 6 },
      { type: 'uptime', uptime: 7 },
    ],
  },
  attach_req: {
    ufrag: enc('uf'),
    password: enc('pw'),
    role: enc('passive'),
    candidates: [host, srflx],
    sendUpdate: true,
  },
  attach_ans: {
    ufrag: enc('uf'),
    password: enc('pw'),
    role: enc('active'),
    candidates: [host],
    sendUpdate: false,
  },
  store_req: {
    resource: id(9),
    replicaNumber: 0,
    kindData: [
      { kind: TURN, generationCounter: 1n, values: [sd(turnValue)] },
      { kind: CERT, generationCounter: 2n, values: [sd(certValue)] },
      { kind: SIP, generationCounter: 3n, values: [sd(sipValue)] },
    ],
  },
  store_ans: { kindResponses: [{ kind: TURN, generationCounter: 2n, replicas: [id(1), id(2)] }] },
  fetch_req: {
    resource: id(9),
    specifiers: [
      { kind: TURN, generation: 0n, model: 'SINGLE' },
      { kind: CERT, generation: 0n, model: 'ARRAY', indices: [{ first: 0, last: 0xffffffff }] },
      { kind: SIP, generation: 0n, model: 'DICTIONARY', keys: [] },
    ],
  },
  fetch_ans: {
    kindResponses: [
      { kind: TURN, generation: 2n, values: [sd(turnValue)] },
      { kind: SIP, generation: 4n, values: [sd(sipValue)] },
    ],
  },
  find_req: { resource: id(9), kinds: [TURN, SIP] },
  find_ans: { results: [{ kind: TURN, closest: id(8) }] },
  join_req: { joiningPeerId: id(5), overlaySpecificData: new Uint8Array(0) },
  join_ans: { overlaySpecificData: new Uint8Array(0) },
  leave_req: {
    leavingPeerId: id(5),
    overlaySpecificData: new Uint8Array([1, 0, 16, ...id(7)]), // ChordLeaveData from_succ
  },
  leave_ans: {},
  update_req: {
    uptime: 10,
    type: 'full',
    predecessors: [id(1)],
    successors: [id(2), id(3)],
    fingers: [id(4)],
  },
  update_ans: {},
  route_query_req: {
    sendUpdate: true,
    destination: { kind: 'resource', resourceId: id(3) },
    overlaySpecificData: new Uint8Array(0),
  },
  route_query_ans: { nextPeer: id(6) },
  ping_req: { padding: new Uint8Array(8) },
  ping_ans: { responseId: 77n, time: 1_700_000_000_000n },
  stat_req: { resource: id(9), specifiers: [{ kind: TURN, generation: 0n, model: 'SINGLE' }] },
  stat_ans: {
    kindResponses: [
      {
        kind: TURN,
        generation: 2n,
        values: [
          { storageTime: 1n, lifetime: 60, metadata: { model: 'SINGLE', value: meta } },
          { storageTime: 2n, lifetime: 61, metadata: { model: 'SINGLE', value: meta } },
        ],
      },
      {
        kind: CERT,
        generation: 2n,
        values: [
          { storageTime: 1n, lifetime: 60, metadata: { model: 'ARRAY', index: 1, value: meta } },
        ],
      },
    ],
  },
  app_attach_req: {
    ufrag: enc('uf'),
    password: enc('pw'),
    application: 5060,
    role: enc('passive'),
    candidates: [host],
  },
  app_attach_ans: {
    ufrag: enc('uf'),
    password: enc('pw'),
    application: 5060,
    role: enc('active'),
    candidates: [srflx],
  },
  config_update_req: { type: 'kind', kinds: [enc('<kind name="X"/>')] },
  config_update_ans: {},
};

describe('method bodies as Wireshark dissects them (RELOAD dissector)', () => {
  let dir = '';
  const frames = new Map<string, string>();

  beforeAll(() => {
    requireTool('tshark');
    requireTool('text2pcap');
    dir = mkdtempSync(join(tmpdir(), 'reload-bodies-'));
    const codecs = methodBodyCodecs({ modelOf });
    let text = '';
    let seq = 1;
    for (const [name, body] of Object.entries(bodies)) {
      const codec = codecs[name as MethodName] as Codec<unknown>;
      const messageBody = encodeToBytes(codec, body);
      const msg = encodeMessage({
        forwardingHeader: newForwardingHeader({
          overlay: 0x12345678,
          transactionId: BigInt(seq),
          destinationList: [{ kind: 'node', nodeId: id(0xaa) }],
        }),
        messageContents: {
          messageCode: MessageCode[name as MethodName],
          messageBody,
          extensions: [],
        },
        securityBlock: { certificates: [], signature },
      });
      const hex = Buffer.from(encodeDataFrame(seq++, msg)).toString('hex').match(/../g) ?? [];
      for (let i = 0; i < hex.length; i += 16) {
        text += `${i.toString(16).padStart(6, '0')} ${hex.slice(i, i + 16).join(' ')}\n`;
      }
      text += '\n';
    }
    writeFileSync(join(dir, 'in.txt'), text);
    execFileSync('text2pcap', ['-q', '-T', '40000,6084', join(dir, 'in.txt'), join(dir, 'b.pcap')]);
    const out = execFileSync('tshark', ['-r', join(dir, 'b.pcap'), '-V'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for (const section of out.split(/^Frame \d+:/m).slice(1)) {
      const m = /message_code \(uint16\): \d+ \((\w+)\)/.exec(section);
      if (m) frames.set(m[1], section);
    }
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names every method code and reports no expert error or malformed field', () => {
    expect([...frames.keys()].sort()).toEqual(Object.keys(bodies).sort());
    for (const [name, text] of frames) {
      const problems = text
        .split('\n')
        .filter((l) => /Expert Info \((Error|Warning)|Malformed|BoundError/.test(l));
      expect(problems, `${name}:\n${problems.join('\n')}`).toEqual([]);
    }
  });

  it('reads the storage bodies field by field', () => {
    const store = frames.get('store_req') ?? '';
    expect(store).toMatch(/kind_data \(StoreKindData<\d+>\): 3 elements/);
    expect(store).toMatch(/server_address \(IpAddressPort\): IPV4 \(192\.0\.2\.1:6084\)/);
    expect(store).toMatch(/iteration \(uint8\): 3/);
    expect(store).toMatch(/sip:alice@example\.com/);
    const fetch = frames.get('fetch_req') ?? '';
    expect(fetch).toMatch(/specifiers ?\(StoredDataSpecifier<\d+>\): 3 elements/);
    expect(fetch).toMatch(/ArrayRange \[0-end\]/);
    // StatAns: StoredMetaData value_length frames the rest (decision 0157): 8 + 4 + 39 = 51.
    const stat = frames.get('stat_ans') ?? '';
    expect(stat).toMatch(/values \(StoredMetaData<\d+>\): 2 elements/);
    expect(stat.match(/^\s+length \(uint32\): 51$/gm)?.length).toBe(2);
    expect(stat).toMatch(/index \(uint32\): 1/);
    expect(frames.get('store_ans')).toMatch(/replicas \(NodeId<32>\):2 elements/);
    expect(frames.get('find_req')).toMatch(/\(KindId<8>\): 2 elements/);
  });

  it('reads the topology, Chord, Attach and ConfigUpdate bodies', () => {
    expect(frames.get('update_req')).toMatch(/type \(ChordUpdateType\): full \(3\)/);
    expect(frames.get('update_req')).toMatch(/fingers \(NodeId<16>\):1 elements/);
    expect(frames.get('leave_req')).toMatch(/type \(ChordLeaveType\): from_succ \(1\)/);
    expect(frames.get('route_query_ans')).toMatch(/next_peer \(NodeId\): (06){16}/);
    expect(frames.get('route_query_req')).toMatch(/destination \(Destination\): resource/);
    expect(frames.get('probe_ans')).toMatch(/uptime \(uint32\): 7/);
    const attach = frames.get('attach_req') ?? '';
    expect(attach).toMatch(/candidates \(IceCandidate<\d+>\): 2 elements/);
    expect(attach).toMatch(/rel_addr_port \(IpAddressPort\): IPV4 \(198\.51\.100\.7:5000\)/);
    expect(attach).toMatch(/overlay_link \(OverlayLinkType\): TLS-TCP-FH-NO-ICE \(4\)/);
    expect(attach).toMatch(/send_update \(Boolean\): True/);
    expect(frames.get('app_attach_req')).toMatch(/application \(uint16\): SIP \(5060\)/);
    expect(frames.get('config_update_req')).toMatch(/type \(ConfigUpdateType\): kind \(2\)/);
    expect(frames.get('ping_ans')).toMatch(/response_id \(uint64\): 77/);
  });
});
