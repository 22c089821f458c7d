import { describe, expect, it } from 'vitest';
import type { Configuration, KindBlock, VerifiedConfiguration } from '@reload/config';
import { BUILTIN_KINDS } from '@reload/storage';
import { ReloadError } from '@reload/wire';
import {
  type NodeInfo,
  type NodeStatus,
  dictionaryKey,
  findKind,
  formatFetch,
  formatStatus,
  formatStore,
  main,
  networkHops,
  peerConfigOf,
  resourceName,
  showBytes,
  withKinds,
} from '@reload/overlay-node';

const info: NodeInfo = {
  nodeId: '00112233445566778899aabbccddeeff',
  certificateNodeIds: ['00112233445566778899aabbccddeeff'],
  overlay: 'o.example.org',
  username: 'alice',
  certificateUsername: 'alice@o.example.org',
  discovery: {},
  enrollmentServer: 'https://o.example.org/enrollment',
  keyType: 'rsa2048',
  enrolledAt: '2026-01-01T00:00:00Z',
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('Resource Names and keys (decision 0501)', () => {
  it('maps user:self, node:self, node:HEX and plain text', () => {
    expect(Buffer.from(resourceName('user:self', info)).toString()).toBe('alice@o.example.org');
    expect(hex(resourceName('node:self', info))).toBe(info.nodeId);
    expect(hex(resourceName('node:0a0b', info))).toBe('0a0b');
    expect(Buffer.from(resourceName('bob@o.example.org', info)).toString()).toBe(
      'bob@o.example.org',
    );
    expect(hex(dictionaryKey('node:self', info))).toBe(info.nodeId);
    expect(Buffer.from(dictionaryKey('colour', info)).toString()).toBe('colour');
    expect(() => resourceName('node:xyz', info)).toThrow(/hex/);
  });

  it('shows printable UTF-8 as text, other bytes as hex', () => {
    expect(showBytes(new TextEncoder().encode('héllo\nworld'))).toBe('héllo\nworld');
    expect(showBytes(new Uint8Array([0, 1, 0xff]))).toBe('hex:0001ff');
  });
});

describe('Kinds', () => {
  it('finds a Kind by IANA name (any case), decimal or hex Kind-ID', () => {
    expect(findKind(BUILTIN_KINDS, 'certificate_by_user')?.id).toBe(0x10);
    expect(findKind(BUILTIN_KINDS, '3')?.name).toBe('CERTIFICATE_BY_NODE');
    expect(findKind(BUILTIN_KINDS, '0x2')?.name).toBe('TURN-SERVICE');
    expect(findKind(BUILTIN_KINDS, 'NOPE')).toBeUndefined();
    expect(findKind(BUILTIN_KINDS, '99')).toBeUndefined();
  });

  it('accepts unsigned kind-blocks, refuses badly signed ones (decision 0500)', () => {
    const kind = (id: number) => ({
      id,
      dataModel: 'SINGLE',
      accessControl: 'USER-MATCH',
      maxCount: 1,
      maxSize: 10,
      extensions: [],
    });
    const signed: KindBlock = { kind: kind(1) };
    const unsigned: KindBlock = { kind: kind(2) };
    const bad: KindBlock = { kind: kind(3), signature: { value: new Uint8Array(4) } };
    const v = {
      kinds: [signed],
      rejectedKinds: [
        { block: unsigned, error: new ReloadError('KIND_SIGNATURE_INVALID', 'no signature') },
        { block: bad, error: new ReloadError('KIND_SIGNATURE_INVALID', 'does not verify') },
      ],
    } as unknown as VerifiedConfiguration;
    const a = withKinds(v);
    expect(a.acceptedKinds.map((b) => b.kind.id)).toEqual([1, 2]);
    expect(a.refusedKinds).toEqual([{ kind: '3', reason: 'does not verify' }]);
  });

  it('maps configuration parameters to PeerConfig (chord intervals seconds → ms)', () => {
    const c = {
      instanceName: 'o.example.org',
      sequence: 7,
      nodeIdLength: 16,
      initialTtl: 64,
      maxMessageSize: 5000,
      overlayReliabilityTimer: 3000,
      chord: { updateInterval: 600, pingInterval: 3600, reactive: true },
    } as unknown as Configuration;
    expect(peerConfigOf(c)).toEqual({
      overlay: 'o.example.org',
      sequence: 7,
      nodeIdLength: 16,
      initialTtl: 64,
      maxMessageSize: 5000,
      reliabilityTimerMs: 3000,
      chordUpdateIntervalMs: 600_000,
      chordPingIntervalMs: 3_600_000,
      chordReactive: true,
    });
  });
});

describe('output', () => {
  it('counts links crossed: 0 when answered locally, forwards + 1 otherwise', () => {
    const me = new Uint8Array(16).fill(1);
    expect(networkHops(0, me, me)).toBe(0);
    expect(networkHops(0, new Uint8Array(16), me)).toBe(1);
    expect(networkHops(2, new Uint8Array(16), me)).toBe(3);
  });

  it('formats store, fetch and status for people', () => {
    expect(
      formatStore({
        kind: 'CERTIFICATE_BY_USER',
        kindId: 16,
        model: 'ARRAY',
        resource: 'user:self',
        resourceId: 'ab'.repeat(16),
        values: 1,
        index: 0xffffffff,
        storedAt: 'ab12cd34'.repeat(4),
        generation: '1',
        replicas: ['ef'.repeat(16)],
        hops: 3,
        rttMs: 4.13,
      }),
    ).toBe(
      'stored 1 value of kind CERTIFICATE_BY_USER (ARRAY) (appended) at resource user:self on node ab12cd34… in 3 hops, 4.1 ms\n' +
        `  resource-id ${'ab'.repeat(16)}, generation 1, replicas on efefefef…\n`,
    );
    const f = formatFetch({
      kind: '4026532097',
      kindId: 4026532097,
      model: 'DICTIONARY',
      resource: 'alice@o',
      resourceId: '00'.repeat(16),
      fetchedFrom: 'ab12cd34'.repeat(4),
      hops: 1,
      rttMs: 12.4,
      values: [
        {
          key: 'colour',
          value: 'blue',
          valueHex: '626c7565',
          storageTime: 0,
          lifetime: 60,
          signer: 'alice@o',
        },
      ],
    });
    expect(f).toContain(
      '1 value of kind 4026532097 (DICTIONARY) at resource alice@o from node ab12cd34… in 1 hop, 12 ms',
    );
    expect(f).toContain(
      '  colour = blue    (signed by alice@o, stored 1970-01-01T00:00:00.000Z, lifetime 60 s)',
    );
    const s: NodeStatus = {
      nodeId: info.nodeId,
      overlay: 'o',
      state: 'joined',
      listen: '127.0.0.1:6084',
      uptimeSeconds: 3725,
      predecessors: ['aa'.repeat(16)],
      successors: [],
      fingers: [],
      links: [{ nodeId: 'aa'.repeat(16), address: '127.0.0.1:1', protocol: 'tls', state: 'open' }],
      storedBytes: 10,
      storedResources: 1,
      transport: {} as NodeStatus['transport'],
      username: 'alice@o',
      configurationSequence: 2,
      kinds: [
        { id: 3, name: 'CERTIFICATE_BY_NODE', dataModel: 'ARRAY', accessControl: 'NODE-MATCH' },
      ],
      pid: 1,
    };
    const t = formatStatus(s);
    expect(t).toMatch(/^Node-ID\s+00112233445566778899aabbccddeeff$/m);
    expect(t).toMatch(/^uptime\s+1 h 2 min$/m);
    expect(t).toMatch(/^successors\s+-$/m);
    expect(t).toMatch(/^stored\s+1 resource, 10 bytes$/m);
    expect(t).toMatch(/^kinds\s+CERTIFICATE_BY_NODE ARRAY$/m);
  });
});

describe('command line errors', () => {
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['node', 'reload-node', ...args], {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    return { code, out, err };
  };

  it('say what is wrong and exit non-zero', async () => {
    let r = await cli('enroll', '--username', 'a', '--password', 'b', '--data', '/nonexistent/x');
    expect(r.code).toBe(1);
    expect(r.err).toBe('reload-node enroll: give --overlay NAME or --config-url URL\n');
    r = await cli(
      'store',
      '--data',
      '/nonexistent',
      '--kind',
      '3',
      '--resource',
      'a',
      '--value',
      'v',
      '--key',
      'k',
      '--index',
      '1',
    );
    expect(r.err).toBe('reload-node store: give --key or --index, not both\n');
    r = await cli('status', '--data', '/nonexistent/dir');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^reload-node status: no node is running on this data directory .*reload-node run --data DIR/,
    );
    r = await cli('run', '--data', '/nonexistent/dir', '--listen', 'nonsense');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('expected HOST:PORT, got "nonsense"');
  });
});
