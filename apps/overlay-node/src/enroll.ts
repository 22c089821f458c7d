/**
 * `reload-node enroll`: discover the overlay's configuration (RFC 6940 §11.2), verify it
 * (§11.1), make a key pair and a PKCS#10 CSR, enroll with user name and password at the
 * configuration's enrollment server (§11.3) and write the data directory.
 */
import { Resolver } from 'node:dns/promises';
import { appendFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { lookup as systemLookup } from 'node:dns';
import FormData from 'form-data';
import { type DiscoveredConfiguration, discoverConfiguration } from '@reload/config';
import {
  type KeyAlgorithm,
  certificateInfo,
  createCsr,
  fromPemAll,
  generateKeyPairAsync,
  nodeIdToHex,
  privateKeyToPem,
  spkiOf,
  toPem,
} from '@reload/security';
import { ReloadError, isReloadError } from '@reload/wire';
import {
  type DataPaths,
  type NodeInfo,
  ensureDataDir,
  readNodeInfo,
  writeFileAtomic,
} from './data-dir.js';
import { acceptConfiguration, trustStoreOf, withKinds } from './overlay-config.js';

/** Media type of the enrollment answer (RFC 6940 §11.3, RFC 2585). */
export const PKIX_CERT = 'application/pkix-cert';

/** Options of {@link enroll}. */
export interface EnrollOptions {
  /** Overlay name (instance-name); default with `configUrl`: the URL's host name. */
  overlay?: string;
  /** DNS server for SRV `_reload-config._tcp` and the servers' addresses, `HOST:PORT`. */
  dnsServer?: string;
  /** Configuration URL given out of band (skips DNS SRV). */
  configUrl?: string;
  /** PEM file with the CA certificate(s) of the configuration/enrollment HTTPS servers. */
  caFile?: string;
  username: string;
  password: string;
  /** Data directory to write. */
  dataDir: string;
  /** Key type (default rsa2048, §6.3.4 mandatory algorithm). */
  keyType?: KeyAlgorithm;
  /** Node-IDs to request (`nodeids` form field, default 1); the node uses the last one. */
  nodeIds?: number;
  /** Overwrite an already enrolled data directory. */
  force?: boolean;
  /** Timeout of each network exchange, ms (default 15 000). */
  timeoutMs?: number;
}

/** Result of {@link enroll}. */
export interface EnrollResult {
  info: NodeInfo;
  paths: DataPaths;
  /** Configuration sequence number enrolled with. */
  sequence: number;
  /** Certificate validity end. */
  notAfter: Date;
}

/**
 * Reads a PEM file of CA certificates.
 * @throws ReloadError('BAD_CA_FILE') when unreadable or without a certificate.
 */
export async function readCaFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ReloadError(
      'BAD_CA_FILE',
      `cannot read the CA file ${path}: ${(e as Error).message}; --ca-file takes the PEM file of the services' CA (servicesCa printed by \`reload-services provision\`)`,
    );
  }
  let ders: Uint8Array[];
  try {
    ders = fromPemAll(text, 'CERTIFICATE');
  } catch {
    ders = [];
  }
  if (ders.length === 0)
    throw new ReloadError(
      'BAD_CA_FILE',
      `${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); --ca-file takes the PEM file of the services' CA`,
    );
  for (const d of ders) {
    try {
      certificateInfo(d);
    } catch (e) {
      throw new ReloadError(
        'BAD_CA_FILE',
        `${path}: a certificate does not parse: ${(e as Error).message}`,
      );
    }
  }
  return ders.map((d) => toPem(d));
}

function splitHostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(s.trim());
  if (!m) throw new ReloadError('BAD_OPTION', `expected HOST[:PORT], got "${s}"`);
  return { host: m[1] ?? m[2], port: m[3] ? Number(m[3]) : 53 };
}

/** A `lookup` for node:https that asks `dnsServer` first (A, then AAAA), then the system. */
export function lookupVia(dnsServer: string | undefined, timeoutMs = 10_000): LookupFunction {
  if (dnsServer === undefined) return systemLookup;
  const { host, port } = splitHostPort(dnsServer);
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers([isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`]);
  const fn = (
    hostname: string,
    options: { all?: boolean } | number | undefined,
    cb: (err: Error | null, address: unknown, family?: number) => void,
  ): void => {
    const all = typeof options === 'object' && options?.all === true;
    const done = (address: string, family: number): void =>
      all ? cb(null, [{ address, family }]) : cb(null, address, family);
    if (isIP(hostname) !== 0) return done(hostname, isIP(hostname));
    resolver.resolve4(hostname).then(
      (a) => done(a[0], 4),
      () =>
        resolver.resolve6(hostname).then(
          (a) => done(a[0], 6),
          () =>
            systemLookup(hostname, { all: false }, (err, address, family) =>
              err ? cb(err, '') : done(address, family),
            ),
        ),
    );
  };
  return fn as unknown as LookupFunction;
}

/** Error message texts for the §11.3 403 tokens. */
const TOKEN_HELP: Readonly<Record<string, string>> = {
  failed_authentication:
    'wrong user name or password: check --username and --password, or ask the overlay operator to add the user (OAM: POST /type=Enrollment/Users)',
  username_not_available: 'the user name asked for in the CSR is not available to this user',
  'Node-IDs_not_available': 'the enrollment server has no Node-IDs for this request (--nodeids)',
  bad_CSR: 'the enrollment server refused the certificate signing request',
};

interface HttpAnswer {
  status: number;
  type: string;
  body: Buffer;
}

function postForm(
  url: URL,
  form: FormData,
  o: { ca?: string[]; lookup: LookupFunction; timeoutMs: number },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const req = request(
      {
        method: 'POST',
        host,
        port: url.port === '' ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        servername: isIP(host) === 0 ? host : undefined,
        headers: { ...form.getHeaders(), accept: PKIX_CERT },
        lookup: o.lookup,
        agent: false,
        timeout: o.timeoutMs,
        ...(o.ca ? { ca: o.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 1024 * 1024) req.destroy(new Error('answer larger than 1 MiB'));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase(),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    // SSLKEYLOGFILE: TLS secrets in NSS key-log format, so a capture can be decrypted.
    const keyLog = process.env.SSLKEYLOGFILE;
    if (keyLog)
      req.on('socket', (s) =>
        s.on('keylog', (line: Buffer) => {
          try {
            appendFileSync(keyLog, line, { mode: 0o600 });
          } catch {
            // key logging is best effort
          }
        }),
      );
    form.pipe(req);
  });
}

function tlsHint(e: unknown): string {
  const code = (e as { code?: string }).code ?? '';
  const cause = (e as { cause?: { code?: string } }).cause?.code ?? '';
  const all = `${code} ${cause} ${(e as Error).message}`;
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|CERT_UNTRUSTED|certificate/i.test(all))
    return ' — the server certificate is not trusted: pass the services CA with --ca-file';
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|timed out|EHOSTUNREACH/i.test(all))
    return ' — is the server running and reachable? check --dns / --config-url';
  return '';
}

/** Fetches and verifies the configuration, with errors that say what to do. */
export async function fetchConfiguration(
  o: Pick<EnrollOptions, 'overlay' | 'dnsServer' | 'configUrl' | 'timeoutMs'> & { ca?: string[] },
  previous?: DiscoveredConfiguration['configuration'],
): Promise<DiscoveredConfiguration & ReturnType<typeof withKinds>> {
  let overlay = o.overlay;
  if (overlay === undefined && o.configUrl !== undefined) {
    try {
      overlay = new URL(o.configUrl).hostname;
    } catch {
      throw new ReloadError('BAD_OPTION', `--config-url ${o.configUrl} is not a URL`);
    }
  }
  if (overlay === undefined)
    throw new ReloadError('BAD_OPTION', 'give --overlay NAME or --config-url URL');
  let found: DiscoveredConfiguration;
  try {
    found = await discoverConfiguration(overlay, {
      ...(o.dnsServer !== undefined ? { dnsServer: o.dnsServer } : {}),
      ...(o.configUrl !== undefined ? { configUrl: o.configUrl } : {}),
      ...(o.ca ? { caCertificates: o.ca } : {}),
      ...(previous ? { previous } : {}),
      timeoutMs: o.timeoutMs ?? 15_000,
      invalidKinds: 'drop',
    });
  } catch (e) {
    if (!isReloadError(e)) throw e;
    const code = String(e.code);
    if (code === 'CONFIG_DISCOVERY')
      throw new ReloadError(
        'CONFIG_UNREACHABLE',
        `cannot fetch the configuration of ${overlay}: ${e.message}${tlsHint(e.cause ?? e)}`,
        { cause: e },
      );
    if (/SIGNATURE|SIGNER/.test(code))
      throw new ReloadError(
        code,
        `the configuration of ${overlay} is not validly signed: ${e.message} — do not use this server's document; tell the overlay operator`,
        { cause: e },
      );
    if (code === 'CONFIG_EXPIRED')
      throw new ReloadError(
        code,
        `the configuration of ${overlay} has expired: ${e.message} — the operator must renew it`,
        { cause: e },
      );
    if (code === 'CONFIG_NOT_FOUND')
      throw new ReloadError(
        code,
        `${e.message} — the document served does not describe ${overlay}; check --overlay`,
        { cause: e },
      );
    throw e;
  }
  return { ...found, ...withKinds(found) };
}

/**
 * Enrolls a node (RFC 6940 §11.2, §11.3) and writes its data directory.
 * @throws ReloadError with a message saying what failed and what to do: 'BAD_OPTION',
 *   'BAD_CA_FILE', 'ALREADY_ENROLLED', 'CONFIG_UNREACHABLE', 'CONFIG_SIGNATURE_INVALID',
 *   'CONFIG_SIGNER_NOT_AUTHORIZED', 'CONFIG_EXPIRED', 'NO_ENROLLMENT_SERVER',
 *   'ENROLLMENT_UNREACHABLE', 'ENROLLMENT_REFUSED' (403 with its token), 'ENROLLMENT_FAILED',
 *   'BAD_CERTIFICATE'.
 */
export async function enroll(o: EnrollOptions): Promise<EnrollResult> {
  if (!o.overlay && !o.configUrl)
    throw new ReloadError('BAD_OPTION', 'give --overlay NAME or --config-url URL');
  const nodeIdCount = o.nodeIds ?? 1;
  if (!Number.isInteger(nodeIdCount) || nodeIdCount < 1 || nodeIdCount > 64)
    throw new ReloadError('BAD_OPTION', '--nodeids must be an integer 1..64');
  const paths = await ensureDataDir(o.dataDir);
  if (!o.force) {
    const existing = await readNodeInfo(paths).catch(() => undefined);
    if (existing)
      throw new ReloadError(
        'ALREADY_ENROLLED',
        `${paths.dir} already holds node ${existing.nodeId} of ${existing.overlay}; use another --data directory (or --force to replace it)`,
      );
  }
  const timeoutMs = o.timeoutMs ?? 15_000;
  const ca = o.caFile !== undefined ? await readCaFile(o.caFile) : undefined;
  const found = await fetchConfiguration({ ...o, timeoutMs, ...(ca ? { ca } : {}) });
  const config = found.configuration;
  const server = config.enrollmentServers.find((u) => u.startsWith('https:'));
  if (server === undefined)
    throw new ReloadError(
      'NO_ENROLLMENT_SERVER',
      `the configuration of ${config.instanceName} has no https enrollment-server; this overlay does not enroll by password`,
    );

  const keyType = o.keyType ?? 'rsa2048';
  const keys = await generateKeyPairAsync(keyType);
  const csr = await createCsr({ privateKey: keys.privateKey });
  const form = new FormData();
  form.append('username', o.username);
  form.append('password', o.password);
  form.append('nodeids', String(nodeIdCount));
  form.append('csr', Buffer.from(csr), { filename: 'csr.der', contentType: 'application/pkcs10' });
  let answer: HttpAnswer;
  try {
    answer = await postForm(new URL(server), form, {
      ...(ca ? { ca } : {}),
      lookup: lookupVia(o.dnsServer),
      timeoutMs,
    });
  } catch (e) {
    throw new ReloadError(
      'ENROLLMENT_UNREACHABLE',
      `cannot reach the enrollment server ${server}: ${(e as Error).message}${tlsHint(e)}`,
      { cause: e },
    );
  }
  if (answer.status === 403) {
    const token = answer.body.toString('utf8').trim().slice(0, 100);
    throw new ReloadError(
      'ENROLLMENT_REFUSED',
      `enrollment refused by ${server} (403 ${token}): ${TOKEN_HELP[token] ?? 'see the server log'}`,
    );
  }
  if (answer.status !== 200) {
    let why = answer.body.toString('utf8').slice(0, 300);
    try {
      why = (JSON.parse(why) as { message?: string }).message ?? why;
    } catch {
      // plain text
    }
    throw new ReloadError(
      'ENROLLMENT_FAILED',
      `enrollment at ${server} failed with HTTP ${answer.status}: ${why}`,
    );
  }
  if (answer.type !== PKIX_CERT)
    throw new ReloadError(
      'ENROLLMENT_FAILED',
      `enrollment at ${server} answered ${answer.type || 'no content type'}, expected ${PKIX_CERT}`,
    );
  const der = new Uint8Array(answer.body);
  let info;
  try {
    info = trustStoreOf(config).checkCertificate(der, { requireNodeId: true });
  } catch (e) {
    throw new ReloadError(
      'BAD_CERTIFICATE',
      `the certificate from ${server} is not valid for ${config.instanceName}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (Buffer.compare(Buffer.from(info.spki), Buffer.from(spkiOf(keys.publicKey))) !== 0)
    throw new ReloadError(
      'BAD_CERTIFICATE',
      `the certificate from ${server} is not for the key we sent`,
    );
  const nodeIds = info.nodeIds.map(nodeIdToHex);
  const nodeInfo: NodeInfo = {
    nodeId: nodeIds[nodeIds.length - 1],
    certificateNodeIds: nodeIds,
    overlay: config.instanceName,
    username: o.username,
    certificateUsername: info.usernames[0] ?? o.username,
    discovery: {
      ...(o.dnsServer !== undefined ? { dnsServer: o.dnsServer } : {}),
      ...(o.configUrl !== undefined ? { configUrl: o.configUrl } : {}),
      ...(ca ? { caFile: paths.ca } : {}),
    },
    enrollmentServer: server,
    keyType,
    enrolledAt: new Date().toISOString(),
  };
  if (ca) await writeFileAtomic(paths.ca, ca.join(''));
  await writeFileAtomic(paths.configuration, found.raw);
  await writeFileAtomic(paths.key, privateKeyToPem(keys.privateKey), 0o600);
  await writeFileAtomic(paths.certificate, toPem(der));
  await writeFileAtomic(paths.info, `${JSON.stringify(nodeInfo, null, 2)}\n`);
  const mode = (await stat(paths.key)).mode & 0o777;
  if (mode !== 0o600)
    throw new ReloadError('KEY_MODE', `${paths.key} has mode ${mode.toString(8)}, expected 600`);
  return { info: nodeInfo, paths, sequence: config.sequence, notAfter: info.notAfter };
}

/** Verifies the configuration stored in a data directory (for `run`); see acceptConfiguration. */
export async function readStoredConfiguration(
  paths: DataPaths,
  overlay: string,
): Promise<{ raw: Uint8Array } & ReturnType<typeof acceptConfiguration>> {
  const raw = new Uint8Array(await readFile(paths.configuration));
  return { raw, ...acceptConfiguration(raw, { instanceName: overlay, checkExpiration: false }) };
}
