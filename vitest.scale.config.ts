import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// Scale tests kept out of `pnpm test` while they are flaky (see issue 7 note): `pnpm test:scale`.
export default mergeConfig(
  base,
  defineConfig({ test: { include: ['packages/*/test/**/*.scale.ts'] } }),
);
