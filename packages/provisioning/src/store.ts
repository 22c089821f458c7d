/**
 * ProvisioningStore: the per-overlay records the configuration, enrollment and OAM servers
 * share, persisted on `level` (classic-level) in a data directory, with private keys in PEM
 * files of mode 0600 beside it.
 *
 * Data directory layout:
 * ```
 * DIR/db/                          level database (overlays, users, configuration, signers, certificates)
 * DIR/services-ca.pem, .key        CA of the HTTPS server certificates (give it to clients)
 * DIR/overlays/NAME/root-cert.pem  overlay CA (the configuration's root-cert), root-key.pem
 * DIR/overlays/NAME/signer-N.pem   configuration signer certificates (history), signer-N.key
 * DIR/overlays/NAME/oam-ca.pem     OAM CA, oam-ca.key; oam-client.pem / oam-client.key
 * DIR/overlays/NAME/https.pem      HTTPS server certificate for NAME, https.key
 * ```
 */
import { mkdir, readFile, writeFile, chmod, access } from 'node:fs/promises';
import {
  randomBytes,
  createPrivateKey,
  createPublicKey,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { join, resolve } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { BcryptPool } from './bcrypt-pool.js';
import { ReloadError } from '@reload/wire';
import {
  createCa,
  fromPem,
  generateKeyPairAsync,
  issueCertificateForKey,
  keyAlgorithmOf,
  parseCsr,
  toPem,
  userNameFor,
  type CsrInfo,
  type Credentials,
  type KeyAlgorithm,
} from '@reload/security';
import { issueLeafCertificate, signDraftCertificate } from './pki.js';
import {
  applyServerFields,
  checkNakedConfigurationUpdate,
  ConfigurationRuleError,
  defaultNakedConfiguration,
  nextSequence,
  parseNakedConfiguration,
  type UpdateCheckOptions,
} from './naked-config.js';
import { signConfiguration } from '@reload/config';
import { isValidOverlayName, isValidUserName } from './names.js';

const DAY_MS = 86_400_000;

/** Paths (absolute) of the PEM files of one overlay. */
export interface OverlayFiles {
  /** Overlay CA certificate (the configuration's root-cert). */
  rootCert: string;
  /** Overlay CA private key (0600). */
  rootKey: string;
  /** OAM CA certificate. */
  oamCa: string;
  /** OAM CA private key (0600). */
  oamCaKey: string;
  /** OAM client certificate. */
  oamClientCert: string;
  /** OAM client private key (0600). */
  oamClientKey: string;
  /** HTTPS server certificate for the overlay name, issued by the services CA. */
  httpsCert: string;
  /** HTTPS server private key (0600). */
  httpsKey: string;
}

/** The persistent record of one hosted overlay. */
export interface OverlayRecord {
  /** Overlay name (instance-name, a DNS name). */
  name: string;
  /** Subject DN of the overlay CA. */
  subject: string;
  /** ISO time of provisioning. */
  createdAt: string;
  /** Key algorithm used for the overlay's keys. */
  keyAlgorithm: KeyAlgorithm;
  /** The enrollment-server URL the server manages in the configuration. */
  enrollmentServer: string;
  /** HTTPS port clients use (in enrollment-server and the OAM URL). */
  publicPort: number;
  /** The configuration signer's Node-ID (hex); constant across signer renewals. */
  signerNodeId: string;
  /** PEM file paths. */
  files: OverlayFiles;
}

/** One configuration signer certificate in the history. */
export interface SignerRecord {
  /** Index in the history (1, 2, …). */
  index: number;
  /** Certificate PEM path. */
  certPath: string;
  /** Private key PEM path (0600). */
  keyPath: string;
  /** notBefore, ms since epoch. */
  notBefore: number;
  /** notAfter, ms since epoch (the configuration's expiration). */
  notAfter: number;
  /** Creation time, ms since epoch. */
  createdAt: number;
}

/** A user that may enroll. */
export interface UserRecord {
  /** Account name. */
  name: string;
  /** bcrypt hash of the password. */
  hash: string;
  /** ISO creation time. */
  createdAt: string;
  /** Node-IDs (hex) given to this user so far (returned again on re-enrollment, §11.3). */
  nodeIds: string[];
}

/** An issued overlay certificate. */
export interface IssuedCertificateRecord {
  /** Serial number, hex. */
  serial: string;
  /** Account that enrolled. */
  username: string;
  /** rfc822Name in the certificate. */
  userName: string;
  /** Node-IDs (hex). */
  nodeIds: string[];
  /** ISO issue time. */
  issuedAt: string;
  /** ISO notAfter. */
  notAfter: string;
  /** The certificate, base64 DER. */
  certificate: string;
}

/** What {@link ProvisioningStore.provisionOverlay} wrote (the CLI prints it as JSON). */
export interface ProvisionResult {
  /** Overlay name. */
  overlay: string;
  /** Overlay CA certificate PEM path (root-cert). */
  rootCert: string;
  /** Services CA PEM path (for `curl --cacert`). */
  servicesCa: string;
  /** OAM CA PEM path. */
  oamCa: string;
  /** OAM client certificate PEM path. */
  oamClientCert: string;
  /** OAM client key PEM path. */
  oamClientKey: string;
  /** Base URL of the overlay's OAM API. */
  oamUrl: string;
  /** URL of the configuration document. */
  configurationUrl: string;
  /** Enrollment URL. */
  enrollmentUrl: string;
  /** The data directory. */
  dataDir: string;
}

/** Options of {@link ProvisioningStore.open}. */
export interface StoreOptions {
  /** bcrypt cost for new password hashes (default 10, never below 10). */
  bcryptCost?: number;
  /** Signer renewal period in ms (default 30 days); a signer is valid for twice this. */
  signerRenewalMs?: number;
  /** Validity of issued overlay certificates in ms (default 365 days). */
  certificateValidityMs?: number;
  /** Largest `nodeids` an enrollment may ask for (default 5). */
  maxNodeIdsPerRequest?: number;
}

/** Options of {@link ProvisioningStore.provisionOverlay}. */
export interface ProvisionOptions {
  /** Overlay name (a DNS name). */
  overlay: string;
  /** Subject DN of the overlay CA, e.g. `"C=US, O=Example, CN=overlay.example.org"`. */
  subject: string;
  /** HTTPS port clients will use (default 8443). */
  port?: number;
  /** Key algorithm (default RSA-2048). */
  keyAlgorithm?: KeyAlgorithm;
}

/** RFC 6940 §11.3 403 tokens. */
export type EnrollmentToken =
  'failed_authentication' | 'username_not_available' | 'Node-IDs_not_available' | 'bad_CSR';

/** An enrollment refused with one of the §11.3 tokens (answered as 403 text/plain). */
export class EnrollmentError extends ReloadError {
  /** The §11.3 token. */
  readonly token: EnrollmentToken;
  constructor(token: EnrollmentToken, message: string) {
    super('ENROLLMENT_REFUSED', message);
    this.token = token;
  }
}

/** An enrollment request (§11.3 form fields). */
export interface EnrollmentRequest {
  /** Form field `username`. */
  username?: string | undefined;
  /** Form field `password`. */
  password?: string | undefined;
  /** Form field `nodeids` (number of Node-IDs wanted; default 1). */
  nodeids?: string | undefined;
  /** Form field `csr`: PKCS#10 in DER or PEM. */
  csr?: Uint8Array | undefined;
}

/** Result of an enrollment. */
export interface EnrollmentResult {
  /** DER bytes of the certificate. */
  certificate: Uint8Array;
  /** Node-IDs placed in it. */
  nodeIds: Uint8Array[];
  /** rfc822Name placed in it. */
  userName: string;
}

interface OverlayState {
  record: OverlayRecord;
  rootCa: Credentials;
  /** Public key of the overlay CA (checks certificates signed from a draft). */
  rootPublicKey: KeyObject;
  oamCa: X509Certificate;
  signer: Credentials;
  signerRecord: SignerRecord;
  naked: string;
  signed: string;
  lock: Promise<unknown>;
}

type Json = Record<string, unknown>;
function jsonSublevel(db: ClassicLevel<string, Json>, name: string) {
  return db.sublevel<string, Json>(name, { valueEncoding: 'json' });
}
function sectionSublevel(db: OverlayLevel, name: string) {
  return db.sublevel<string, Json>(name, { valueEncoding: 'json' });
}
type OverlayLevel = ReturnType<typeof jsonSublevel>;
type SectionLevel = ReturnType<typeof sectionSublevel>;

async function writePem(path: string, text: string, secret: boolean): Promise<void> {
  await writeFile(path, text, { mode: secret ? 0o600 : 0o644 });
  await chmod(path, secret ? 0o600 : 0o644);
}

function keyPem(k: KeyObject): string {
  return k.export({ type: 'pkcs8', format: 'pem' }) as string;
}

async function loadCredentials(certPath: string, keyPath: string): Promise<Credentials> {
  const [c, k] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { certificate: fromPem(c), privateKey: createPrivateKey(k) };
}

function overlayUrl(overlay: string, port: number): string {
  return port === 443 ? `https://${overlay}` : `https://${overlay}:${port}`;
}

/** The enrollment URL this server uses for an overlay and port. */
export function enrollmentUrlFor(overlay: string, port: number): string {
  return `${overlayUrl(overlay, port)}/enrollment`;
}

/**
 * The shared per-overlay records. One instance per data directory and process (level locks
 * the database: a second process, e.g. `provision` while `start` runs, gets `DATA_DIR_IN_USE`).
 */
export class ProvisioningStore {
  /** Absolute data directory. */
  readonly dataDir: string;
  private readonly db: ClassicLevel<string, Json>;
  private readonly opts: Required<StoreOptions>;
  private readonly states = new Map<string, Promise<OverlayState>>();
  private dummyHash: string | undefined;
  private pool: BcryptPool | undefined;
  private readonly reservedNodeIds = new Set<string>();
  private readonly draftKeys = new Map<KeyAlgorithm, Promise<KeyObject>>();
  private readonly overlayDbs = new Map<string, OverlayLevel>();
  private readonly sections = new Map<string, SectionLevel>();
  private overlaysLevel: OverlayLevel | undefined;

  private constructor(
    dataDir: string,
    db: ClassicLevel<string, Json>,
    opts: Required<StoreOptions>,
  ) {
    this.dataDir = dataDir;
    this.db = db;
    this.opts = opts;
  }

  /**
   * Opens (creating if needed) the data directory.
   * @throws ReloadError `DATA_DIR_IN_USE` when another process holds the database;
   *   `BAD_OPTION` for a bcrypt cost below 10.
   */
  static async open(dataDir: string, opts: StoreOptions = {}): Promise<ProvisioningStore> {
    const full: Required<StoreOptions> = {
      bcryptCost: opts.bcryptCost ?? 10,
      signerRenewalMs: opts.signerRenewalMs ?? 30 * DAY_MS,
      certificateValidityMs: opts.certificateValidityMs ?? 365 * DAY_MS,
      maxNodeIdsPerRequest: opts.maxNodeIdsPerRequest ?? 5,
    };
    if (full.bcryptCost < 10)
      throw new ReloadError('BAD_OPTION', 'bcrypt cost must be at least 10');
    const dir = resolve(dataDir);
    await mkdir(join(dir, 'overlays'), { recursive: true, mode: 0o700 });
    const db = new ClassicLevel<string, Json>(join(dir, 'db'), { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (cause) {
      const c = (cause as { cause?: { code?: string } }).cause;
      if (c?.code === 'LEVEL_LOCKED') {
        throw new ReloadError(
          'DATA_DIR_IN_USE',
          `data directory ${dir} is in use by another process (a running reload-services?)`,
          { cause },
        );
      }
      throw new ReloadError(
        'DATA_DIR_UNUSABLE',
        `cannot open the database in ${dir}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return new ProvisioningStore(dir, db, full);
  }

  /** Closes the database and stops the bcrypt workers. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.states.values()]);
    await this.pool?.close();
    this.pool = undefined;
    await this.db.close();
  }

  /** bcrypt runs on worker threads (created on first use). */
  private get bcrypt(): BcryptPool {
    this.pool ??= new BcryptPool();
    return this.pool;
  }

  /** The effective options. */
  get options(): Readonly<Required<StoreOptions>> {
    return this.opts;
  }

  /** The sublevel of one overlay (parent of {@link sub}; batches span its sublevels). */
  private overlayDb(overlay: string): OverlayLevel {
    let db = this.overlayDbs.get(overlay);
    if (!db) {
      db = jsonSublevel(this.db, `o:${overlay}`);
      this.overlayDbs.set(overlay, db);
    }
    return db;
  }

  /** One section (`users`, `nodeids`, `certs`, `signers`, `config`) of an overlay's records. */
  private sub(overlay: string, what: string): SectionLevel {
    const key = `${overlay}/${what}`;
    let db = this.sections.get(key);
    if (!db) {
      // creating a sublevel costs ~0.1 ms: enrollment would pay it several times per request
      db = sectionSublevel(this.overlayDb(overlay), what);
      this.sections.set(key, db);
    }
    return db;
  }

  private get overlaysDb(): OverlayLevel {
    this.overlaysLevel ??= jsonSublevel(this.db, 'overlays');
    return this.overlaysLevel;
  }

  /** Paths of the services CA (created on first use). */
  get servicesCaPaths(): { cert: string; key: string } {
    return {
      cert: join(this.dataDir, 'services-ca.pem'),
      key: join(this.dataDir, 'services-ca.key'),
    };
  }

  /** Loads or creates the services CA that issues the HTTPS server certificates. */
  async servicesCa(): Promise<Credentials> {
    const p = this.servicesCaPaths;
    try {
      await access(p.cert);
      return await loadCredentials(p.cert, p.key);
    } catch {
      const ca = await createCa({
        subject: 'O=reload-services, CN=reload-services CA',
      });
      await writePem(p.key, keyPem(ca.privateKey), true);
      await writePem(p.cert, toPem(ca.certificate), false);
      return ca;
    }
  }

  /** All hosted overlays. */
  async listOverlays(): Promise<OverlayRecord[]> {
    const out: OverlayRecord[] = [];
    for await (const v of this.overlaysDb.values()) out.push(v as unknown as OverlayRecord);
    return out;
  }

  /** The record of an overlay, or undefined. */
  async getOverlay(name: string): Promise<OverlayRecord | undefined> {
    const v = await this.overlaysDb.get(name.toLowerCase());
    return v as unknown as OverlayRecord | undefined;
  }

  /**
   * Provisions an overlay: overlay CA, configuration signer, default naked configuration
   * (signed), OAM CA, one OAM client certificate, and an HTTPS server certificate from the
   * services CA.
   * @throws ReloadError `BAD_OVERLAY_NAME` (not a DNS name), `OVERLAY_EXISTS`, `BAD_SUBJECT`.
   */
  async provisionOverlay(o: ProvisionOptions): Promise<ProvisionResult> {
    const name = o.overlay.toLowerCase();
    if (!isValidOverlayName(name)) {
      throw new ReloadError(
        'BAD_OVERLAY_NAME',
        `"${o.overlay}" is not a valid DNS name (labels of letters, digits and hyphens, at least two labels, at most 253 characters)`,
      );
    }
    if (await this.getOverlay(name)) {
      throw new ReloadError(
        'OVERLAY_EXISTS',
        `overlay "${name}" is already provisioned in ${this.dataDir}`,
      );
    }
    const port = o.port ?? 8443;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ReloadError('BAD_OPTION', `bad port ${port}`);
    const keyAlgorithm = o.keyAlgorithm ?? 'rsa2048';
    const dir = join(this.dataDir, 'overlays', name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const files: OverlayFiles = {
      rootCert: join(dir, 'root-cert.pem'),
      rootKey: join(dir, 'root-key.pem'),
      oamCa: join(dir, 'oam-ca.pem'),
      oamCaKey: join(dir, 'oam-ca.key'),
      oamClientCert: join(dir, 'oam-client.pem'),
      oamClientKey: join(dir, 'oam-client.key'),
      httpsCert: join(dir, 'https.pem'),
      httpsKey: join(dir, 'https.key'),
    };
    const [rootCa, oamCa, servicesCa, oamClientKey, httpsKey] = await Promise.all([
      createCa({ subject: o.subject, keyAlgorithm }),
      createCa({ subject: `O=${name}, OU=OAM, CN=${name} OAM CA`, keyAlgorithm }),
      this.servicesCa(),
      generateKeyPairAsync(keyAlgorithm).then((k) => k.privateKey),
      generateKeyPairAsync(keyAlgorithm).then((k) => k.privateKey),
    ]);
    const oamClient = await issueLeafCertificate({
      ca: oamCa,
      subjectKey: oamClientKey,
      subject: `O=${name}, OU=OAM, CN=oam-admin`,
      altNames: [],
      extendedKeyUsage: ['clientAuth'],
      validityMs: 825 * DAY_MS,
    });
    const https = await issueLeafCertificate({
      ca: servicesCa,
      subjectKey: httpsKey,
      subject: `CN=${name}`,
      altNames: [{ type: 'dns', value: name }],
      extendedKeyUsage: ['serverAuth'],
      validityMs: 825 * DAY_MS,
    });
    await Promise.all([
      writePem(files.rootKey, keyPem(rootCa.privateKey), true),
      writePem(files.rootCert, toPem(rootCa.certificate), false),
      writePem(files.oamCaKey, keyPem(oamCa.privateKey), true),
      writePem(files.oamCa, toPem(oamCa.certificate), false),
      writePem(files.oamClientKey, keyPem(oamClientKey), true),
      writePem(files.oamClientCert, toPem(oamClient), false),
      writePem(files.httpsKey, keyPem(httpsKey), true),
      writePem(files.httpsCert, toPem(https), false),
    ]);
    const signerNodeId = randomBytes(16).toString('hex');
    const record: OverlayRecord = {
      name,
      subject: o.subject,
      createdAt: new Date().toISOString(),
      keyAlgorithm,
      enrollmentServer: enrollmentUrlFor(name, port),
      publicPort: port,
      signerNodeId,
      files,
    };
    const signerRecord = await this.newSigner(record, rootCa, 1);
    const naked = defaultNakedConfiguration({
      overlay: name,
      sequence: 1,
      expiration: new Date(signerRecord.notAfter),
      rootCert: rootCa.certificate,
      enrollmentServer: record.enrollmentServer,
      configurationSigner: signerNodeId,
      kindSigner: signerNodeId,
    });
    const signer = await loadCredentials(signerRecord.certPath, signerRecord.keyPath);
    const signed = signConfiguration(naked, signer, { kindSigner: signer });
    // The overlay record goes last: it marks the overlay as provisioned.
    await this.sub(name, 'signers').put(pad(1), signerRecord as unknown as Json);
    await this.sub(name, 'config').put('current', { naked, signed });
    await this.overlaysDb.put(name, record as unknown as Json);
    return {
      overlay: name,
      rootCert: files.rootCert,
      servicesCa: this.servicesCaPaths.cert,
      oamCa: files.oamCa,
      oamClientCert: files.oamClientCert,
      oamClientKey: files.oamClientKey,
      oamUrl: overlayUrl(name, port),
      configurationUrl: `${overlayUrl(name, port)}/.well-known/reload-config`,
      enrollmentUrl: record.enrollmentServer,
      dataDir: this.dataDir,
    };
  }

  private async newSigner(
    record: OverlayRecord,
    rootCa: Credentials,
    index: number,
  ): Promise<SignerRecord> {
    const key = (await generateKeyPairAsync(record.keyAlgorithm)).privateKey;
    const der = await issueCertificateForKey({
      ca: rootCa,
      publicKey: key,
      overlay: record.name,
      nodeIds: [new Uint8Array(Buffer.from(record.signerNodeId, 'hex'))],
      username: `configuration-signer@${record.name}`,
      // valid for two renewal periods: a document stays verifiable after its successor appears
      notAfter: new Date(Date.now() + 2 * this.opts.signerRenewalMs),
    });
    const cert = new X509Certificate(der);
    const dir = join(this.dataDir, 'overlays', record.name);
    const rec: SignerRecord = {
      index,
      certPath: join(dir, `signer-${index}.pem`),
      keyPath: join(dir, `signer-${index}.key`),
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
      createdAt: Date.now(),
    };
    await writePem(rec.keyPath, keyPem(key), true);
    await writePem(rec.certPath, toPem(der), false);
    return rec;
  }

  private state(overlay: string): Promise<OverlayState> {
    const name = overlay.toLowerCase();
    let s = this.states.get(name);
    if (!s) {
      s = this.loadState(name);
      this.states.set(name, s);
      s.catch(() => this.states.delete(name));
    }
    return s;
  }

  private async loadState(name: string): Promise<OverlayState> {
    const record = await this.getOverlay(name);
    if (!record) throw new ReloadError('UNKNOWN_OVERLAY', `overlay "${name}" is not hosted here`);
    const signers = await this.signerHistory(name);
    const signerRecord = signers[signers.length - 1];
    const cfg = (await this.sub(name, 'config').get('current')) as {
      naked: string;
      signed: string;
    };
    const [rootCa, signer, oamPem] = await Promise.all([
      loadCredentials(record.files.rootCert, record.files.rootKey),
      loadCredentials(signerRecord.certPath, signerRecord.keyPath),
      readFile(record.files.oamCa, 'utf8'),
    ]);
    // the key for enrollment drafts, made now rather than during the first enrollment
    void this.draftKey(keyAlgorithmOf(rootCa.privateKey)).catch(() => undefined);
    return {
      record,
      rootCa,
      rootPublicKey: createPublicKey(rootCa.privateKey),
      signer,
      signerRecord,
      oamCa: new X509Certificate(oamPem),
      naked: cfg.naked,
      signed: cfg.signed,
      lock: Promise.resolve(),
    };
  }

  /** Runs `fn` with the overlay's state, serialized with other writers of that overlay. */
  private async exclusive<T>(overlay: string, fn: (s: OverlayState) => Promise<T>): Promise<T> {
    const s = await this.state(overlay);
    const run = s.lock.then(() => fn(s));
    s.lock = run.catch(() => undefined);
    return run;
  }

  /** The signer history of an overlay, oldest first. */
  async signerHistory(overlay: string): Promise<SignerRecord[]> {
    const out: SignerRecord[] = [];
    for await (const v of this.sub(overlay.toLowerCase(), 'signers').values())
      out.push(v as unknown as SignerRecord);
    return out;
  }

  /** The current signed configuration document (RFC 6940 §11.1). */
  async signedConfiguration(overlay: string): Promise<string> {
    return (await this.state(overlay)).signed;
  }

  /** The current naked (unsigned) configuration. */
  async nakedConfiguration(overlay: string): Promise<string> {
    return (await this.state(overlay)).naked;
  }

  /** The overlay CA certificate (DER). */
  async rootCertificate(overlay: string): Promise<Uint8Array> {
    return (await this.state(overlay)).rootCa.certificate;
  }

  /** The OAM CA certificate of an overlay. */
  async oamCa(overlay: string): Promise<X509Certificate> {
    return (await this.state(overlay)).oamCa;
  }

  /** The current signer record. */
  async currentSigner(overlay: string): Promise<SignerRecord> {
    return (await this.state(overlay)).signerRecord;
  }

  /** When the current signer of `overlay` is due for renewal (ms since epoch). */
  async renewalDue(overlay: string): Promise<number> {
    return (await this.state(overlay)).signerRecord.createdAt + this.opts.signerRenewalMs;
  }

  private async commitConfiguration(s: OverlayState, naked: string): Promise<void> {
    const signed = signConfiguration(naked, s.signer, { kindSigner: s.signer });
    await this.sub(s.record.name, 'config').put('current', { naked, signed });
    s.naked = naked;
    s.signed = signed;
  }

  /**
   * Replaces the naked configuration after checking every upload rule, then re-signs.
   * @returns the new sequence number.
   * @throws ConfigurationRuleError (the current configuration stays in force).
   */
  async putNakedConfiguration(
    overlay: string,
    xml: string,
    opts: UpdateCheckOptions = {},
  ): Promise<number> {
    parseNakedConfiguration(xml);
    if (opts.validate) {
      try {
        await opts.validate(xml);
      } catch (e) {
        const err = e as { element?: string; message?: string };
        throw new ConfigurationRuleError(
          'grammar',
          err.element ?? 'document',
          err.message ?? String(e),
          400,
        );
      }
    }
    return this.exclusive(overlay, async (s) => {
      const parsed = checkNakedConfigurationUpdate(s.naked, xml);
      await this.commitConfiguration(s, xml);
      return parsed.sequence;
    });
  }

  /**
   * Renews the configuration signer: a new key and certificate with the same Node-ID (so the
   * new document is signed by a signer the previous one lists, §11.1), then the naked
   * configuration gets sequence + 1 and expiration = the new signer's notAfter, and is re-signed.
   * @returns the new signer record.
   */
  async renewSigner(overlay: string): Promise<SignerRecord> {
    return this.exclusive(overlay, async (s) => {
      const rec = await this.newSigner(s.record, s.rootCa, s.signerRecord.index + 1);
      await this.sub(s.record.name, 'signers').put(pad(rec.index), rec as unknown as Json);
      s.signer = await loadCredentials(rec.certPath, rec.keyPath);
      s.signerRecord = rec;
      const seq = parseNakedConfiguration(s.naked).sequence;
      await this.commitConfiguration(
        s,
        applyServerFields(s.naked, {
          sequence: nextSequence(seq),
          expiration: new Date(rec.notAfter),
        }),
      );
      return rec;
    });
  }

  /**
   * Points the configuration's enrollment-server at `port` (used when the server listens on a
   * port other than the provisioned one); bumps the sequence and re-signs. No-op when equal.
   */
  async setPublicPort(overlay: string, port: number): Promise<boolean> {
    return this.exclusive(overlay, async (s) => {
      if (s.record.publicPort === port) return false;
      const url = enrollmentUrlFor(s.record.name, port);
      const seq = parseNakedConfiguration(s.naked).sequence;
      const naked = applyServerFields(s.naked, {
        sequence: nextSequence(seq),
        enrollmentServer: { from: s.record.enrollmentServer, to: url },
      });
      s.record = { ...s.record, publicPort: port, enrollmentServer: url };
      await this.overlaysDb.put(s.record.name, s.record as unknown as Json);
      await this.commitConfiguration(s, naked);
      return true;
    });
  }

  // ---- users -------------------------------------------------------------------------------

  /** Users of an overlay (without hashes), sorted by name. */
  async listUsers(
    overlay: string,
  ): Promise<{ name: string; createdAt: string; nodeIds: string[] }[]> {
    await this.state(overlay);
    const out: { name: string; createdAt: string; nodeIds: string[] }[] = [];
    for await (const v of this.sub(overlay.toLowerCase(), 'users').values()) {
      const u = v as unknown as UserRecord;
      out.push({ name: u.name, createdAt: u.createdAt, nodeIds: u.nodeIds });
    }
    return out;
  }

  private checkPassword(password: string): void {
    const len = Buffer.byteLength(password, 'utf8');
    if (len === 0 || len > 72) {
      throw new ReloadError(
        'BAD_PASSWORD',
        'password must be 1 to 72 bytes of UTF-8 (bcrypt limit)',
      );
    }
  }

  /**
   * Adds a user with a bcrypt-hashed password.
   * @throws ReloadError `BAD_USER_NAME`, `BAD_PASSWORD`, `USER_EXISTS`, `UNKNOWN_OVERLAY`.
   */
  async addUser(overlay: string, name: string, password: string): Promise<void> {
    if (!isValidUserName(name)) {
      throw new ReloadError(
        'BAD_USER_NAME',
        'user name must be 1-64 characters of letters, digits, ".", "_", "+", "-", optionally followed by @ and a DNS name',
      );
    }
    this.checkPassword(password);
    await this.exclusive(overlay, async (s) => {
      const users = this.sub(s.record.name, 'users');
      if ((await users.get(name)) !== undefined)
        throw new ReloadError('USER_EXISTS', `user "${name}" already exists`);
      const rec: UserRecord = {
        name,
        hash: await this.bcrypt.hash(password, this.opts.bcryptCost),
        createdAt: new Date().toISOString(),
        nodeIds: [],
      };
      await users.put(name, rec as unknown as Json);
    });
  }

  /** Changes a user's password. @throws ReloadError `UNKNOWN_USER`, `BAD_PASSWORD`. */
  async setPassword(overlay: string, name: string, password: string): Promise<void> {
    this.checkPassword(password);
    await this.exclusive(overlay, async (s) => {
      const users = this.sub(s.record.name, 'users');
      const u = (await users.get(name)) as unknown as UserRecord | undefined;
      if (!u) throw new ReloadError('UNKNOWN_USER', `no user "${name}"`);
      await users.put(name, {
        ...u,
        hash: await this.bcrypt.hash(password, this.opts.bcryptCost),
      } as unknown as Json);
    });
  }

  /** Removes a user. @throws ReloadError `UNKNOWN_USER`. */
  async removeUser(overlay: string, name: string): Promise<void> {
    await this.exclusive(overlay, async (s) => {
      const users = this.sub(s.record.name, 'users');
      if ((await users.get(name)) === undefined)
        throw new ReloadError('UNKNOWN_USER', `no user "${name}"`);
      await users.del(name);
    });
  }

  /**
   * Checks a user's password (bcrypt; an unknown user costs the same time).
   * @returns the user record when the password matches, else undefined.
   */
  async authenticate(
    overlay: string,
    name: string,
    password: string,
  ): Promise<UserRecord | undefined> {
    const { user, matches } = await this.startPasswordCheck(overlay, name, password);
    return (await matches) ? user : undefined;
  }

  /**
   * Reads the user and hands the bcrypt comparison to a worker; resolves as soon as it is
   * handed over, with the record (undefined for an unknown user, who is compared with a
   * dummy hash so that the answer takes as long) and the comparison's outcome.
   */
  private async startPasswordCheck(
    overlay: string,
    name: string,
    password: string,
  ): Promise<{ user: UserRecord | undefined; matches: Promise<boolean> }> {
    const user = (await this.sub(overlay.toLowerCase(), 'users').get(name)) as unknown as
      UserRecord | undefined;
    if (user) return { user, matches: this.bcrypt.compare(password, user.hash) };
    const matches = (async () => {
      this.dummyHash ??= await this.bcrypt.hash('not a password', this.opts.bcryptCost);
      await this.bcrypt.compare(password, this.dummyHash);
      return false;
    })();
    return { user: undefined, matches };
  }

  // ---- enrollment ---------------------------------------------------------------------------

  /**
   * RFC 6940 §11.3 enrollment: authenticates the user, checks the Node-ID count and the CSR,
   * chooses the Node-IDs (cryptographically random, unique in the overlay, the same ones again
   * for a returning user), issues the certificate from the overlay CA and records it (the
   * certificate, the new Node-IDs and the user's Node-ID list in one atomic write).
   *
   * The password check (bcrypt on a worker thread) and the work that needs no
   * authentication (Node-ID count, CSR signature, user names, Node-ID candidates looked up in
   * the index, a draft of the certificate signed by a throwaway key) run at the same time;
   * their outcome is looked at only once the password is known to be right, so a wrong
   * password yields `failed_authentication` whatever else is wrong, and nothing is reserved,
   * signed by the overlay CA or stored for it (docs/decisions/0470).
   * @throws EnrollmentError with the §11.3 token; ReloadError `UNKNOWN_OVERLAY`.
   */
  async enroll(overlay: string, req: EnrollmentRequest): Promise<EnrollmentResult> {
    const s = await this.state(overlay);
    const name = s.record.name;
    const { username, password } = req;
    if (typeof username !== 'string' || typeof password !== 'string' || username === '') {
      throw new EnrollmentError('failed_authentication', 'username and password are required');
    }
    // the comparison reaches its worker first, then the main thread does the rest meanwhile
    const { user, matches } = await this.startPasswordCheck(name, username, password);
    const [ok, checked] = await Promise.all([
      matches,
      this.checkEnrollmentRequest(s, req, user).then(
        (ok) => ({ ok }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if (!ok || !user)
      throw new EnrollmentError('failed_authentication', 'wrong user name or password');
    if ('error' in checked) throw checked.error;
    const { count, csr, userName, candidates, draft } = checked.ok;
    return this.exclusive(name, async () => {
      const users = this.sub(name, 'users');
      const fresh = (await users.get(username)) as unknown as UserRecord | undefined;
      // removed, or given a new password, while its password was being checked
      if (!fresh || fresh.hash !== user.hash)
        throw new EnrollmentError('failed_authentication', 'wrong user name or password');
      const ids = [...fresh.nodeIds];
      const added: string[] = [];
      while (ids.length < count) {
        // A candidate was absent from the index when looked up; only an enrollment of this
        // process (the database is locked to it) can have taken it since, and those reserve
        // in memory under this lock first.
        const id = candidates.shift() ?? (await this.nodeIdCandidates(name, 1))[0];
        const key = `${name}/${id}`;
        if (this.reservedNodeIds.has(key)) continue;
        this.reservedNodeIds.add(key);
        ids.push(id);
        added.push(id);
      }
      const nodeIds = ids.slice(0, count);
      const nodeIdBytes = nodeIds.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
      // The overlay CA signs now, after the password check: the draft's TBSCertificate when
      // it has these Node-IDs (the usual case), else a certificate built afresh.
      let der: Uint8Array | undefined;
      let cert: X509Certificate | undefined;
      if (draft && draft.nodeIds.join() === nodeIds.join()) {
        der = signDraftCertificate(draft.der, s.rootCa.privateKey);
        cert = new X509Certificate(der);
        if (!cert.verify(s.rootPublicKey)) der = undefined;
      }
      if (!der || !cert) {
        der = await issueCertificateForKey({
          ca: s.rootCa,
          publicKey: csr.publicKey,
          overlay: name,
          nodeIds: nodeIdBytes,
          username: userName,
          notAfter: new Date(Date.now() + this.opts.certificateValidityMs),
        });
        cert = new X509Certificate(der);
      }
      const rec: IssuedCertificateRecord = {
        serial: cert.serialNumber.toLowerCase(),
        username,
        userName,
        nodeIds,
        issuedAt: new Date().toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        certificate: Buffer.from(der).toString('base64'),
      };
      const index = this.sub(name, 'nodeids');
      await this.overlayDb(name).batch([
        ...added.map((id) => ({
          type: 'put' as const,
          sublevel: index,
          key: id,
          value: { username },
        })),
        ...(added.length > 0
          ? [
              {
                type: 'put' as const,
                sublevel: users,
                key: username,
                value: { ...fresh, nodeIds: ids } as unknown as Json,
              },
            ]
          : []),
        {
          type: 'put' as const,
          sublevel: this.sub(name, 'certs'),
          key: rec.serial,
          value: rec as unknown as Json,
        },
      ]);
      return { certificate: der, nodeIds: nodeIdBytes, userName };
    });
  }

  /**
   * The work on an enrollment request that needs no authentication: the checks in the order
   * of their §11.3 tokens — the Node-ID count, the CSR (parsed, self-signature verified), the
   * user names it asks for —, `count` fresh Node-ID candidates not in the overlay's index,
   * and a draft of the certificate (see {@link draftCertificate}). Reads only: nothing is
   * reserved or written, and nothing is signed by the overlay CA.
   */
  private async checkEnrollmentRequest(
    s: OverlayState,
    req: EnrollmentRequest,
    user: UserRecord | undefined,
  ): Promise<{
    count: number;
    csr: CsrInfo;
    userName: string;
    candidates: string[];
    draft: { nodeIds: string[]; der: Uint8Array } | undefined;
  }> {
    const name = s.record.name;
    let count = 1;
    if (req.nodeids !== undefined && req.nodeids.trim() !== '') {
      const t = req.nodeids.trim();
      count = /^\d{1,3}$/.test(t) ? Number(t) : NaN;
      if (!(count >= 1 && count <= this.opts.maxNodeIdsPerRequest)) {
        throw new EnrollmentError(
          'Node-IDs_not_available',
          `nodeids must be 1 to ${this.opts.maxNodeIdsPerRequest}, got "${req.nodeids}"`,
        );
      }
    }
    if (!req.csr || req.csr.length === 0) throw new EnrollmentError('bad_CSR', 'no csr');
    let csr: CsrInfo;
    try {
      csr = await parseCsr(req.csr);
    } catch (e) {
      throw new EnrollmentError('bad_CSR', (e as Error).message);
    }
    let userName: string;
    try {
      userName = userNameFor(req.username!, name);
    } catch (e) {
      throw new EnrollmentError('username_not_available', (e as Error).message);
    }
    for (const asked of csr.usernames) {
      if (asked.toLowerCase() !== userName.toLowerCase()) {
        throw new EnrollmentError(
          'username_not_available',
          `user name "${asked}" is not available to ${req.username}`,
        );
      }
    }
    const candidates = await this.nodeIdCandidates(name, count);
    const draft = user && (await this.draftCertificate(s, user, count, candidates, csr, userName));
    return { count, csr, userName, candidates, draft };
  }

  /**
   * The certificate an enrollment of `user` will get if its password is right and its
   * Node-IDs do not change meanwhile (its Node-IDs followed by `candidates`), built by
   * `issueCertificateForKey` with the overlay CA's certificate but signed by a throwaway key
   * of the same type, generated in memory and never trusted: what the request gets is the
   * draft's TBSCertificate signed by the CA after authentication
   * ({@link signDraftCertificate}). Undefined when building fails (the certificate is then
   * built after authentication, which reports the error). Unknown users get no draft.
   */
  private async draftCertificate(
    s: OverlayState,
    user: UserRecord,
    count: number,
    candidates: readonly string[],
    csr: CsrInfo,
    userName: string,
  ): Promise<{ nodeIds: string[]; der: Uint8Array } | undefined> {
    const name = s.record.name;
    try {
      const nodeIds = [...user.nodeIds, ...candidates].slice(0, count);
      const der = await issueCertificateForKey({
        ca: {
          certificate: s.rootCa.certificate,
          privateKey: await this.draftKey(keyAlgorithmOf(s.rootCa.privateKey)),
        },
        publicKey: csr.publicKey,
        overlay: name,
        nodeIds: nodeIds.map((h) => new Uint8Array(Buffer.from(h, 'hex'))),
        username: userName,
        notAfter: new Date(Date.now() + this.opts.certificateValidityMs),
      });
      return { nodeIds, der };
    } catch {
      return undefined;
    }
  }

  /** The throwaway key that signs certificate drafts for CAs of type `alg` (made once). */
  private draftKey(alg: KeyAlgorithm): Promise<KeyObject> {
    let key = this.draftKeys.get(alg);
    if (!key) {
      key = generateKeyPairAsync(alg).then((k) => k.privateKey);
      this.draftKeys.set(alg, key);
      key.catch(() => this.draftKeys.delete(alg));
    }
    return key;
  }

  /**
   * `count` distinct random 128-bit Node-IDs (hex) that are neither in the overlay's Node-ID
   * index nor reserved in memory. Reads only.
   */
  private async nodeIdCandidates(name: string, count: number): Promise<string[]> {
    const index = this.sub(name, 'nodeids');
    const out: string[] = [];
    while (out.length < count) {
      const ids = Array.from({ length: count - out.length }, () => randomBytes(16).toString('hex'));
      const found = await index.getMany(ids);
      ids.forEach((id, i) => {
        if (
          found[i] === undefined &&
          !out.includes(id) &&
          !this.reservedNodeIds.has(`${name}/${id}`)
        )
          out.push(id);
      });
    }
    return out;
  }

  /** Certificates issued for an overlay. */
  async issuedCertificates(overlay: string): Promise<IssuedCertificateRecord[]> {
    const out: IssuedCertificateRecord[] = [];
    for await (const v of this.sub(overlay.toLowerCase(), 'certs').values())
      out.push(v as unknown as IssuedCertificateRecord);
    return out;
  }

  /** HTTPS server certificate and key PEM texts of an overlay. */
  async httpsCredentials(overlay: string): Promise<{ cert: string; key: string }> {
    const s = await this.state(overlay);
    const [cert, key] = await Promise.all([
      readFile(s.record.files.httpsCert, 'utf8'),
      readFile(s.record.files.httpsKey, 'utf8'),
    ]);
    return { cert, key };
  }
}

function pad(n: number): string {
  return n.toString().padStart(10, '0');
}
