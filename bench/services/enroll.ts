/**
 * Benchmark: enrollment throughput (RFC 6940 §11.3 POST over HTTPS, multipart with a DER CSR)
 * against the bcrypt-bound limit 1 / (time of one bcrypt verify at cost 10). Target: ≥ 80%.
 * Requests are sent by `concurrency` (default 4) concurrent keep-alive clients in this process.
 * bcrypt runs on worker threads, so with concurrency ≥ 2 and two cores the rate can exceed
 * the single-verify bound; concurrency 1 is the meaningful check of the per-enrollment
 * overhead. At concurrency 1 a second, paired phase follows: each enrollment right after one
 * password check, so that load changes on a shared machine affect both alike; it reports the
 * medians and the median overhead per enrollment.
 *
 *   npx tsx --conditions=@reload/source bench/services/enroll.ts [requests] [concurrency]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { ProvisioningStore } from '../../packages/provisioning/src/index.js';
import { createCsr, generateKeyPairAsync } from '../../packages/security/src/index.js';
import { startServices } from '../../apps/services/src/index.js';

const OVERLAY = 'bench-enroll.example.org';
const N = Number(process.argv[2] ?? 40);
const CONCURRENCY = Number(process.argv[3] ?? 4);

const dir = await mkdtemp(join(tmpdir(), 'bench-enroll-'));
const store = await ProvisioningStore.open(dir);
const prov = await store.provisionOverlay({ overlay: OVERLAY, subject: `CN=${OVERLAY}` });
await store.addUser(OVERLAY, 'bench', 'bench-password');
await store.close();
const services = await startServices({ dataDir: dir, listen: { host: '127.0.0.1', port: 0 } });

// 1. the bcrypt-bound limit: one password check (bcryptjs compare at cost 10, as enrollment
// does), measured before and after the enrollment run (the mean of the two medians), so that
// a change of machine load during the run affects both sides alike
async function bcryptMedianMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    if (!(await services.store.authenticate(OVERLAY, 'bench', 'bench-password')))
      throw new Error('auth failed');
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const bcryptBefore = await bcryptMedianMs();

// 2. the requests
const ca = await readFile(prov.servicesCa, 'utf8');

const csrs: Uint8Array[] = [];
for (let i = 0; i < N; i++) {
  const k = await generateKeyPairAsync('ecdsa-p256');
  csrs.push(await createCsr({ privateKey: k.privateKey }));
}

async function body(csr: Uint8Array): Promise<{ data: Buffer; type: string }> {
  const fd = new FormData();
  fd.append('username', 'bench');
  fd.append('password', 'bench-password');
  fd.append('csr', new Blob([csr], { type: 'application/pkcs10' }), 'csr.der');
  const r = new Response(fd);
  return { data: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type')! };
}
const bodies = await Promise.all(csrs.map(body));
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function enroll(b: { data: Buffer; type: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: services.port,
        servername: OVERLAY,
        ca,
        agent,
        method: 'POST',
        path: '/enrollment',
        headers: { host: OVERLAY, accept: 'application/pkix-cert', 'content-type': b.type },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(b.data);
  });
}

await enroll(bodies[0]); // warm-up (TLS sessions, JIT)
let next = 1;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      const b = bodies[next++];
      const status = await enroll(b);
      if (status !== 200) throw new Error(`enrollment answered ${status}`);
    }
  }),
);
const elapsed = (performance.now() - t0) / 1000;
const bcryptAfter = await bcryptMedianMs();

// 3. paired (concurrency 1 only): one password check, then one enrollment, N times
const paired: { bcrypt: number; enroll: number }[] = [];
if (CONCURRENCY === 1) {
  const more = await Promise.all(
    Array.from({ length: N }, async () => {
      const k = await generateKeyPairAsync('ecdsa-p256');
      return body(await createCsr({ privateKey: k.privateKey }));
    }),
  );
  for (const b of more) {
    let t = performance.now();
    if (!(await services.store.authenticate(OVERLAY, 'bench', 'bench-password')))
      throw new Error('auth failed');
    const bcrypt = performance.now() - t;
    t = performance.now();
    const status = await enroll(b);
    if (status !== 200) throw new Error(`enrollment answered ${status}`);
    paired.push({ bcrypt, enroll: performance.now() - t });
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const bcryptMs = (bcryptBefore + bcryptAfter) / 2;
const rate = (N - 1) / elapsed;
const limit = 1000 / bcryptMs;

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`,
);
console.log(
  `bcrypt verify (bcryptjs, cost 10), median of 11 before (${bcryptBefore.toFixed(1)} ms) and after (${bcryptAfter.toFixed(1)} ms): ${bcryptMs.toFixed(1)} ms -> limit ${limit.toFixed(2)} enrollments/s`,
);
console.log(
  `enrollment: ${N - 1} requests in ${elapsed.toFixed(2)} s -> ${rate.toFixed(2)} enrollments/s (RSA-2048 overlay CA, P-256 CSRs)`,
);
console.log(`ratio: ${((100 * rate) / limit).toFixed(1)}% (target >= 80%)`);
if (paired.length > 0) {
  const b = median(paired.map((p) => p.bcrypt));
  const e = median(paired.map((p) => p.enroll));
  const over = median(paired.map((p) => p.enroll - p.bcrypt));
  console.log(
    `paired (${paired.length} x [password check, enrollment]): bcrypt median ${b.toFixed(1)} ms, enrollment median ${e.toFixed(1)} ms, overhead per enrollment median ${over.toFixed(1)} ms -> ratio ${((100 * b) / e).toFixed(1)}%`,
  );
}

agent.destroy();
await services.close();
await rm(dir, { recursive: true, force: true });
