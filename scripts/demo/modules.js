// The built code the demo drives (`pnpm demo` runs `tsc -b` first). Nothing here is a copy of
// the apps: the demo calls the same functions `reload-services` and `reload-node` call.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.js';

const BUILT = {
  services: 'apps/services/dist/index.js',
  node: 'apps/overlay-node/dist/index.js',
  provisioning: 'packages/provisioning/dist/index.js',
};

async function load(rel, names) {
  const file = join(ROOT, rel);
  if (!existsSync(file))
    throw new Error(
      `${rel} is not built: run \`pnpm demo\` (it runs tsc -b) or \`npx tsc -b\` first`,
    );
  const m = await import(pathToFileURL(file).href);
  const missing = names.filter((n) => typeof m[n] !== 'function');
  if (missing.length)
    throw new Error(`${rel} does not export ${missing.join(', ')}: rebuild with \`npx tsc -b\``);
  return m;
}

/**
 * Loads the built services (startServices), overlay node (enroll, startNode, controlRequest,
 * dataPaths) and provisioning store (ProvisioningStore).
 */
export async function loadBuilt() {
  const [services, node, provisioning] = await Promise.all([
    load(BUILT.services, ['startServices']),
    load(BUILT.node, ['enroll', 'startNode', 'lookupVia']),
    load(BUILT.provisioning, ['ProvisioningStore']),
  ]);
  return { services, node, provisioning };
}
