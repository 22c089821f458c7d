/**
 * The local control channel of a running node: a unix socket `DIR/control.sock` with mode
 * 0600 (only the node's user can connect), speaking JSON lines. Each request line
 * `{"id":1,"op":"status"}` gets one response line `{"id":1,"ok":true,"result":…}` or
 * `{"id":1,"ok":false,"error":{"code":"…","message":"…"}}`.
 *
 * Operations: `status`, `store` {kind, resource, value, key?, index?}, `fetch` {kind,
 * resource}, `leave`.
 */
import { chmod, unlink } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { ReloadError, isReloadError } from '@reload/wire';

/** One request on the control channel. */
export type ControlRequest =
  | { op: 'status' }
  | {
      op: 'store';
      kind: string;
      resource: string;
      value: string;
      key?: string;
      index?: number;
      lifetime?: number;
    }
  | { op: 'fetch'; kind: string; resource: string }
  | { op: 'leave' };

/** Handles one control request; throw a ReloadError to answer an error. */
export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

/** A listening control channel. */
export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

const MAX_LINE = 1024 * 1024;

function errorOf(e: unknown): { code: string; message: string } {
  if (isReloadError(e)) return { code: String(e.code), message: e.message };
  return { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}

async function removeStale(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive)
    throw new ReloadError(
      'NODE_ALREADY_RUNNING',
      `a node is already running with this data directory (${path} answers)`,
    );
  await unlink(path).catch(() => undefined);
}

/**
 * Listens on `path` (mode 0600; a stale socket file is removed).
 * @throws ReloadError('NODE_ALREADY_RUNNING') when another node answers on `path`.
 */
export async function startControlServer(
  path: string,
  handler: ControlHandler,
): Promise<ControlServer> {
  await removeStale(path);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        let id: unknown = null;
        void (async () => {
          let out: object;
          try {
            const req = JSON.parse(line) as ControlRequest & { id?: unknown };
            id = req.id ?? null;
            if (typeof req !== 'object' || req === null || typeof req.op !== 'string')
              throw new ReloadError('BAD_REQUEST', 'a request needs an "op"');
            out = { id, ok: true, result: await handler(req) };
          } catch (e) {
            out = { id, ok: false, error: errorOf(e) };
          }
          if (!socket.destroyed) socket.write(`${JSON.stringify(out)}\n`);
        })();
      }
    });
  });
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  await chmod(path, 0o600);
  return {
    path,
    async close() {
      for (const s of sockets) s.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
    },
  };
}

/**
 * Sends one request to the node listening on `path` and returns its result.
 * @throws ReloadError('NODE_NOT_RUNNING') when nobody listens, 'CONTROL_TIMEOUT', or the
 *   error the node answered (its code and message).
 */
export function controlRequest(
  path: string,
  req: ControlRequest,
  timeoutMs = 60_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      s.destroy();
      f();
    };
    const t = setTimeout(
      () =>
        finish(() =>
          reject(
            new ReloadError('CONTROL_TIMEOUT', `no answer from the node within ${timeoutMs} ms`),
          ),
        ),
      timeoutMs,
    );
    s.setEncoding('utf8');
    s.once('connect', () => s.write(`${JSON.stringify({ id: 1, ...req })}\n`));
    s.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      finish(() => {
        try {
          const res = JSON.parse(buf.slice(0, nl)) as {
            ok: boolean;
            result?: unknown;
            error?: { code: string; message: string };
          };
          if (res.ok) resolve(res.result);
          else
            reject(
              new ReloadError(res.error?.code ?? 'ERROR', res.error?.message ?? 'request failed'),
            );
        } catch (e) {
          reject(new ReloadError('CONTROL_PROTOCOL', `bad answer: ${(e as Error).message}`));
        }
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? new ReloadError(
                'NODE_NOT_RUNNING',
                `no node is running on this data directory (${path}: ${e.code}); start it with \`reload-node run --data DIR\``,
              )
            : e.code === 'EACCES'
              ? new ReloadError(
                  'CONTROL_DENIED',
                  `${path}: permission denied; run this command as the node's user`,
                )
              : new ReloadError('CONTROL_FAILED', `${path}: ${e.message}`),
        ),
      ),
    );
    s.once('close', () =>
      finish(() =>
        reject(new ReloadError('CONTROL_FAILED', 'the node closed the control channel')),
      ),
    );
  });
}
