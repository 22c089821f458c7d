/**
 * RFC 6940 §11.2 discovery: DNS SRV `_reload-config._tcp.<overlay>` (falling back to the
 * overlay name on port 443), then HTTPS GET `/.well-known/reload-config` with the
 * certificate checked against the overlay name, then §11.1 verification.
 */
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { ReloadError } from '@reload/wire';
import { CONFIG_MEDIA_TYPE, CONFIG_SRV_SERVICE, CONFIG_WELL_KNOWN_PATH } from './constants.js';
import { type VerifiedConfiguration, verifyConfiguration, type VerifyOptions } from './signing.js';

/** Options of {@link discoverConfiguration}. */
export interface DiscoveryOptions extends Omit<VerifyOptions, 'instanceName'> {
  /** DNS server to ask, `host:port` or `host` (default: the system's resolvers). */
  dnsServer?: string;
  /**
   * Configuration server URL given out of band (§11.2): skips DNS SRV; the certificate must
   * then match the URL's host name instead of the overlay name.
   */
  configUrl?: string;
  /** CA certificates (PEM text or DER) trusted for the HTTPS server (default: Node's list). */
  caCertificates?: readonly (string | Uint8Array)[];
  /** Timeout of each DNS query and HTTPS exchange, ms (default 10000). */
  timeoutMs?: number;
  /** Largest document accepted, bytes (default 1 MiB). */
  maxBytes?: number;
}

/** Result of {@link discoverConfiguration}: the verified configuration and where it came from. */
export interface DiscoveredConfiguration extends VerifiedConfiguration {
  /** The document exactly as received. */
  raw: Uint8Array;
  /** The URL fetched. */
  url: string;
  /** The server contacted: host name (from SRV or fallback), IP address and port. */
  server: { host: string; address: string; port: number };
}

interface Target {
  host: string;
  port: number;
}

function toPem(c: string | Uint8Array): string {
  if (typeof c === 'string') return c;
  const b64 = Buffer.from(c)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function discoveryError(why: string, cause?: unknown): ReloadError {
  return new ReloadError('CONFIG_DISCOVERY', why, cause === undefined ? {} : { cause });
}

async function srvTargets(resolver: Resolver, overlay: string): Promise<Target[]> {
  try {
    const records = await resolver.resolveSrv(`${CONFIG_SRV_SERVICE}.${overlay}`);
    // RFC 2782: lowest priority first; among equals, heavier weight first.
    records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    return records.map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port }));
  } catch {
    return [];
  }
}

async function addressOf(resolver: Resolver | undefined, host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  if (resolver !== undefined) {
    for (const q of [() => resolver.resolve4(host), () => resolver.resolve6(host)]) {
      try {
        const a = await q();
        if (a[0] !== undefined) return a[0];
      } catch {
        // try the next record type
      }
    }
  }
  try {
    return (await lookup(host)).address;
  } catch (e) {
    throw discoveryError(`cannot resolve ${host}`, e);
  }
}

function httpsGet(
  address: string,
  port: number,
  path: string,
  name: string,
  options: DiscoveryOptions,
): Promise<Uint8Array> {
  const timeout = options.timeoutMs ?? 10_000;
  const max = options.maxBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address,
        port,
        path,
        method: 'GET',
        agent: false,
        // SNI and RFC 2818 name check: the overlay name (or the configured URL's host).
        servername: isIP(name) === 0 ? name : undefined,
        headers: { host: port === 443 ? name : `${name}:${port}`, accept: CONFIG_MEDIA_TYPE },
        ...(options.caCertificates === undefined ? {} : { ca: options.caCertificates.map(toPem) }),
        timeout,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) {
            req.destroy(discoveryError(`document larger than ${max} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(discoveryError(`GET https://${name}${path}: HTTP ${res.statusCode}`));
            return;
          }
          const type = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
          if (type !== CONFIG_MEDIA_TYPE) {
            reject(
              discoveryError(
                `GET https://${name}${path}: content-type '${type}', expected ${CONFIG_MEDIA_TYPE}`,
              ),
            );
            return;
          }
          resolve(new Uint8Array(Buffer.concat(chunks)));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(discoveryError(`GET https://${name}${path}: timed out after ${timeout} ms`)),
    );
    req.on('error', (e) =>
      reject(
        e instanceof ReloadError
          ? e
          : discoveryError(`GET https://${name}${path}: ${e.message}`, e),
      ),
    );
    req.end();
  });
}

/**
 * Finds, fetches and verifies an overlay's configuration document (RFC 6940 §11.2).
 *
 * Without `configUrl`: resolves SRV `_reload-config._tcp.<overlayName>` (using
 * `dnsServer` if given) and tries its targets in priority order, then falls back to
 * `<overlayName>:443`. Connects over HTTPS with SNI and certificate name check = the
 * overlay name, GETs `/.well-known/reload-config` (Host: the overlay name), requires
 * `application/p2p-overlay+xml`, then runs {@link verifyConfiguration} for the
 * configuration whose instance-name is the overlay name.
 *
 * @throws ReloadError 'CONFIG_DISCOVERY' (DNS, TLS, HTTP failures; the message lists each target's), or
 *   any error of verifyConfiguration ('CONFIG_NOT_FOUND' when no configuration has the
 *   overlay name as instance-name, 'CONFIG_SIGNATURE_INVALID', …).
 */
export async function discoverConfiguration(
  overlayName: string,
  options: DiscoveryOptions = {},
): Promise<DiscoveredConfiguration> {
  let resolver: Resolver | undefined;
  if (options.dnsServer !== undefined) {
    resolver = new Resolver({ timeout: options.timeoutMs ?? 10_000, tries: 2 });
    resolver.setServers([options.dnsServer]);
  }
  let targets: Target[];
  let name: string;
  let path = CONFIG_WELL_KNOWN_PATH;
  if (options.configUrl !== undefined) {
    const u = new URL(options.configUrl);
    if (u.protocol !== 'https:') throw discoveryError(`${options.configUrl} is not an https: URL`);
    name = u.hostname.replace(/^\[|\]$/g, '');
    path = `${u.pathname}${u.search}`;
    targets = [{ host: name, port: u.port === '' ? 443 : Number(u.port) }];
  } else {
    name = overlayName;
    targets = [
      ...(await srvTargets(resolver ?? new Resolver(), overlayName)),
      { host: overlayName, port: 443 },
    ];
  }
  const failures: string[] = [];
  let firstError: unknown;
  for (const t of targets) {
    let address: string;
    let raw: Uint8Array;
    try {
      address = await addressOf(resolver, t.host);
      raw = await httpsGet(address, t.port, path, name, options);
    } catch (e) {
      firstError ??= e;
      failures.push(`${t.host}:${t.port}: ${(e as Error).message}`);
      continue;
    }
    const {
      dnsServer: _d,
      configUrl: _c,
      caCertificates: _ca,
      timeoutMs: _t,
      maxBytes: _m,
      ...verify
    } = options;
    const verified = verifyConfiguration(raw, { ...verify, instanceName: overlayName });
    return {
      ...verified,
      raw,
      url: `https://${name}${t.port === 443 ? '' : `:${t.port}`}${path}`,
      server: { host: t.host, address, port: t.port },
    };
  }
  throw discoveryError(
    `no configuration document for ${overlayName} (${failures.join('; ')})`,
    firstError,
  );
}
