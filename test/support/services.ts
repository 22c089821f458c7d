/**
 * Shared setup of the end-to-end tests that drive a real `reload-services` (configuration
 * server, enrollment CA, OAM, DNS) on loopback: run a command, provision an overlay, start
 * and stop the server, send OAM requests with the overlay's OAM client certificate.
 * The services CLI runs from source through tsx (no build needed).
 * Used by test/services/e2e.int.test.ts and test/e2e/overlay-node.int.test.ts.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The repository root (every command runs there). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Node arguments that run the `reload-services` CLI from source. */
const SERVICES_ARGS = [
  '--conditions=@reload/source',
  '--import',
  'tsx',
  join(ROOT, 'apps/services/src/bin.ts'),
];

/** Outcome of a command: exit code (1 when killed or not started), stdout and stderr text. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` in ROOT; never rejects. `timeout` in ms kills it (code 1). */
export function run(cmd: string, args: string[], timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Runs `reload-services ...args`. */
export const servicesCli = (...args: string[]): Promise<Run> =>
  run(process.execPath, [...SERVICES_ARGS, ...args]);

/**
 * The JSON that `reload-services provision` prints: absolute paths of PEM files (`rootCert`,
 * `servicesCa`, `oamCa`, `oamClientCert`, `oamClientKey`), `overlay` and `oamUrl`.
 */
export type Provisioned = Record<string, string>;

/**
 * `reload-services provision` of `overlay` into data directory `data`, with the root CA
 * subject `subject` and key algorithm `keyAlgorithm` (e.g. 'rsa2048', 'ecdsa-p256').
 * Asserts exit code 0 (stderr as the message) and returns the printed JSON.
 */
export async function provisionOverlay(
  data: string,
  overlay: string,
  subject: string,
  keyAlgorithm: string,
): Promise<Provisioned> {
  const r = await servicesCli(
    'provision',
    '--data',
    data,
    '--overlay',
    overlay,
    '--subject',
    subject,
    '--key-algorithm',
    keyAlgorithm,
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Provisioned;
}

/** A running `reload-services start`. */
export interface RunningServices {
  child: ChildProcess;
  /** HTTPS port (configuration, enrollment, OAM) on 127.0.0.1. */
  port: number;
  /** DNS port (UDP and TCP) on 127.0.0.1. */
  dnsPort: number;
  /** SIGTERM, resolved when the process has exited (at once if it already has). */
  stop(): Promise<void>;
}

/**
 * Starts `reload-services start` on data directory `data`, HTTPS and DNS on ephemeral ports
 * of 127.0.0.1, log level warn. Resolves when it prints its `"event":"ready"` line; rejects
 * (with its stderr) when it exits first or is not ready within 45 s.
 */
export async function startServices(data: string): Promise<RunningServices> {
  const child = spawn(
    process.execPath,
    [
      ...SERVICES_ARGS,
      'start',
      '--data',
      data,
      '--listen',
      '127.0.0.1:0',
      '--dns',
      '127.0.0.1:0',
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  try {
    const ready = await new Promise<{ port: number; dnsPort: number }>((resolve, reject) => {
      let out = '';
      const t = setTimeout(
        () => reject(new Error(`reload-services did not start: ${err}`)),
        45_000,
      );
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
        if (line) {
          clearTimeout(t);
          resolve(JSON.parse(line) as { port: number; dnsPort: number });
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`reload-services exited with ${code}: ${err}`)),
      );
    });
    return { child, port: ready.port, dnsPort: ready.dnsPort, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * An OAM request to overlay `overlay` on `services` with the overlay's OAM client certificate
 * from `prov` (Node https, the services CA as the only trust anchor). `type` is the request's
 * content-type. Resolves with the HTTP status as `code` and the body as `stdout`.
 */
export async function oamRequest(
  services: { port: number },
  prov: Provisioned,
  overlay: string,
  method: string,
  path: string,
  body?: string,
  type?: string,
): Promise<Run> {
  const [ca, cert, key] = await Promise.all([
    readFile(prov.servicesCa, 'utf8'),
    readFile(prov.oamClientCert, 'utf8'),
    readFile(prov.oamClientKey, 'utf8'),
  ]);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: services.port,
        servername: overlay,
        method,
        path,
        ca,
        cert,
        key,
        agent: false,
        headers: { host: overlay, ...(type ? { 'content-type': type } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, stdout: text, stderr: '' }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Adds enrollment users `[name, password][]` to overlay `overlay` through the OAM API
 * (POST /type=Enrollment/Users, form-encoded), asserting 201 Created for each.
 */
export async function addUsers(
  services: { port: number },
  prov: Provisioned,
  overlay: string,
  users: readonly (readonly [string, string])[],
): Promise<void> {
  for (const [name, password] of users) {
    const r = await oamRequest(
      services,
      prov,
      overlay,
      'POST',
      '/type=Enrollment/Users',
      new URLSearchParams({ name, password }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(r.code, r.stdout).toBe(201);
  }
}
