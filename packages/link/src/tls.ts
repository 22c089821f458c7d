/**
 * TLS over TCP with the framing header, No-ICE (OverlayLinkType TLS-TCP-FH-NO-ICE,
 * RFC 6940 §6.6.5), on `node:tls`: TLS 1.2 and 1.3, mutual certificate authentication (§4.1),
 * the §6.6.2 framing header for RTT measurement and failure detection, and SSLKEYLOGFILE
 * support so captures can be decrypted.
 *
 * Authentication happens twice. When overlay root certificates are configured, OpenSSL
 * verifies the peer's chain during the handshake (a client without a certificate, or with
 * one from another CA, fails the handshake). Then, before a single byte of the link is read,
 * the {@link PeerVerifier} checks the chain again with the overlay's rules (validity,
 * bad-node list, self-signed policy) and extracts the peer's Node-IDs; the outgoing side also
 * requires the expected Node-ID. Every refusal is logged with its reason and emitted as a
 * listener `refused` event.
 */
import { EventEmitter } from 'node:events';
import { appendFileSync } from 'node:fs';
import { KeyObject, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { OverlayLinkType, ReloadError, isReloadError } from '@reload/wire';
import type { LinkClock } from './clock.js';
import { systemClock } from './clock.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_SIZE } from './constants.js';
import type { OverlayLinkTypeCode } from './constants.js';
import type { ByteChannel } from './framed-link.js';
import { FramedLink } from './framed-link.js';
import type { RtoOptions } from './rto.js';
import type {
  ConnectOptions,
  Link,
  LinkAddress,
  LinkListener,
  LinkLogger,
  LinkTransport,
  ListenerEvents,
  PeerVerifier,
} from './types.js';
import { formatAddress, silentLogger } from './types.js';
import { checkExpectedNodeId, refusalCode } from './verify.js';

/** A certificate or key: PEM text or DER bytes (a key as PKCS#8 DER, or a KeyObject). */
export type PemOrDer = string | Uint8Array;

/** Options of {@link createTlsTransport}. */
export interface TlsTransportOptions extends RtoOptions {
  /** Our certificate chain, leaf first (PEM text may hold several certificates). */
  cert: PemOrDer | readonly PemOrDer[];
  /** Our private key. */
  key: PemOrDer | KeyObject;
  /**
   * Overlay root certificates (`root-cert` of the configuration). When given (and
   * `selfSignedPermitted` is not set), OpenSSL already refuses peers that do not chain to
   * them, inside the handshake.
   */
  ca?: readonly PemOrDer[];
  /**
   * Self-signed certificates are permitted (§11.1 `self-signed-permitted`): the TLS layer
   * accepts any certificate and the verifier alone decides.
   */
  selfSignedPermitted?: boolean;
  /** Checks each peer's chain and returns its Node-IDs (required). */
  verifier: PeerVerifier;
  /** max-message-size of the overlay, bytes (default 5000, §11.1). */
  maxMessageSize?: number;
  /** Lowest TLS version (default TLSv1.2). */
  minVersion?: tls.SecureVersion;
  /** Highest TLS version (default TLSv1.3). */
  maxVersion?: tls.SecureVersion;
  /** Limit for TLS handshake plus verification, ms (default 10 000). */
  handshakeTimeoutMs?: number;
  /** Backpressure threshold per link, bytes (default 256 KiB). */
  highWaterMark?: number;
  /** Failed-link retention, ms (default 30 000, §6.6.5). */
  retentionMs?: number;
  /** NSS key-log file to append TLS secrets to (default: `$SSLKEYLOGFILE`; null disables). */
  keyLogFile?: string | null;
  /** Clock for RTO and retention timers. */
  clock?: LinkClock;
  /** pino-compatible logger. */
  logger?: LinkLogger;
}

function toPem(data: PemOrDer, label: string): string {
  if (typeof data === 'string') return data;
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function keyPem(key: PemOrDer | KeyObject): string {
  if (key instanceof KeyObject) return key.export({ format: 'pem', type: 'pkcs8' }).toString();
  return toPem(key, 'PRIVATE KEY');
}

/** DER chain of the peer, leaf first, as presented/verified in the handshake. */
function peerChain(socket: tls.TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new Uint8Array(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

function remoteOf(socket: tls.TLSSocket): LinkAddress {
  return { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 };
}

function localOf(socket: tls.TLSSocket): LinkAddress {
  return { host: socket.localAddress ?? '?', port: socket.localPort ?? 0 };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new ReloadError('LINK_HANDSHAKE_TIMEOUT', `${what} took over ${ms} ms`)),
      ms,
    );
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Listener of a {@link TlsTransport}. */
class TlsListener extends EventEmitter<ListenerEvents> implements LinkListener {
  constructor(
    readonly server: tls.Server,
    readonly address: LinkAddress,
  ) {
    super();
  }

  close(): Promise<void> {
    // Stop accepting; established links stay open (server.close's callback would wait for
    // them to end).
    if (this.server.listening) this.server.close();
    return Promise.resolve();
  }
}

/**
 * The TLS-TCP-FH-NO-ICE link protocol (RFC 6940 §6.6.5). One instance per local node
 * identity; see {@link createTlsTransport}.
 */
export class TlsTransport implements LinkTransport {
  readonly type: OverlayLinkTypeCode = OverlayLinkType['TLS-TCP-FH-NO-ICE'];
  readonly protocol = 'tls';
  private readonly o: TlsTransportOptions;
  private readonly log: LinkLogger;
  private readonly clock: LinkClock;
  private readonly secure: tls.SecureContextOptions & tls.CommonConnectionOptions;
  private readonly keyLogFile: string | undefined;
  private readonly handshakeMs: number;

  constructor(options: TlsTransportOptions) {
    this.o = options;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    const certs = Array.isArray(options.cert)
      ? (options.cert as readonly PemOrDer[])
      : [options.cert as PemOrDer];
    const ca = options.ca ?? [];
    const verifyInTls = ca.length > 0 && !options.selfSignedPermitted;
    this.secure = {
      cert: certs.map((c) => toPem(c, 'CERTIFICATE')).join(''),
      key: keyPem(options.key),
      ...(ca.length > 0 ? { ca: ca.map((c) => toPem(c, 'CERTIFICATE')) } : {}),
      minVersion: options.minVersion ?? 'TLSv1.2',
      maxVersion: options.maxVersion ?? 'TLSv1.3',
      rejectUnauthorized: verifyInTls,
    };
    const env = process.env.SSLKEYLOGFILE;
    this.keyLogFile =
      options.keyLogFile === null ? undefined : (options.keyLogFile ?? (env || undefined));
    this.handshakeMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  }

  /** Appends one NSS key-log line (Wireshark `tls.keylog_file`). */
  private keylog = (line: Buffer): void => {
    if (!this.keyLogFile) return;
    try {
      appendFileSync(this.keyLogFile, line);
    } catch (err) {
      this.log.warn(
        { file: this.keyLogFile, err: (err as Error).message },
        'cannot append to SSLKEYLOGFILE',
      );
    }
  };

  listen(address: LinkAddress): Promise<LinkListener> {
    const server = tls.createServer({
      ...this.secure,
      requestCert: true,
      handshakeTimeout: this.handshakeMs,
    });
    if (this.keyLogFile) server.on('keylog', this.keylog);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        const a = server.address();
        const bound =
          a && typeof a === 'object' ? { host: a.address, port: a.port } : { ...address };
        const listener = new TlsListener(server, bound);
        server.on('error', (err: Error) =>
          this.log.error({ listen: formatAddress(bound), err: err.message }, 'TLS server error'),
        );
        // Cache the peer address on the raw socket: a socket refused inside the handshake is
        // destroyed before 'tlsClientError' and no longer knows it otherwise.
        server.on('connection', (raw: Socket) => void raw.remoteAddress);
        server.on('tlsClientError', (err, socket) => {
          const raw = (socket as unknown as { _parent?: Socket })._parent;
          const remote = {
            host: socket.remoteAddress ?? raw?.remoteAddress ?? '?',
            port: socket.remotePort ?? raw?.remotePort ?? 0,
          };
          // OpenSSL's verdict on the chain (rejectUnauthorized) explains the hang-up.
          const authError = socket.authorizationError as unknown;
          const reason =
            typeof authError === 'string' || authError instanceof Error
              ? Object.assign(new Error(`peer certificate rejected: ${String(authError)}`), {
                  code: String(authError),
                })
              : err;
          this.refuse(listener, 'server', remote, reason);
        });
        server.on('secureConnection', (socket) => {
          this.accept(listener, socket).catch((err: unknown) => {
            this.log.error({ err: String(err) }, 'TLS accept failed');
            socket.destroy();
          });
        });
        resolve(listener);
      });
    });
  }

  private refuse(
    listener: TlsListener | undefined,
    role: 'client' | 'server',
    remote: LinkAddress,
    err: Error,
  ): void {
    const code = refusalCode(err);
    this.log.warn(
      { remote: formatAddress(remote), role, code, err: err.message },
      `refused TLS link from ${formatAddress(remote)}: ${code}: ${err.message}`,
    );
    listener?.emit('refused', {
      code,
      message: err.message,
      remoteAddress: remote,
      role,
      error: err,
    });
  }

  private async accept(listener: TlsListener, socket: tls.TLSSocket): Promise<void> {
    const remote = remoteOf(socket);
    // Node already destroyed sockets whose chain OpenSSL rejected (rejectUnauthorized).
    if (!socket.authorized && this.secure.rejectUnauthorized) {
      this.refuse(listener, 'server', remote, tlsAuthError(socket));
      socket.destroy();
      return;
    }
    const swallow = (): void => undefined; // errors before the link takes over: see 'close'
    socket.on('error', swallow);
    let nodeIds: readonly Uint8Array[];
    const chain = peerChain(socket);
    try {
      nodeIds = await this.verifyPeer(chain, { role: 'server', remoteAddress: remote });
    } catch (err) {
      this.refuse(listener, 'server', remote, err as Error);
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    const link = this.wrap(socket, false, nodeIds, chain, remote);
    socket.off('error', swallow);
    listener.emit('link', link);
  }

  private async verifyPeer(
    chain: Uint8Array[],
    ctx: { role: 'client' | 'server'; remoteAddress: LinkAddress; expectedNodeId?: Uint8Array },
  ): Promise<readonly Uint8Array[]> {
    if (chain.length === 0) {
      throw new ReloadError(
        'NO_PEER_CERT',
        `the ${ctx.role === 'server' ? 'client' : 'server'} presented no certificate`,
      );
    }
    const { nodeIds } = await withTimeout(
      Promise.resolve(this.o.verifier(chain, ctx)),
      this.handshakeMs,
      'peer verification',
    );
    checkExpectedNodeId(nodeIds, ctx.expectedNodeId);
    return nodeIds;
  }

  connect(address: LinkAddress, options: ConnectOptions = {}): Promise<Link> {
    return new Promise<Link>((resolve, reject) => {
      let settled = false;
      const socket = tls.connect({
        ...this.secure,
        host: address.host,
        port: address.port,
        // Overlay certificates name Node-IDs, not host names (§4.1): the verifier checks them.
        checkServerIdentity: () => undefined,
      });
      if (this.keyLogFile) socket.on('keylog', this.keylog);
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const code = refusalCode(err);
        this.refuse(undefined, 'client', address, err);
        socket.destroy();
        reject(
          isReloadError(err)
            ? err
            : new ReloadError(
                code === 'TLS_HANDSHAKE_FAILED' ? 'LINK_CONNECT_FAILED' : code,
                err.message,
                {
                  cause: err,
                },
              ),
        );
      };
      const timer = setTimeout(
        () =>
          fail(
            new ReloadError(
              'LINK_HANDSHAKE_TIMEOUT',
              `TLS handshake with ${formatAddress(address)} took over ${this.handshakeMs} ms`,
            ),
          ),
        this.handshakeMs,
      );
      timer.unref();
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        const chain = peerChain(socket);
        this.verifyPeer(chain, {
          role: 'client',
          remoteAddress: address,
          expectedNodeId: options.expectedNodeId,
        }).then(
          (nodeIds) => {
            if (settled) return;
            if (socket.destroyed)
              return fail(
                new ReloadError('LINK_CONNECT_FAILED', 'socket closed during verification'),
              );
            settled = true;
            clearTimeout(timer);
            socket.off('error', fail);
            resolve(this.wrap(socket, true, nodeIds, chain, address));
          },
          (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
        );
      });
    });
  }

  private wrap(
    socket: tls.TLSSocket,
    initiator: boolean,
    nodeIds: readonly Uint8Array[],
    chain: readonly Uint8Array[],
    remote: LinkAddress,
  ): FramedLink {
    socket.setNoDelay(true);
    const channel: ByteChannel = {
      write: (c) => {
        socket.write(c);
      },
      get writableLength() {
        return socket.writableLength;
      },
      end: () => {
        socket.end();
      },
      destroy: (e) => {
        socket.destroy(e);
      },
      pause: () => {
        socket.pause();
      },
      resume: () => {
        socket.resume();
      },
    };
    const o = this.o;
    const link = new FramedLink(channel, {
      type: this.type,
      protocol: 'tls',
      initiator,
      remoteNodeIds: nodeIds,
      remoteChain: chain,
      remoteAddress: remote,
      localAddress: localOf(socket),
      maxMessageSize: o.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      clock: this.clock,
      logger: this.log,
      highWaterMark: o.highWaterMark,
      retentionMs: o.retentionMs,
      initialRtoMs: o.initialRtoMs,
      minRtoMs: o.minRtoMs,
      maxRtoMs: o.maxRtoMs,
    });
    let error: Error | undefined;
    socket.on('error', (e: Error) => {
      error = e;
    });
    socket.on('data', (chunk: Buffer) => link.receive(chunk));
    socket.on('drain', () => link.channelDrained());
    socket.on('close', () => link.channelClosed(error));
    return link;
  }
}

function tlsAuthError(socket: tls.TLSSocket): Error {
  const code = String(socket.authorizationError ?? 'CERT_UNTRUSTED');
  return Object.assign(new Error(`peer certificate rejected: ${code}`), { code });
}

/**
 * Creates the TLS-TCP-FH-NO-ICE transport (RFC 6940 §6.6.5) for one local identity.
 * @example
 * const t = createTlsTransport({ cert, key, ca: [rootPem], verifier });
 * const listener = await t.listen({ host: '127.0.0.1', port: 6084 });
 * listener.on('link', (link) => link.on('message', (m) => link.send(m)));
 */
export function createTlsTransport(options: TlsTransportOptions): TlsTransport {
  return new TlsTransport(options);
}

/** Parses the leaf of a DER chain with node:crypto (helper for verifiers). */
export function leafCertificate(chain: readonly Uint8Array[]): X509Certificate | undefined {
  return chain.length > 0 ? new X509Certificate(chain[0]) : undefined;
}
