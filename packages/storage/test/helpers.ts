/**
 * Test identities and a real-crypto §7.1 verifier for the engine tests. Certificates here are
 * stand-ins (JSON with user name, Node-IDs and an Ed25519 public key) so the engine tests do
 * not depend on X.509 building; the verifier does the same work a real one does: find the
 * certificate by the SignerIdentity hash, check the signature over the §7.1 input, report
 * the identity.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import {
  encodeToBytes,
  ErrorCode,
  type GenericCertificate,
  ReloadError,
  type Signature,
  type SignerIdentity,
  SignerIdentityCodec,
  type StoredData,
  type StoredDataValue,
  storedDataValueCodec,
} from '@reload/wire';
import {
  signedValue,
  type DataSignatureVerifier,
  type KindConfig,
  type VerifiedSigner,
} from '../src/index.js';

export const sha1 = (b: Uint8Array) => new Uint8Array(createHash('sha1').update(b).digest());
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
/** CHORD-RELOAD Resource-ID: SHA-1 truncated to 128 bits (§10.2). */
export const resourceIdOf = (name: Uint8Array) => sha1(name).subarray(0, 16);
export const utf8 = (s: string) => new TextEncoder().encode(s);
export const ridOfUser = (u: string) => resourceIdOf(utf8(u));

/** A signing identity: key pair and certificate stand-in. */
export interface TestIdentity {
  username: string;
  nodeIds: Uint8Array[];
  /** Node-ID to indicate with cert_hash_node_id (when the cert has several). */
  indicated?: Uint8Array;
  cert: GenericCertificate;
  key: KeyObject;
}

let counter = 0;
/** A fresh identity; `nodeIds` default to one random-looking Node-ID. */
export function identity(
  username: string,
  nodeIds?: Uint8Array[],
  indicated?: Uint8Array,
): TestIdentity {
  const ids = nodeIds ?? [sha1(utf8(`node-${username}-${counter++}`)).subarray(0, 16)];
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const body = JSON.stringify({
    username,
    nodeIds: ids.map((n) => Buffer.from(n).toString('hex')),
    spki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  });
  return {
    username,
    nodeIds: ids,
    ...(indicated ? { indicated } : {}),
    cert: { type: 0, certificate: utf8(body) },
    key: privateKey,
  };
}

function signerIdentity(id: TestIdentity): SignerIdentity {
  if (id.indicated) {
    const h = createHash('sha256').update(id.indicated).update(id.cert.certificate).digest();
    return { identityType: 2, hashAlg: 4, certificateNodeIdHash: new Uint8Array(h) };
  }
  return { identityType: 1, hashAlg: 4, certificateHash: sha256(id.cert.certificate) };
}

/** §7.1 input: resource_id ‖ kind ‖ storage_time ‖ StoredDataValue ‖ SignerIdentity. */
export function signatureInput(
  resource: Uint8Array,
  kind: number,
  storageTime: bigint,
  value: StoredDataValue,
  who: SignerIdentity,
): Uint8Array {
  const head = Buffer.alloc(12);
  head.writeUInt32BE(kind, 0);
  head.writeBigUInt64BE(storageTime, 4);
  return Buffer.concat([
    resource,
    head,
    encodeToBytes(storedDataValueCodec(value.model), signedValue(value)),
    encodeToBytes(SignerIdentityCodec, who),
  ]);
}

/** A signed StoredData. */
export function signed(
  id: TestIdentity,
  resource: Uint8Array,
  kind: number,
  value: StoredDataValue,
  storageTime: bigint,
  lifetime = 3600,
): StoredData {
  const who = signerIdentity(id);
  const sig: Signature = {
    algorithm: { hash: 4, signature: 7 /* ed25519 (RFC 8422) in this test */ },
    identity: who,
    signatureValue: new Uint8Array(
      sign(null, signatureInput(resource, kind, storageTime, value, who), id.key),
    ),
  };
  return { storageTime, lifetime, value, signature: sig };
}

export const single = (v: string | Uint8Array, exists = true): StoredDataValue => ({
  model: 'SINGLE',
  value: { exists, value: typeof v === 'string' ? utf8(v) : v },
});
export const entryAt = (index: number, v: string, exists = true): StoredDataValue => ({
  model: 'ARRAY',
  index,
  value: { exists, value: utf8(v) },
});
export const keyed = (key: Uint8Array | string, v: string, exists = true): StoredDataValue => ({
  model: 'DICTIONARY',
  key: typeof key === 'string' ? utf8(key) : key,
  value: { exists, value: utf8(v) },
});

/** Verifier over the stand-in certificates (what @reload/security does with X.509). */
export const testVerifier: DataSignatureVerifier = ({
  resourceId,
  kind,
  storedData,
  certificates,
}) => {
  const sig = storedData.signature;
  const id = sig.identity;
  for (const c of certificates) {
    const parsed = JSON.parse(new TextDecoder().decode(c.certificate)) as {
      username: string;
      nodeIds: string[];
      spki: string;
    };
    const nodeIds = parsed.nodeIds.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    let nodeId: Uint8Array | undefined;
    if ('certificateHash' in id) {
      if (Buffer.compare(sha256(c.certificate), id.certificateHash) !== 0) continue;
      if (nodeIds.length === 1) nodeId = nodeIds[0];
    } else if ('certificateNodeIdHash' in id) {
      nodeId = nodeIds.find(
        (n) =>
          Buffer.compare(
            createHash('sha256').update(n).update(c.certificate).digest(),
            id.certificateNodeIdHash,
          ) === 0,
      );
      if (!nodeId) continue;
    } else continue;
    const input = signatureInput(resourceId, kind, storedData.storageTime, storedData.value, id);
    const pub = {
      key: Buffer.from(parsed.spki, 'base64'),
      format: 'der' as const,
      type: 'spki' as const,
    };
    if (!verify(null, input, pub, sig.signatureValue))
      throw new ReloadError(ErrorCode.Forbidden, 'bad signature');
    const out: VerifiedSigner = {
      usernames: [parsed.username],
      nodeIds,
      ...(nodeId ? { nodeId } : {}),
      certificates: [c],
    };
    return out;
  }
  throw new ReloadError(ErrorCode.Forbidden, 'no certificate for the signer identity');
};

/** The request-signer view of an identity (what the message layer hands the engine). */
export function signerOf(id: TestIdentity) {
  return {
    usernames: [id.username],
    nodeIds: id.nodeIds,
    ...(id.indicated ? { nodeId: id.indicated } : {}),
  };
}

/** A controllable clock (ms). */
export function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Private test Kinds: one per data model and policy. */
export const K = {
  single: 0xf0000001,
  array: 0xf0000002,
  dict: 0xf0000003,
  userNode: 0xf0000004,
  nodeMatch: 0xf0000005,
  multiple: 0xf0000006,
};

export const KIND_CONFIGS: KindConfig[] = [
  { id: K.single, dataModel: 'SINGLE', accessControl: 'USER-MATCH', maxCount: 1, maxSize: 100 },
  { id: K.array, dataModel: 'ARRAY', accessControl: 'USER-MATCH', maxCount: 10, maxSize: 100 },
  { id: K.dict, dataModel: 'DICTIONARY', accessControl: 'USER-MATCH', maxCount: 3, maxSize: 100 },
  {
    id: K.userNode,
    dataModel: 'DICTIONARY',
    accessControl: 'USER-NODE-MATCH',
    maxCount: 10,
    maxSize: 100,
  },
  { id: K.nodeMatch, dataModel: 'SINGLE', accessControl: 'NODE-MATCH', maxCount: 1, maxSize: 100 },
  {
    id: K.multiple,
    dataModel: 'SINGLE',
    accessControl: 'NODE-MULTIPLE',
    maxCount: 1,
    maxSize: 100,
    maxNodeMultiple: 3,
  },
];
