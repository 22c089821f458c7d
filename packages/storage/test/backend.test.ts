import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLevelBackend, openMemoryBackend } from '../src/backend.js';
import { backendCompliance } from './backend-compliance.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'reload-storage-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

backendCompliance('memory-level', openMemoryBackend);
backendCompliance('classic-level', async () => openLevelBackend(await tempDir()));

describe('classic-level backend', () => {
  it('keeps data across close and reopen of the same directory', async () => {
    const dir = await tempDir();
    const a = await openLevelBackend(dir);
    await a.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(42) }]);
    await a.close();
    const b = await openLevelBackend(dir);
    expect([...(await b.get(Uint8Array.of(1)))!]).toEqual([42]);
    await b.close();
  });

  it('refuses a second open of a locked directory with STORAGE_BACKEND', async () => {
    const dir = await tempDir();
    const a = await openLevelBackend(dir);
    await expect(openLevelBackend(dir)).rejects.toMatchObject({ code: 'STORAGE_BACKEND' });
    await a.close();
  });
});
