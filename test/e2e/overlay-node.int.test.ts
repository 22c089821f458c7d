/**
 * End-to-end: `reload-node` driven like an operator would, against real `reload-services`
 * (configuration server, enrollment CA, OAM, DNS) on loopback. Nodes are enrolled with the
 * CLI, run as separate processes over TLS, converge into a ring, store and fetch through the
 * control socket, and leave on SIGTERM. The reload-node CLI runs from its build
 * (apps/overlay-node/dist, rebuilt with `tsc -b` first); the services run from source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Provisioned,
  type Run,
  type RunningServices,
  ROOT,
  addUsers,
  oamRequest,
  provisionOverlay,
  run,
  startServices,
} from '../support/services.js';

const NODE_BIN = join(ROOT, 'apps/overlay-node/dist/bin.js');
const OVERLAY = 'node-e2e.example.org';
/** Private Kinds (§14.6 private range) added through the OAM API, one per data model. */
const K_SINGLE = 0xf0000101;
const K_ARRAY = 0xf0000102;
const K_DICT = 0xf0000103;

const node = (...args: string[]) => run(process.execPath, [NODE_BIN, ...args]);

let dir: string;
let services: RunningServices | undefined;
let httpsPort = 0;
let dnsPort = 0;
let prov: Provisioned;
const peers: { name: string; data: string; child: ChildProcess; out: string[] }[] = [];

/** An OAM request with the overlay's OAM client certificate. */
function oam(method: string, path: string, body?: string, type?: string): Promise<Run> {
  return oamRequest({ port: httpsPort }, prov, OVERLAY, method, path, body, type);
}

/** The naked configuration plus three private Kinds (USER-MATCH), next sequence number. */
function withKinds(naked: string): string {
  const seq = Number(/sequence="(\d+)"/.exec(naked)![1]);
  const kind = (id: number, model: string) => `      <kind-block>
        <kind id="${id}">
          <data-model>${model}</data-model>
          <access-control>USER-MATCH</access-control>
          <max-count>16</max-count>
          <max-size>1024</max-size>
        </kind>
      </kind-block>
`;
  return naked
    .replace(`sequence="${seq}"`, `sequence="${seq + 1}"`)
    .replace(
      '</required-kinds>',
      `${kind(K_SINGLE, 'SINGLE')}${kind(K_ARRAY, 'ARRAY')}${kind(K_DICT, 'DICTIONARY')}    </required-kinds>`,
    );
}

const enrollArgs = (user: string, password: string, data: string) => [
  'enroll',
  '--overlay',
  OVERLAY,
  '--dns',
  `127.0.0.1:${dnsPort}`,
  '--ca-file',
  prov.servicesCa,
  '--username',
  user,
  '--password',
  password,
  '--data',
  data,
  '--key-type',
  'ecdsa',
];

function startPeer(name: string, bootstrap?: string): void {
  const data = join(dir, name);
  const child = spawn(
    process.execPath,
    [
      NODE_BIN,
      'run',
      '--data',
      data,
      '--listen',
      '127.0.0.1:0',
      '--refresh-interval',
      '5',
      ...(bootstrap ? ['--bootstrap', bootstrap] : []),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SSLKEYLOGFILE: join(dir, 'keys.log') },
    },
  );
  const out: string[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => out.push(c.toString()));
  peers.push({ name, data, child, out });
}

interface Status {
  nodeId: string;
  state: string;
  listen: string;
  predecessors: string[];
  successors: string[];
  fingers: string[];
  links: unknown[];
  configurationSequence: number;
  uptimeSeconds: number;
}

async function status(data: string): Promise<Status | undefined> {
  const r = await node('status', '--data', data, '--json');
  return r.code === 0 ? (JSON.parse(r.stdout) as Status) : undefined;
}

async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}\n${peers.map((p) => p.out.join('')).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Every node's first successor and predecessor are its neighbours in Node-ID order. */
function ringConverged(all: Status[]): boolean {
  const ids = all.map((s) => s.nodeId).sort();
  return all.every((s) => {
    const i = ids.indexOf(s.nodeId);
    return (
      s.state === 'joined' &&
      s.successors[0] === ids[(i + 1) % ids.length] &&
      s.predecessors[0] === ids[(i - 1 + ids.length) % ids.length]
    );
  });
}

beforeAll(async () => {
  const build = await run('npx', ['tsc', '-b', 'apps/overlay-node'], 120_000);
  expect(build.code, build.stdout + build.stderr).toBe(0);
  dir = await mkdtemp(join(tmpdir(), 'overlay-node-e2e-'));
  prov = await provisionOverlay(
    join(dir, 'services'),
    OVERLAY,
    `O=Example, CN=${OVERLAY}`,
    'ecdsa-p256',
  );
  services = await startServices(join(dir, 'services'));
  httpsPort = services.port;
  dnsPort = services.dnsPort;
}, 120_000);

afterAll(async () => {
  for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await services?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reload-node against reload-services', () => {
  it('OAM: adds users and the Kinds of the three data models', async () => {
    await addUsers({ port: httpsPort }, prov, OVERLAY, [
      ['alice', 'alice-pw'],
      ['bob', 'bob-pw'],
      ['carol', 'carol-pw'],
    ]);
    const naked = await oam('GET', '/type=Configuration/NakedConfiguration');
    const put = await oam(
      'PUT',
      '/type=Configuration/NakedConfiguration',
      withKinds(naked.stdout),
      'application/p2p-overlay+xml',
    );
    expect(put.code, put.stdout).toBe(200);
  });

  it('enroll: wrong password, bad CA file and an unreachable server give readable errors', async () => {
    const [wrong, badCa, unreachable] = await Promise.all([
      node(...enrollArgs('alice', 'nope', join(dir, 'x1'))),
      node(
        ...enrollArgs('alice', 'alice-pw', join(dir, 'x2')).map((a) =>
          a === prov.servicesCa ? prov.oamClientKey : a,
        ),
      ),
      node(
        'enroll',
        '--config-url',
        'https://127.0.0.1:1/.well-known/reload-config',
        '--overlay',
        OVERLAY,
        '--username',
        'alice',
        '--password',
        'alice-pw',
        '--data',
        join(dir, 'x3'),
      ),
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('403 failed_authentication');
    expect(wrong.stderr).toContain('wrong user name or password');
    expect(badCa.code).not.toBe(0);
    expect(badCa.stderr).toContain('holds no PEM certificate');
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toMatch(/cannot fetch the configuration of .*ECONNREFUSED/);
  }, 60_000);

  it('enroll: a configuration whose signed bytes were changed is refused', async () => {
    const served = await oam('GET', '/.well-known/reload-config');
    expect(served.stdout).toContain('<initial-ttl>100</initial-ttl>');
    const tampered = served.stdout.replace('<initial-ttl>100<', '<initial-ttl>101<');
    // a server with the overlay's own HTTPS certificate, serving the tampered document
    const files = join(dir, 'services', 'overlays', OVERLAY);
    const fake = createServer(
      {
        cert: await readFile(join(files, 'https.pem')),
        key: await readFile(join(files, 'https.key')),
      },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/p2p-overlay+xml' });
        res.end(tampered);
      },
    );
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (fake.address() as { port: number }).port;
      const r = await node(
        'enroll',
        '--config-url',
        `https://${OVERLAY}:${port}/.well-known/reload-config`,
        '--dns',
        `127.0.0.1:${dnsPort}`,
        '--ca-file',
        prov.servicesCa,
        '--username',
        'alice',
        '--password',
        'alice-pw',
        '--data',
        join(dir, 'x4'),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /^reload-node enroll: the configuration of node-e2e\.example\.org is not validly signed: .*do not use this server's document/,
      );
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  }, 60_000);

  it('enroll: three nodes through DNS SRV discovery and the enrollment server', async () => {
    const users = [
      ['alice', 'alice-pw'],
      ['bob', 'bob-pw'],
      ['carol', 'carol-pw'],
    ];
    const results = await Promise.all(
      users.map(([u, pw], i) => node(...enrollArgs(u, pw, join(dir, `n${i}`)), '--json')),
    );
    const ids = new Set<string>();
    for (const [i, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout) as { nodeId: string; overlay: string; sequence: number };
      expect(info.overlay).toBe(OVERLAY);
      expect(info.nodeId).toMatch(/^[0-9a-f]{32}$/);
      ids.add(info.nodeId);
      const d = join(dir, `n${i}`);
      expect((await stat(join(d, 'key.pem'))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(d, 'configuration.xml'), 'utf8')).toContain(`id="${K_DICT}"`);
      expect(await readFile(join(d, 'certificate.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE/);
    }
    expect(ids.size).toBe(3);
    // --config-url (no SRV lookup); the same user enrolling again gets the same Node-ID
    // from the services (docs/decisions/0502)
    const again = await node(
      'enroll',
      '--config-url',
      `https://${OVERLAY}:${httpsPort}/.well-known/reload-config`,
      '--dns',
      `127.0.0.1:${dnsPort}`,
      '--ca-file',
      prov.servicesCa,
      '--username',
      'alice',
      '--password',
      'alice-pw',
      '--data',
      join(dir, 'alice-again'),
      '--key-type',
      'ecdsa',
      '--json',
    );
    expect(again.code, again.stderr).toBe(0);
    const first = JSON.parse(results[0].stdout) as { nodeId: string };
    expect((JSON.parse(again.stdout) as { nodeId: string }).nodeId).toBe(first.nodeId);
  }, 60_000);

  it('run: three processes form a ring over TLS; status --json parses', async () => {
    startPeer('n0');
    const first = await waitFor('the first node', 15_000, async () => {
      const s = await status(join(dir, 'n0'));
      return s?.state === 'joined' ? s : undefined;
    });
    expect(first.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    startPeer('n1', first.listen);
    startPeer('n2', first.listen);
    const all = await waitFor('a converged ring', 45_000, async () => {
      const ss = await Promise.all(peers.map((p) => status(p.data)));
      return ss.every((s) => s !== undefined) && ringConverged(ss) ? ss : undefined;
    });
    for (const s of all) expect(s.links.length).toBeGreaterThanOrEqual(2);
    // SSLKEYLOGFILE honoured: TLS 1.3 secrets of the peers' links, NSS key-log format
    const keys = await readFile(join(dir, 'keys.log'), 'utf8');
    expect(keys).toMatch(/^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]+$/m);
    expect(keys).toMatch(/^SERVER_TRAFFIC_SECRET_0 /m);
    const text = await node('status', '--data', join(dir, 'n1'));
    expect(text.stdout).toMatch(/^Node-ID\s+[0-9a-f]{32}$/m);
    expect(text.stdout).toMatch(/^state\s+joined$/m);
    expect(text.stdout).toMatch(/^successors\s+[0-9a-f]{8}…/m);
  }, 90_000);

  it('store on one node, fetch from another: SINGLE, ARRAY and DICTIONARY', async () => {
    const [a, b, c] = peers.map((p) => p.data);
    const alice = `alice@${OVERLAY}`;
    let r = await node(
      'store',
      '--data',
      a,
      '--kind',
      String(K_SINGLE),
      '--resource',
      'user:self',
      '--value',
      'hello from alice',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^stored 1 value of kind ${K_SINGLE} \\(SINGLE\\) at resource user:self on node [0-9a-f]{8}… in \\d+ hops?, [\\d.]+ ms`,
      ),
    );
    r = await node('fetch', '--data', b, '--kind', String(K_SINGLE), '--resource', alice);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello from alice');
    expect(r.stdout).toContain(`signed by ${alice}`);

    for (const v of ['one', 'two']) {
      r = await node(
        'store',
        '--data',
        a,
        '--kind',
        `0x${K_ARRAY.toString(16)}`,
        '--resource',
        alice,
        '--value',
        v,
      );
      expect(r.code, r.stderr).toBe(0);
    }
    r = await node(
      'store',
      '--data',
      a,
      '--kind',
      String(K_ARRAY),
      '--resource',
      alice,
      '--value',
      'ten',
      '--index',
      '10',
    );
    expect(r.code, r.stderr).toBe(0);
    r = await node('fetch', '--data', c, '--kind', String(K_ARRAY), '--resource', alice, '--json');
    expect(r.code, r.stderr).toBe(0);
    const arr = JSON.parse(r.stdout) as {
      model: string;
      values: { index: number; value: string }[];
    };
    expect(arr.model).toBe('ARRAY');
    expect(arr.values.map((v) => [v.index, v.value])).toEqual([
      [0, 'one'],
      [1, 'two'],
      [10, 'ten'],
    ]);

    r = await node(
      'store',
      '--data',
      a,
      '--kind',
      String(K_DICT),
      '--resource',
      alice,
      '--value',
      'v1',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('DICTIONARY Kind: give --key');
    for (const [k, v] of [
      ['colour', 'blue'],
      ['shape', 'round'],
    ]) {
      r = await node(
        'store',
        '--data',
        a,
        '--kind',
        String(K_DICT),
        '--resource',
        alice,
        '--key',
        k,
        '--value',
        v,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`key "${k}"`);
    }
    r = await node('fetch', '--data', b, '--kind', String(K_DICT), '--resource', alice, '--json');
    const dict = JSON.parse(r.stdout) as {
      values: { key: string; value: string; signer: string }[];
    };
    expect(dict.values.map((v) => `${v.key}=${v.value}`).sort()).toEqual([
      'colour=blue',
      'shape=round',
    ]);
    expect(dict.values.every((v) => v.signer === alice)).toBe(true);

    // USER-MATCH: bob may not write under alice's name; the responsible peer says Forbidden
    r = await node(
      'store',
      '--data',
      b,
      '--kind',
      String(K_SINGLE),
      '--resource',
      alice,
      '--value',
      'x',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^reload-node store: /);
    // a Kind the configuration does not have
    r = await node('fetch', '--data', b, '--kind', 'NO_SUCH_KIND', '--resource', alice);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no Kind "NO_SUCH_KIND"');
  }, 60_000);

  it('applies a newer configuration fetched before expiration (sequence moves)', async () => {
    const before = (await status(peers[0].data))!.configurationSequence;
    const naked = (await oam('GET', '/type=Configuration/NakedConfiguration')).stdout;
    const seq = Number(/sequence="(\d+)"/.exec(naked)![1]);
    const put = await oam(
      'PUT',
      '/type=Configuration/NakedConfiguration',
      naked
        .replace(`sequence="${seq}"`, `sequence="${seq + 1}"`)
        .replace('<initial-ttl>100', '<initial-ttl>64'),
      'application/p2p-overlay+xml',
    );
    expect(put.code, put.stdout).toBe(200);
    const s = await waitFor('the new configuration', 20_000, async () => {
      const x = await status(peers[0].data);
      return x && x.configurationSequence > before ? x : undefined;
    });
    expect(s.configurationSequence).toBe(seq + 1);
    expect(peers[0].out.join('')).toContain('newer configuration applied');
  }, 30_000);

  it('SIGTERM: the node leaves and exits 0; the others stay in a ring', async () => {
    const p = peers[2];
    const exited = new Promise<number | null>((resolve) => p.child.once('exit', (c) => resolve(c)));
    p.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(p.out.join('')).toContain('leaving the overlay');
    const r = await node('status', '--data', p.data);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no node is running');
    await waitFor('a two-node ring', 20_000, async () => {
      const ss = await Promise.all(peers.slice(0, 2).map((x) => status(x.data)));
      return ss.every((s) => s !== undefined) && ringConverged(ss) ? true : undefined;
    });
    for (const q of peers.slice(0, 2)) {
      const done = new Promise<number | null>((resolve) => q.child.once('exit', (c) => resolve(c)));
      q.child.kill('SIGINT');
      expect(await done).toBe(0);
    }
  }, 40_000);
});
