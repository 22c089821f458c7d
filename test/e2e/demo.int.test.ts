/**
 * End-to-end: `pnpm demo`'s path with the built code (`node scripts/demo.js`, after `tsc -b`;
 * the root `pnpm test` builds first). The demo runs with `--json --keep`: every step is
 * asserted from its JSON report, then the kept overlay is driven with the built `reload-node`
 * CLI (status, store, fetch) like a user would, and Ctrl-C (SIGINT) must stop it cleanly.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = join(ROOT, 'scripts/demo.js');
const NODE_BIN = join(ROOT, 'apps/overlay-node/dist/bin.js');
const PEERS = 10;
const run = promisify(execFile);

interface Step {
  id: string;
  ok: boolean;
  ms: number;
  error?: string;
}
interface Peer {
  name: string;
  user: string;
  nodeId: string;
  listen: string;
  dataDir: string;
  joinMs: number;
  links: number;
  left?: boolean;
}
interface Fetch {
  kind: string;
  model: string;
  resource: string;
  by: string;
  storedBy: string;
  hops: number;
  rttMs: number;
  ok: boolean;
  values: { index?: number; key?: string; value: string }[];
}
interface Report {
  ok: boolean;
  error?: string;
  overlay: string;
  dataDir: string;
  steps: Step[];
  services: { https: string; dns: string; configurationSequence: number };
  users: string[];
  kinds: { id: number; dataModel: string }[];
  peers: Peer[];
  ring: string[];
  stores: { model: string; by: string; storedAt: string; hops: number; rttMs: number }[];
  fetches: Fetch[];
  leave: { peer: string; nodeId: string; ring: string[]; refetches: Fetch[] };
  refusedEnrollment: string;
  totalMs: number;
}

/** Assertions that need the binaries: a clear failure instead of a confusing one. */
function requireBuilt(): void {
  for (const f of [
    'apps/services/dist/index.js',
    'apps/overlay-node/dist/index.js',
    'apps/overlay-node/dist/bin.js',
  ]) {
    if (!existsSync(join(ROOT, f)))
      throw new Error(`${f} is missing: run \`pnpm run build\` (tsc -b) before this test`);
  }
}

let child: ChildProcess | undefined;
let report: Report;
let stderr = '';
let exitCode: number | null = null;

beforeAll(async () => {
  requireBuilt();
  const c = spawn(process.execPath, [DEMO, '--json', '--keep', '--peers', String(PEERS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  c.on('exit', (code) => (exitCode = code));
  report = await new Promise<Report>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no report within 150 s:\n${stderr}`)), 150_000);
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n', out.indexOf(line))) {
        clearTimeout(t);
        resolve(JSON.parse(line) as Report);
      }
    });
    c.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`demo exited with ${code} before its report:\n${stderr}`));
    });
  });
  if (report.ok) {
    // --keep: the instructions are printed after the report.
    const end = Date.now() + 10_000;
    while (!stderr.includes('Press Ctrl-C to stop') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
  }
}, 180_000);

afterAll(async () => {
  if (child && exitCode === null) {
    child.kill('SIGKILL');
  }
  if (report?.dataDir) await rm(report.dataDir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(process.execPath, [NODE_BIN, ...args], { cwd: ROOT, timeout: 30_000 });

describe('pnpm demo (built code, --json --keep)', () => {
  it('reports every step as passed', () => {
    expect(report.error, `${report.error}\n${stderr}`).toBeUndefined();
    expect(report.steps.map((s) => s.id)).toEqual([
      'provision',
      'services',
      'oam',
      'enroll',
      'join',
      'store-fetch',
      'leave',
    ]);
    for (const s of report.steps) expect(s.ok, `${s.id}: ${s.error}`).toBe(true);
    expect(report.ok).toBe(true);
    expect(stderr).toContain('[7/7]');
  });

  it('provisioned the overlay and started HTTPS and DNS on loopback', () => {
    expect(report.overlay).toBe('demo.reload.test');
    expect(report.services.https).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(report.services.dns).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(existsSync(join(report.dataDir, 'services'))).toBe(true);
  });

  it('added the users and the three data-model Kinds through OAM', () => {
    expect(report.users).toHaveLength(PEERS);
    expect(report.kinds.map((k) => k.dataModel).sort()).toEqual(['ARRAY', 'DICTIONARY', 'SINGLE']);
    expect(report.services.configurationSequence).toBeGreaterThan(0);
  });

  it('enrolled every peer through the enrollment server, refusing a wrong password', () => {
    expect(report.refusedEnrollment).toContain('failed_authentication');
    expect(report.peers).toHaveLength(PEERS);
    for (const p of report.peers) {
      expect(p.nodeId).toMatch(/^[0-9a-f]{32}$/);
      expect(p.user).toMatch(/^user\d\d@demo\.reload\.test$/);
      for (const f of ['configuration.xml', 'certificate.pem', 'key.pem', 'node.json'])
        expect(existsSync(join(p.dataDir, f)), `${p.dataDir}/${f}`).toBe(true);
      expect(statSync(join(p.dataDir, 'key.pem')).mode & 0o777).toBe(0o600);
    }
    expect(new Set(report.peers.map((p) => p.nodeId)).size).toBe(PEERS);
  });

  it('joined all peers in one ring in Node-ID order', () => {
    const ids = report.peers.map((p) => p.nodeId).sort();
    // report.ring is the ring after the join step (all peers).
    expect(report.ring).toEqual(ids);
    for (const p of report.peers) expect(p.joinMs).toBeGreaterThan(0);
  });

  it('stored every data model and fetched the same values from other peers', () => {
    expect(new Set(report.stores.map((s) => s.model))).toEqual(
      new Set(['SINGLE', 'ARRAY', 'DICTIONARY']),
    );
    for (const s of report.stores) {
      expect(s.hops).toBeGreaterThanOrEqual(0);
      expect(s.rttMs).toBeGreaterThanOrEqual(0);
      expect(s.storedAt).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(report.fetches.length).toBeGreaterThanOrEqual(3 * 3);
    for (const f of report.fetches) {
      expect(f.ok).toBe(true);
      expect(f.by).not.toBe(f.storedBy);
      expect(f.values.length).toBeGreaterThan(0);
    }
  });

  it('kept the data fetchable after a graceful leave', () => {
    const l = report.leave;
    expect(l.ring).toHaveLength(PEERS - 1);
    expect(l.ring).not.toContain(l.nodeId);
    expect(l.refetches).toHaveLength(report.fetches.length);
    for (const f of l.refetches) expect(f.ok).toBe(true);
    expect(report.peers.find((p) => p.name === l.peer)?.left).toBe(true);
  });

  it('--keep: reload-node status / store / fetch work against the kept overlay', async () => {
    expect(stderr).toContain('pnpm reload-node status --data');
    const live = report.peers.filter((p) => !p.left);
    const [a, b] = [live[0], live[live.length - 1]];
    const st = JSON.parse((await cli('status', '--data', a.dataDir, '--json')).stdout) as {
      nodeId: string;
      state: string;
    };
    expect(st.nodeId).toBe(a.nodeId);
    const single = report.kinds.find((k) => k.dataModel === 'SINGLE')!.id;
    const stored = await cli(
      'store',
      '--data',
      a.dataDir,
      '--kind',
      String(single),
      '--resource',
      a.user,
      '--value',
      'set by the e2e test',
      '--json',
    );
    expect((JSON.parse(stored.stdout) as { hops: number }).hops).toBeGreaterThanOrEqual(0);
    const fetched = JSON.parse(
      (
        await cli(
          'fetch',
          '--data',
          b.dataDir,
          '--kind',
          String(single),
          '--resource',
          a.user,
          '--json',
        )
      ).stdout,
    ) as { values: { value: string }[] };
    expect(fetched.values.map((v) => v.value)).toEqual(['set by the e2e test']);
  });

  it('stops on SIGINT with exit code 0', async () => {
    const c = child!;
    const exited = new Promise<number | null>((r) =>
      exitCode !== null ? r(exitCode) : c.once('exit', (code) => r(code)),
    );
    c.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(report.peers[0].dataDir, 'control.sock'))).toBe(false);
  });
});

describe('pnpm demo failures', () => {
  it('exits non-zero naming the step that failed, and refuses bad options', async () => {
    const r = await run(process.execPath, [DEMO, '--json', '--dir', join(ROOT, 'scripts')], {
      cwd: ROOT,
      timeout: 30_000,
    }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(r?.code).toBe(1);
    const rep = JSON.parse(r!.stdout.trim()) as Report;
    expect(rep.ok).toBe(false);
    expect(rep.error).toMatch(/^step 1 \(provision\) failed: --dir .* is not empty/);

    const bad = await run(process.execPath, [DEMO, '--peers', '2'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toContain('--peers must be an integer 3..32');
  });
});
