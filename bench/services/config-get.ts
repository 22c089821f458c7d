/**
 * Benchmark: configuration GET (/.well-known/reload-config over HTTPS with SNI) against a bare
 * fastify HTTPS hello-world with the same certificate, in the same run (autocannon in a worker
 * thread, 10 connections, keep-alive). Target: ≥ 50% of the hello-world requests/s.
 *
 *   npx tsx --conditions=@reload/source bench/services/config-get.ts [seconds]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createRequire } from 'node:module';
import { ProvisioningStore } from '../../packages/provisioning/src/index.js';
import { startServices } from '../../apps/services/src/index.js';

/** The minimal fastify surface used here (fastify is a dependency of apps/services). */
interface MiniFastify {
  get(path: string, handler: () => string): void;
  listen(o: { host: string; port: number }): Promise<string>;
  server: { address(): unknown };
  close(): Promise<void>;
}
const Fastify = createRequire(new URL('../../apps/services/package.json', import.meta.url))(
  'fastify',
) as (o: { https: { cert: string; key: string } }) => MiniFastify;

const OVERLAY = 'bench.example.org';
const seconds = Number(process.argv[2] ?? 8);

async function measure(url: string): Promise<number> {
  const r = await autocannon({
    url,
    connections: 10,
    duration: seconds,
    workers: 1,
    servername: OVERLAY,
    headers: { host: OVERLAY },
  });
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-config-'));
const store = await ProvisioningStore.open(dir);
await store.provisionOverlay({ overlay: OVERLAY, subject: `CN=${OVERLAY}` });
const tls = await store.httpsCredentials(OVERLAY);
await store.close();

const services = await startServices({ dataDir: dir, listen: { host: '127.0.0.1', port: 0 } });
const hello = Fastify({ https: { cert: tls.cert, key: tls.key } });
hello.get('/', () => 'hello world');
await hello.listen({ host: '127.0.0.1', port: 0 });
const helloPort = (hello.server.address() as { port: number }).port;
const docBytes = Buffer.byteLength(await services.store.signedConfiguration(OVERLAY));

// warm-up, then alternate to share any machine noise
await measure(`https://127.0.0.1:${helloPort}/`);
const base = await measure(`https://127.0.0.1:${helloPort}/`);
const config = await measure(`https://127.0.0.1:${services.port}/.well-known/reload-config`);

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`,
);
console.log(`bare fastify HTTPS hello-world:  ${base.toFixed(0)} req/s`);
console.log(
  `GET /.well-known/reload-config:  ${config.toFixed(0)} req/s (${docBytes} bytes per document)`,
);
console.log(`ratio: ${((100 * config) / base).toFixed(1)}% (target >= 50%)`);

await hello.close();
await services.close();
await rm(dir, { recursive: true, force: true });
