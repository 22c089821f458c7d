/**
 * Runs the three servers for every overlay provisioned in a data directory: one HTTPS
 * listener (virtual hosts by SNI/Host), the DNS responder, and the configuration-signer
 * renewal timers.
 */
import { appendFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ReloadError } from '@reload/wire';
import { ProvisioningStore, type StoreOptions } from '@reload/provisioning';
import { validateWithXmllint } from '@reload/config';
import { buildServicesApp } from './app.js';
import { startDnsResponder, type DnsResponder } from './dns.js';

/** A `HOST:PORT` pair (IPv6 hosts in brackets: `[::1]:8443`). */
export interface HostPort {
  /** Host (address). */
  host: string;
  /** Port. */
  port: number;
}

/** Parses `HOST:PORT` / `[V6]:PORT`. @throws ReloadError `BAD_OPTION`. */
export function parseHostPort(s: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new ReloadError('BAD_OPTION', `expected HOST:PORT, got "${s}"`);
  return { host: m[1] ?? m[2], port };
}

/** Options of {@link startServices}. */
export interface StartOptions extends StoreOptions {
  /** Data directory (made by `provision`). */
  dataDir: string;
  /** HTTPS listen address. */
  listen: HostPort;
  /** DNS responder address (none when omitted). */
  dns?: HostPort;
  /** Port clients use for HTTPS (default: the listening port); goes into enrollment-server. */
  publicPort?: number;
  /** Address the overlay names resolve to in DNS (default: the listen host, or 127.0.0.1 for a wildcard). */
  publicAddress?: string;
  /** pino logger (none when omitted). */
  logger?: FastifyBaseLogger;
  /**
   * Extra upload validation (see ServicesAppOptions.validateConfiguration). Default: RELAX NG
   * validation with `xmllint` against @reload/config's §11.1.1 schema when xmllint is
   * installed (a warning is logged and only the built-in structural check runs otherwise).
   */
  validateConfiguration?: (xml: string) => void | Promise<void>;
}

/** Running services. */
export interface RunningServices {
  /** The shared store (open while running). */
  store: ProvisioningStore;
  /** The fastify instance. */
  app: FastifyInstance;
  /** Hosted overlays. */
  overlays: string[];
  /** Bound HTTPS port. */
  port: number;
  /** Bound DNS port, when the responder runs. */
  dnsPort?: number;
  /** Stops timers and servers and closes the store. */
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts everything. @throws ReloadError `NO_OVERLAYS` when nothing is provisioned,
 * `DATA_DIR_IN_USE` when another process holds the data directory.
 */
export async function startServices(opts: StartOptions): Promise<RunningServices> {
  const store = await ProvisioningStore.open(opts.dataDir, opts);
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const overlays = (await store.listOverlays()).map((o) => o.name);
    if (overlays.length === 0) {
      throw new ReloadError(
        'NO_OVERLAYS',
        `no overlay is provisioned in ${store.dataDir}; run reload-services provision first`,
      );
    }
    const contexts = new Map<string, SecureContext>();
    const creds = new Map<string, { cert: string; key: string }>();
    for (const o of overlays) {
      const c = await store.httpsCredentials(o);
      const ca = (await store.oamCa(o)).toString();
      creds.set(o, c);
      contexts.set(o, createSecureContext({ cert: c.cert, key: c.key, ca }));
    }
    const first = creds.get(overlays[0])!;
    let validateConfiguration = opts.validateConfiguration;
    if (!validateConfiguration) {
      try {
        await validateWithXmllint(await store.nakedConfiguration(overlays[0]));
        validateConfiguration = relaxNgValidator;
      } catch (err) {
        opts.logger?.warn(
          { err },
          'xmllint unavailable: uploads get the structural grammar check only',
        );
      }
    }
    const app = await buildServicesApp({
      store,
      overlays,
      logger: opts.logger ?? false,
      ...(validateConfiguration ? { validateConfiguration } : {}),
      https: {
        cert: first.cert,
        key: first.key,
        requestCert: true,
        rejectUnauthorized: false,
        SNICallback: (name, cb) =>
          cb(null, contexts.get(name.toLowerCase()) ?? contexts.get(overlays[0])),
      },
    });
    closers.push(() => app.close());
    // SSLKEYLOGFILE: append NSS key-log lines so captures of the HTTPS traffic can be decrypted.
    const keylog = process.env.SSLKEYLOGFILE;
    if (keylog) app.server.on('keylog', (line: Buffer) => appendFileSync(keylog, line));
    await app.listen({ host: opts.listen.host, port: opts.listen.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.listen.port;
    const publicPort = opts.publicPort ?? port;
    for (const o of overlays) {
      if (await store.setPublicPort(o, publicPort)) {
        app.log.info({ overlay: o, port: publicPort }, 'enrollment-server now points at this port');
      }
    }

    // Signer renewal (RFC 6940 §11.1: each new document signed by a signer the previous lists).
    const timers = new Map<string, NodeJS.Timeout>();
    let stopped = false;
    const schedule = async (o: string): Promise<void> => {
      if (stopped) return;
      const delay = Math.max(0, (await store.renewalDue(o)) - Date.now());
      const t = setTimeout(
        () => {
          void (async () => {
            if (stopped) return;
            try {
              if ((await store.renewalDue(o)) <= Date.now()) {
                const rec = await store.renewSigner(o);
                app.log.info(
                  { overlay: o, signer: rec.index, notAfter: new Date(rec.notAfter).toISOString() },
                  'configuration signer renewed',
                );
              }
            } catch (err) {
              app.log.error({ err, overlay: o }, 'signer renewal failed; retrying');
            }
            await schedule(o);
          })();
        },
        Math.min(delay, MAX_TIMER_MS),
      );
      t.unref();
      timers.set(o, t);
    };
    for (const o of overlays) await schedule(o);
    closers.push(() => {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      return Promise.resolve();
    });

    let dns: DnsResponder | undefined;
    if (opts.dns) {
      const wildcard = opts.listen.host === '0.0.0.0' || opts.listen.host === '::';
      dns = await startDnsResponder({
        overlays,
        host: opts.dns.host,
        port: opts.dns.port,
        httpsPort: publicPort,
        addresses: [opts.publicAddress ?? (wildcard ? '127.0.0.1' : opts.listen.host)],
      });
      const d = dns;
      closers.push(() => d.close());
    }
    return {
      store,
      app,
      overlays,
      port,
      ...(dns ? { dnsPort: dns.port } : {}),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Rejects a document that `xmllint --relaxng` finds invalid against the §11.1.1 schema. */
export async function relaxNgValidator(xml: string): Promise<void> {
  const r = await validateWithXmllint(xml);
  if (!r.valid) {
    const msg = r.output
      .split('\n')
      .filter((l) => l.trim() !== '' && !/fails to validate/.test(l))
      .map((l) => l.replace(/^-:/, 'line '))
      .join('; ');
    throw new Error(`does not conform to the RFC 6940 §11.1.1 RELAX NG grammar: ${msg}`);
  }
}
