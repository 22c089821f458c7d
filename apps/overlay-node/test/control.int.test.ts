import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReloadError } from '@reload/wire';
import { type ControlServer, controlRequest, startControlServer } from '@reload/overlay-node';

let dir: string | undefined;
let server: ControlServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('control channel (unix socket, JSON lines)', () => {
  it('answers requests, passes errors with their code, and is mode 0600', async () => {
    dir = await mkdtemp(join(tmpdir(), 'control-'));
    const path = join(dir, 'control.sock');
    server = await startControlServer(path, (req) =>
      req.op === 'status'
        ? Promise.resolve({ state: 'joined' })
        : Promise.reject(new ReloadError('UNKNOWN_KIND', `no Kind for ${req.op}`)),
    );
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await controlRequest(path, { op: 'status' })).toEqual({ state: 'joined' });
    await expect(
      controlRequest(path, { op: 'fetch', kind: 'x', resource: 'y' }),
    ).rejects.toMatchObject({
      code: 'UNKNOWN_KIND',
      message: 'no Kind for fetch',
    });
    // a second node on the same directory is refused
    await expect(startControlServer(path, () => Promise.resolve(1))).rejects.toMatchObject({
      code: 'NODE_ALREADY_RUNNING',
    });
    await server.close();
    server = undefined;
    await expect(controlRequest(path, { op: 'status' })).rejects.toMatchObject({
      code: 'NODE_NOT_RUNNING',
    });
  });

  it('removes a stale socket file left by a crashed node', async () => {
    dir = await mkdtemp(join(tmpdir(), 'control-'));
    const path = join(dir, 'control.sock');
    const first = await startControlServer(path, () => Promise.resolve('a'));
    // simulate a crash: stop listening but leave the file
    await new Promise<void>((r) => setTimeout(r, 10));
    await first.close();
    await writeFile(path, '');
    server = await startControlServer(path, () => Promise.resolve('b'));
    expect(await controlRequest(path, { op: 'status' })).toBe('b');
  });
});
