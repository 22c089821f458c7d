/**
 * The data directory of a `reload-node` (written by `enroll`, read by `run` and the control
 * clients): the configuration document as received, the certificate and key, and a small
 * JSON file with who this node is and where its configuration came from.
 *
 * ```
 * DIR/configuration.xml   signed configuration document, bytes as served (RFC 6940 §11.1)
 * DIR/certificate.pem     the enrolled certificate (§11.3)
 * DIR/key.pem             its private key, PKCS#8 PEM, mode 0600
 * DIR/ca.pem              CA certificates for the configuration/enrollment HTTPS (--ca-file), if any
 * DIR/node.json           NodeInfo
 * DIR/storage/            classic-level database of the storage engine
 * DIR/control.sock        control channel of a running node (unix socket, mode 0600)
 * ```
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ReloadError } from '@reload/wire';

/** Contents of `DIR/node.json`. */
export interface NodeInfo {
  /** Node-ID this node uses (lower-case hex), one of the certificate's. */
  nodeId: string;
  /** All Node-IDs of the certificate (hex). */
  certificateNodeIds: string[];
  /** Overlay name (instance-name). */
  overlay: string;
  /** User name as enrolled (`alice`) and as in the certificate (`alice@overlay`). */
  username: string;
  certificateUsername: string;
  /** Where the configuration is re-fetched from (§11.2). */
  discovery: { dnsServer?: string; configUrl?: string; caFile?: string };
  /** Enrollment server used (from the configuration). */
  enrollmentServer: string;
  /** Key type: rsa2048 or ecdsa-p256. */
  keyType: string;
  /** When `enroll` ran (ISO 8601). */
  enrolledAt: string;
}

/** Absolute paths of the files in a data directory. */
export interface DataPaths {
  dir: string;
  configuration: string;
  certificate: string;
  key: string;
  ca: string;
  info: string;
  storage: string;
  controlSocket: string;
}

/** Paths of the files of data directory `dir` (made absolute). */
export function dataPaths(dir: string): DataPaths {
  const d = resolve(dir);
  return {
    dir: d,
    configuration: join(d, 'configuration.xml'),
    certificate: join(d, 'certificate.pem'),
    key: join(d, 'key.pem'),
    ca: join(d, 'ca.pem'),
    info: join(d, 'node.json'),
    storage: join(d, 'storage'),
    controlSocket: join(d, 'control.sock'),
  };
}

/** Creates the directory (mode 0700) if needed. */
export async function ensureDataDir(dir: string): Promise<DataPaths> {
  const p = dataPaths(dir);
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  return p;
}

/** Writes a file atomically (temporary file + rename) with `mode`. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * Reads `DIR/node.json`.
 * @throws ReloadError('NOT_ENROLLED') when the directory holds no enrolled node.
 */
export async function readNodeInfo(p: DataPaths): Promise<NodeInfo> {
  let text: string;
  try {
    text = await readFile(p.info, 'utf8');
  } catch {
    throw new ReloadError(
      'NOT_ENROLLED',
      `${p.dir} holds no enrolled node (no node.json): run \`reload-node enroll --data ${p.dir} …\` first`,
    );
  }
  try {
    return JSON.parse(text) as NodeInfo;
  } catch (e) {
    throw new ReloadError('NOT_ENROLLED', `${p.info} is not valid JSON: ${(e as Error).message}`);
  }
}
