// Steps of `pnpm demo`. Each step reports what it did; nothing is simulated.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs the demo; resolves to the process exit code. */
export async function runDemo(_args) {
  console.log('RELOAD (RFC 6940) — what this build can show today\n');
  const vectors = join(root, 'test/vectors');
  const files = existsSync(vectors) ? readdirSync(vectors).filter((f) => f.endsWith('.bin')) : [];
  if (files.length === 0) {
    console.log('No golden vectors yet (test/vectors/*.bin).');
  } else {
    const { describeVector } = await import('./describe-vector.js');
    for (const f of files.sort()) console.log(await describeVector(join(vectors, f)));
  }
  console.log('\nNot built yet: the overlay peer, the configuration/enrollment/OAM servers and the');
  console.log('end-to-end demo (provision, enroll 10 peers, join over TLS, store/fetch). See README.md.');
  return 0;
}
