// Steps of `pnpm demo`: a real RELOAD overlay on loopback, nothing simulated. The services
// (configuration, enrollment and OAM servers, DNS responder) and the peers run in this
// process over real sockets: HTTPS and DNS for enrollment, TLS-TCP-FH-NO-ICE links between
// the peers, classic-level storage in each peer's data directory.
//
// Options: --peers N (3..32, default 10), --keep (leave the overlay running for
// `reload-node store/fetch/status`), --json (progress on stderr, one JSON report on stdout),
// --dir DIR (data directory; default a new temporary one), --base-port P (peer i listens on
// 127.0.0.1:P+i; default any free port), --vectors (print the golden vectors and exit).
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from './demo/paths.js';
import { loadBuilt } from './demo/modules.js';
import { createOamClient } from './demo/oam.js';
import { DEMO_KINDS, withDemoKinds } from './demo/kinds.js';
import { createFileLogger } from './demo/node-logger.js';
import { formatReport, keepInstructions } from './demo/report.js';

export const OVERLAY = 'demo.reload.test';
const USAGE = `usage: pnpm demo [--peers N] [--keep] [--json] [--dir DIR] [--base-port P] [--vectors]

  --peers N       number of peers to enroll and run (3..32, default 10)
  --keep          leave the overlay running; prints reload-node commands to try; Ctrl-C stops it
  --json          progress on stderr, one JSON report on stdout
  --dir DIR       data directory to use (must be empty or absent; default: a new one in ${tmpdir()})
  --base-port P   peer i listens on 127.0.0.1:P+i (default: any free port)
  --vectors       print the golden RELOAD messages of test/vectors and exit
`;

/** Parses the command line. @throws Error with the usage on bad options. */
export function parseArgs(argv) {
  const o = { peers: 10, keep: false, json: false, dir: undefined, basePort: 0, vectors: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--keep') o.keep = true;
    else if (a === '--json') o.json = true;
    else if (a === '--vectors') o.vectors = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--dir') o.dir = value();
    else if (a === '--peers' || a === '--base-port') {
      const n = Number(value());
      const [min, max] = a === '--peers' ? [3, 32] : [1024, 65000];
      if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`${a} must be an integer ${min}..${max}\n${USAGE}`);
      if (a === '--peers') o.peers = n;
      else o.basePort = n;
    } else if (a === '--') continue;
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ms = (t0) => Math.round(performance.now() - t0);
const pad2 = (i) => String(i + 1).padStart(2, '0');

/** Polls `check` (sync or async) every 20 ms until truthy; throws `what` after `timeoutMs`. */
async function waitFor(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(what());
    await sleep(20);
  }
}

/** Golden vectors (the former placeholder demo, kept as `--vectors`). */
async function printVectors(out) {
  const vectors = join(ROOT, 'test/vectors');
  const files = existsSync(vectors) ? readdirSync(vectors).filter((f) => f.endsWith('.bin')) : [];
  if (files.length === 0) {
    out('No golden vectors (test/vectors/*.bin).\n');
    return 0;
  }
  const { describeVector } = await import('./describe-vector.js');
  for (const f of files.sort()) out(`${await describeVector(join(vectors, f))}\n`);
  return 0;
}

/** Runs the demo; resolves to the process exit code. */
export async function runDemo(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  const stdout = (s) => process.stdout.write(s);
  if (o.help) {
    stdout(USAGE);
    return 0;
  }
  if (o.vectors) return printVectors(stdout);
  const progress = o.json ? (s) => process.stderr.write(s) : stdout;
  const demo = new Demo(o, progress);
  const interrupted = () => {
    progress('\nInterrupted: stopping the peers and the services…\n');
    void demo.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const report = await demo.run();
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
  if (o.json) stdout(`${JSON.stringify(report)}\n`);
  else stdout(formatReport(report));
  if (report.ok && o.keep) {
    progress(keepInstructions(report));
    await demo.waitForSignal();
  }
  await demo.cleanup();
  if (!o.json) stdout(report.ok ? '' : `\nThe demo FAILED: ${report.error}\n`);
  return report.ok ? 0 : 1;
}

/** One run of the demo: its state, its steps, its cleanup. */
class Demo {
  constructor(o, progress) {
    this.o = o;
    this.say = progress;
    this.nodes = []; // {name, user, node, dataDir, joinMs, enrollMs, left?}
    this.services = undefined;
    this.report = {
      ok: false,
      overlay: OVERLAY,
      dataDir: '',
      peersRequested: o.peers,
      steps: [],
      services: undefined,
      users: [],
      kinds: [],
      peers: [],
      ring: [],
      stores: [],
      fetches: [],
      leave: undefined,
      keylogFile: process.env.SSLKEYLOGFILE || null,
      logFile: '',
      keep: o.keep,
    };
  }

  /** Runs the steps in order; stops at the first failure. Resolves to the report. */
  async run() {
    const t0 = performance.now();
    const steps = [
      [
        'provision',
        'Provision the overlay (CA, configuration signer, OAM CA)',
        () => this.provision(),
      ],
      [
        'services',
        'Start the services (HTTPS configuration/enrollment/OAM, DNS SRV)',
        () => this.startServices(),
      ],
      [
        'oam',
        'Add users and the demo Kinds through the OAM API (client-certificate TLS)',
        () => this.oam(),
      ],
      [
        'enroll',
        `Enroll ${this.o.peers} peers (DNS SRV discovery, signature check, CSR)`,
        () => this.enroll(),
      ],
      ['join', 'Start the peers and join the CHORD-RELOAD ring over TLS', () => this.join()],
      [
        'store-fetch',
        'Store values of every data model and fetch them from other peers',
        () => this.storeFetch(),
      ],
      ['leave', 'One peer leaves gracefully; the data is still fetchable', () => this.leave()],
    ];
    this.report.stepsTotal = steps.length;
    this.say(`RELOAD (RFC 6940) demo: a real overlay on loopback, ${this.o.peers} peers\n\n`);
    for (const [i, [id, title, fn]] of steps.entries()) {
      this.say(`[${i + 1}/${steps.length}] ${title}\n`);
      const st = performance.now();
      const step = { id, title, ok: false, ms: 0 };
      this.report.steps.push(step);
      try {
        await fn();
        step.ok = true;
        step.ms = ms(st);
        this.say(`      ok (${(step.ms / 1000).toFixed(1)} s)\n`);
      } catch (e) {
        step.ms = ms(st);
        step.error = e instanceof Error ? e.message : String(e);
        const recent = this.logger?.recent.slice(-3).map((l) => `${l.msg} ${l.error ?? ''}`.trim());
        this.report.error = `step ${i + 1} (${id}) failed: ${step.error}`;
        if (recent?.length) this.report.recentPeerWarnings = recent;
        this.say(`      FAILED: ${step.error}\n`);
        if (process.env.RELOAD_DEMO_DEBUG && e instanceof Error) this.say(`${e.stack}\n`);
        break;
      }
    }
    this.report.totalMs = ms(t0);
    this.report.ok =
      this.report.steps.length === steps.length && this.report.steps.every((s) => s.ok);
    return this.report;
  }

  // ---- 1. provision ------------------------------------------------------------------------
  async provision() {
    this.built = await loadBuilt();
    let dir = this.o.dir;
    if (dir === undefined) dir = await mkdtemp(join(tmpdir(), 'reload-demo-'));
    else {
      await mkdir(dir, { recursive: true });
      if ((await readdir(dir)).length > 0)
        throw new Error(`--dir ${dir} is not empty; give an empty or new directory`);
    }
    this.dir = dir;
    this.report.dataDir = dir;
    this.servicesDir = join(dir, 'services');
    this.report.logFile = join(dir, 'demo.log');
    this.logger = createFileLogger(this.report.logFile, {
      verbose: !!process.env.RELOAD_DEMO_DEBUG,
    });
    this.say(`      data directory ${dir}\n`);
    const store = await this.built.provisioning.ProvisioningStore.open(this.servicesDir);
    try {
      this.provisioned = await store.provisionOverlay({
        overlay: OVERLAY,
        subject: `O=RELOAD demo, CN=${OVERLAY}`,
        keyAlgorithm: 'rsa2048',
      });
    } finally {
      await store.close();
    }
    this.say(
      `      overlay CA ${relative(dir, this.provisioned.rootCert)}, OAM client certificate ${relative(dir, this.provisioned.oamClientCert)}\n`,
    );
  }

  // ---- 2. services -------------------------------------------------------------------------
  async startServices() {
    const s = await this.built.services.startServices({
      dataDir: this.servicesDir,
      listen: { host: '127.0.0.1', port: 0 },
      dns: { host: '127.0.0.1', port: 0 },
    });
    this.services = s;
    // The link honours SSLKEYLOGFILE itself; the HTTPS server's sessions are logged here, so a
    // capture of the demo decrypts completely (enrollment and OAM exchanges included).
    const keylog = process.env.SSLKEYLOGFILE;
    if (keylog && s.app.server.listenerCount('keylog') === 0)
      s.app.server.on('keylog', (line) => appendFileSync(keylog, line));
    this.dnsServer = `127.0.0.1:${s.dnsPort}`;
    this.lookup = this.built.node.lookupVia(this.dnsServer);
    this.report.services = {
      https: `127.0.0.1:${s.port}`,
      dns: this.dnsServer,
      dataDir: this.servicesDir,
      configurationUrl: `https://${OVERLAY}:${s.port}/.well-known/reload-config`,
      oamUrl: `https://${OVERLAY}:${s.port}`,
      servicesCa: this.provisioned.servicesCa,
      oamClientCert: this.provisioned.oamClientCert,
      oamClientKey: this.provisioned.oamClientKey,
    };
    this.say(
      `      HTTPS on 127.0.0.1:${s.port} (virtual host ${OVERLAY}), DNS on ${this.dnsServer}/udp\n`,
    );
  }

  // ---- 3. OAM: users and Kinds -------------------------------------------------------------
  async oam() {
    const oam = await createOamClient({
      overlay: OVERLAY,
      port: this.services.port,
      lookup: this.lookup,
      provision: this.provisioned,
    });
    this.users = [];
    for (let i = 0; i < this.o.peers; i++) {
      const name = `user${pad2(i)}`;
      const password = randomBytes(9).toString('base64url');
      await oam.addUser(name, password);
      this.users.push({ name, password });
    }
    const listed = (await oam.listUsers()).map((u) => u.name).sort();
    const wanted = this.users.map((u) => u.name).sort();
    if (JSON.stringify(listed) !== JSON.stringify(wanted))
      throw new Error(`OAM lists users ${listed.join(',')}, expected ${wanted.join(',')}`);
    this.report.users = listed;
    this.say(
      `      ${listed.length} users added (POST /type=Enrollment/Users): ${listed[0]} … ${listed.at(-1)}\n`,
    );
    const naked = await oam.nakedConfiguration();
    const defaults = [
      ...naked.matchAll(/<kind name="([^"]+)">\s*<data-model>(\w+)<\/data-model>/g),
    ].map((m) => `${m[1]} (${m[2]})`);
    const next = withDemoKinds(naked);
    const put = await oam.putNakedConfiguration(next.xml);
    this.configSequence = put.sequence ?? next.sequence;
    this.report.kinds = DEMO_KINDS.map((k) => ({
      id: k.id,
      hex: `0x${k.id.toString(16)}`,
      label: k.label,
      dataModel: k.dataModel,
      accessControl: 'USER-MATCH',
    }));
    this.report.services.configurationSequence = this.configSequence;
    this.say(`      default Kinds: ${defaults.join(', ')}\n`);
    this.say(
      `      added Kinds ${DEMO_KINDS.map((k) => `0x${k.id.toString(16)} ${k.dataModel}`).join(', ')} (PUT /type=Configuration/NakedConfiguration → sequence ${this.configSequence}, re-signed)\n`,
    );
  }

  // ---- 4. enrollment -----------------------------------------------------------------------
  async enroll() {
    const { enroll } = this.built.node;
    const peersDir = join(this.dir, 'peers');
    await mkdir(peersDir, { recursive: true });
    const common = {
      overlay: OVERLAY,
      dnsServer: this.dnsServer,
      caFile: this.provisioned.servicesCa,
    };
    // A wrong password first: the enrollment server must refuse it (RFC 6940 §11.3, 403).
    const refused = await enroll({
      ...common,
      username: this.users[0].name,
      password: 'not-the-password',
      dataDir: join(this.dir, 'refused'),
    }).then(
      () => undefined,
      (e) => e,
    );
    if (!refused || refused.code !== 'ENROLLMENT_REFUSED')
      throw new Error(
        `a wrong password was not refused: ${refused ? refused.message : 'enrolled'}`,
      );
    await rm(join(this.dir, 'refused'), { recursive: true, force: true });
    this.report.refusedEnrollment = refused.message;
    this.say(
      `      wrong password refused: ${/\(403 [^)]*\)/.exec(refused.message)?.[0] ?? refused.message}\n`,
    );
    // Two at a time: RSA-2048 key generation runs on libuv's thread pool.
    const todo = this.users.map((u, i) => ({ u, i }));
    const one = async ({ u, i }) => {
      const t = performance.now();
      const dataDir = join(peersDir, `peer-${pad2(i)}`);
      const r = await enroll({ ...common, username: u.name, password: u.password, dataDir });
      if (r.sequence !== this.configSequence)
        throw new Error(
          `${u.name} enrolled with configuration sequence ${r.sequence}, expected ${this.configSequence}`,
        );
      this.nodes[i] = {
        name: `peer-${pad2(i)}`,
        user: r.info.certificateUsername,
        nodeId: r.info.nodeId,
        dataDir: r.paths.dir,
        enrollMs: ms(t),
      };
      this.say(`      ${u.name} → Node-ID ${r.info.nodeId} (${ms(t)} ms)\n`);
    };
    while (todo.length) await Promise.all(todo.splice(0, 2).map(one));
  }

  // ---- 5. start and join -------------------------------------------------------------------
  async join() {
    const { startNode } = this.built.node;
    let bootstrap;
    for (const [i, n] of this.nodes.entries()) {
      const t = performance.now();
      n.node = await startNode({
        dataDir: n.dataDir,
        listen: { host: '127.0.0.1', port: this.o.basePort ? this.o.basePort + i : 0 },
        bootstrap: bootstrap ? [bootstrap] : [],
        logger: this.logger.child({ peer: n.name }),
        joinTimeoutMs: 20_000,
      });
      await waitFor(
        () => n.node.peer.isJoined,
        30_000,
        () => `${n.name} did not join within 30 s (state ${n.node.peer.chord.state})`,
      );
      n.joinMs = ms(t);
      n.listen = `${n.node.peer.address.host}:${n.node.peer.address.port}`;
      bootstrap ??= n.node.peer.address;
      this.say(
        `      ${n.name} ${n.nodeId} listening on ${n.listen}: ${i === 0 ? 'started the overlay' : `joined via ${bootstrap.host}:${bootstrap.port}`} in ${n.joinMs} ms\n`,
      );
    }
    const ring = await this.waitForRing(this.nodes, 20_000);
    this.say(`      ring consistent: every peer's successor and predecessor as in Node-ID order\n`);
    this.report.ring = ring;
    this.report.peers = await Promise.all(this.nodes.map((n) => this.peerReport(n)));
  }

  /** Waits until every live peer's first successor/predecessor matches the sorted ring. */
  async waitForRing(nodes, timeoutMs) {
    const live = nodes.filter((n) => !n.left);
    const sorted = [...live].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    const ids = sorted.map((n) => n.nodeId);
    let bad = [];
    await waitFor(
      () => {
        bad = [];
        sorted.forEach((n, i) => {
          const s = n.node.peer.status();
          const succ = ids[(i + 1) % ids.length];
          const pred = ids[(i - 1 + ids.length) % ids.length];
          if (s.successors[0] !== succ || s.predecessors[0] !== pred) bad.push(n.name);
        });
        return bad.length === 0;
      },
      timeoutMs,
      () =>
        `the ring did not settle within ${timeoutMs / 1000} s: wrong neighbours at ${bad.join(', ')}`,
    );
    return sorted.map((n) => n.nodeId);
  }

  async peerReport(n) {
    const s = await n.node.handle({ op: 'status' });
    return {
      name: n.name,
      user: n.user,
      nodeId: n.nodeId,
      listen: n.listen,
      dataDir: n.dataDir,
      enrollMs: n.enrollMs,
      joinMs: n.joinMs,
      state: s.state,
      successors: s.successors.length,
      predecessors: s.predecessors.length,
      fingers: s.fingers.length,
      links: s.links.length,
      storedResources: s.storedResources ?? 0,
      ...(n.left ? { left: true } : {}),
    };
  }

  // ---- 6. store and fetch ------------------------------------------------------------------
  /** The storing peers and, for each, the peer that fetches its data. */
  pairs() {
    const n = this.nodes.length;
    const storers = n >= 10 ? [1, 4, 7] : [0, 1, 2].map((i) => i % n);
    return storers.map((s) => ({ storer: s, fetcher: (s + Math.floor(n / 2)) % n }));
  }

  expected(user) {
    return {
      SINGLE: [{ value: `${user} is online` }],
      ARRAY: [
        { index: 0, value: `${user}: joined the overlay` },
        { index: 1, value: `${user}: stored three kinds of data` },
      ],
      DICTIONARY: [
        { key: 'email', value: `${user.split('@')[0]}@example.org` },
        { key: 'phone', value: '+1 555 0100' },
      ],
    };
  }

  async storeFetch() {
    for (const { storer, fetcher } of this.pairs()) {
      const s = this.nodes[storer];
      const want = this.expected(s.user);
      for (const k of DEMO_KINDS) {
        for (const v of want[k.dataModel]) {
          const r = await s.node.handle({
            op: 'store',
            kind: String(k.id),
            resource: s.user,
            value: v.value,
            ...(v.key !== undefined ? { key: v.key } : {}),
          });
          this.report.stores.push({
            kind: k.label,
            kindId: k.id,
            model: k.dataModel,
            resource: s.user,
            resourceId: r.resourceId,
            by: s.name,
            ...(v.key !== undefined ? { key: v.key } : {}),
            ...(r.index !== undefined && r.index !== 0xffffffff ? { index: r.index } : {}),
            value: v.value,
            storedAt: r.storedAt,
            storedAtPeer: this.nameOf(r.storedAt),
            replicas: r.replicas,
            hops: r.hops,
            rttMs: r.rttMs,
          });
          this.say(
            `      ${s.name} stored ${k.dataModel.padEnd(10)} ${v.key !== undefined ? `${v.key}=` : ''}"${v.value}" at ${this.nameOf(r.storedAt)} (${r.hops} hops, ${r.rttMs} ms, ${r.replicas.length} replicas)\n`,
          );
        }
      }
      for (const k of DEMO_KINDS) {
        await this.fetchAndCheck(this.nodes[fetcher], s, k, want[k.dataModel], this.report.fetches);
      }
    }
    this.report.peers = await Promise.all(this.nodes.map((n) => this.peerReport(n)));
  }

  nameOf(nodeId) {
    return this.nodes.find((n) => n.nodeId === nodeId)?.name ?? nodeId ?? '?';
  }

  /** Fetches `kind` at the storer's user resource from `by`; compares with `want`. */
  async fetchAndCheck(by, storer, k, want, into) {
    const r = await by.node.handle({ op: 'fetch', kind: String(k.id), resource: storer.user });
    const got = r.values
      .map((v) => ({
        ...(v.index !== undefined && k.dataModel === 'ARRAY' ? { index: v.index } : {}),
        ...(v.key !== undefined ? { key: v.key } : {}),
        value: v.value,
      }))
      .sort((a, b) => ((a.key ?? a.index ?? 0) > (b.key ?? b.index ?? 0) ? 1 : -1));
    const norm = (xs) =>
      JSON.stringify(
        xs.map((x) => ({
          index: k.dataModel === 'ARRAY' ? x.index : undefined,
          key: x.key,
          value: x.value,
        })),
      );
    const ok = norm(got) === norm(want);
    const entry = {
      kind: k.label,
      kindId: k.id,
      model: k.dataModel,
      resource: storer.user,
      by: by.name,
      storedBy: storer.name,
      fetchedFrom: r.fetchedFrom,
      fetchedFromPeer: this.nameOf(r.fetchedFrom),
      hops: r.hops,
      rttMs: r.rttMs,
      values: got,
      ok,
    };
    into.push(entry);
    this.say(
      `      ${by.name} fetched ${k.dataModel.padEnd(10)} of ${storer.user} from ${entry.fetchedFromPeer}: ${got.length} value(s) (${r.hops} hops, ${r.rttMs} ms)${ok ? '' : ' MISMATCH'}\n`,
    );
    if (!ok)
      throw new Error(
        `${by.name} fetched ${norm(got)} for ${k.label} of ${storer.user}, expected ${norm(want)}`,
      );
  }

  // ---- 7. leave ----------------------------------------------------------------------------
  async leave() {
    // The peer responsible for the first stored resource leaves: its data must survive.
    const first = this.report.stores[0];
    const leaving =
      this.nodes.find((n) => n.nodeId === first.storedAt) ?? this.nodes[this.nodes.length - 1];
    const t = performance.now();
    const storedBefore = (await leaving.node.handle({ op: 'status' })).storedResources ?? 0;
    await leaving.node.stop();
    leaving.left = true;
    const leaveMs = ms(t);
    this.say(
      `      ${leaving.name} (${leaving.nodeId}, held ${storedBefore} resources) sent Leave and stopped in ${leaveMs} ms\n`,
    );
    const ring = await this.waitForRing(this.nodes, 20_000);
    this.say(`      ring consistent again with ${ring.length} peers\n`);
    const refetches = [];
    this.report.leave = {
      peer: leaving.name,
      nodeId: leaving.nodeId,
      storedResources: storedBefore,
      ms: leaveMs,
      ring,
      refetches,
    };
    for (const { storer, fetcher } of this.pairs()) {
      const s = this.nodes[storer];
      let f = fetcher;
      while (this.nodes[f].left) f = (f + 1) % this.nodes.length;
      for (const k of DEMO_KINDS)
        await this.fetchAndCheck(
          this.nodes[f],
          s,
          k,
          this.expected(s.user)[k.dataModel],
          refetches,
        );
    }
    this.report.peers = await Promise.all(
      this.nodes.map((n) =>
        n.left
          ? { ...this.report.peers.find((p) => p.name === n.name), left: true }
          : this.peerReport(n),
      ),
    );
  }

  // ---- --keep and cleanup ------------------------------------------------------------------
  waitForSignal() {
    return new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }

  /** Stops every peer (Leave first) and the services; idempotent. */
  async cleanup() {
    if (this.cleaned) return;
    this.cleaned = true;
    const live = this.nodes.filter((n) => n?.node && !n.left);
    if (live.length) this.say(`Stopping ${live.length} peers (Leave) and the services…\n`);
    // One after another: each Leave reaches neighbours that are still up (§10.9).
    const t = performance.now();
    for (const n of live) {
      const stopping = n.node.stop().then(
        () => true,
        () => true,
      );
      // A Leave nobody answers must not hold the exit: close the links, then let stop() finish
      // (it closes the control socket and the storage).
      if (!(await Promise.race([stopping, sleep(2_000).then(() => false)]))) {
        await n.node.peer.close().catch(() => undefined);
        await Promise.race([stopping, sleep(2_000)]);
      }
    }
    if (live.length) this.say(`Stopped in ${ms(t)} ms\n`);
    await this.services?.close().catch(() => undefined);
  }
}
