/**
 * Key generation and conversion between Node `KeyObject`s (hot paths: sign, verify) and
 * WebCrypto `CryptoKey`s (certificate and CSR building with `@peculiar/x509`).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  generateKeyPairSync,
  type KeyObject,
  type webcrypto,
} from 'node:crypto';
import { ReloadError } from '@reload/wire';
import { subtle } from './provider.js';

/** Key algorithms this package creates and accepts: RSA-2048 (mandatory, §6.3.4) and P-256. */
export type KeyAlgorithm = 'rsa2048' | 'ecdsa-p256';

/** A key pair as Node `KeyObject`s. */
export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

function keygenArgs(
  alg: KeyAlgorithm,
): ['rsa', { modulusLength: number }] | ['ec', { namedCurve: string }] {
  if (alg === 'rsa2048') return ['rsa', { modulusLength: 2048 }];
  if (alg === 'ecdsa-p256') return ['ec', { namedCurve: 'P-256' }];
  throw new ReloadError('UNSUPPORTED_ALGORITHM', `unsupported key algorithm ${String(alg)}`);
}

/**
 * Generates a key pair synchronously (RSA-2048 takes ~50–150 ms of CPU; prefer
 * {@link generateKeyPairAsync} in servers). Throws ReloadError('UNSUPPORTED_ALGORITHM').
 */
export function generateKeyPair(alg: KeyAlgorithm = 'rsa2048'): KeyPair {
  const [type, opts] = keygenArgs(alg);
  return type === 'rsa' ? generateKeyPairSync('rsa', opts) : generateKeyPairSync('ec', opts);
}

/** Generates a key pair on the libuv thread pool (does not block the event loop). */
export function generateKeyPairAsync(alg: KeyAlgorithm = 'rsa2048'): Promise<KeyPair> {
  const [type, opts] = keygenArgs(alg);
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (err) reject(err);
      else resolve({ publicKey, privateKey });
    };
    if (type === 'rsa') generateKeyPairCb('rsa', opts, done);
    else generateKeyPairCb('ec', opts, done);
  });
}

/**
 * The {@link KeyAlgorithm} of a public or private key: RSA of any size reports `rsa2048`'s
 * family (`'rsa2048'` is returned for every RSA key), EC keys must be on P-256.
 * Throws ReloadError('UNSUPPORTED_ALGORITHM') for anything else (Ed25519, P-384 …).
 */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'rsa2048';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'ecdsa-p256';
    throw new ReloadError('UNSUPPORTED_ALGORITHM', `unsupported EC curve ${String(curve)}`);
  }
  throw new ReloadError('UNSUPPORTED_ALGORITHM', `unsupported key type ${String(type)}`);
}

/** The public key of a private key (or the key itself if it is already public). */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** DER SubjectPublicKeyInfo of a public (or private) key. */
export function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(publicKeyOf(key).export({ format: 'der', type: 'spki' }));
}

/** Reads a private key from PEM (PKCS#8, PKCS#1 or SEC1) or DER PKCS#8. */
export function privateKeyFrom(data: string | Uint8Array): KeyObject {
  try {
    if (typeof data === 'string') return createPrivateKey(data);
    return createPrivateKey({ key: Buffer.from(data), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new ReloadError('BAD_KEY', `cannot read private key: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** PKCS#8 PEM of a private key (unencrypted; protect the file with mode 0600). */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** WebCrypto algorithm parameters used to import keys of each family for signing. */
export function webCryptoAlgorithm(
  alg: KeyAlgorithm,
): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  return alg === 'rsa2048'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

/** Signing parameters for `@peculiar/x509` (SHA-256 with the key's algorithm). */
export function webCryptoSigningAlgorithm(
  alg: KeyAlgorithm,
): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return alg === 'rsa2048' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
}

/** Imports a Node private key into WebCrypto (via PKCS#8) for certificate/CSR signing. */
export async function toCryptoPrivateKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  // A CA signs many certificates with one key: import it into WebCrypto once.
  let imported = importedPrivateKeys.get(key);
  if (!imported) {
    const alg = keyAlgorithmOf(key);
    const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
    imported = subtle.importKey('pkcs8', pkcs8, webCryptoAlgorithm(alg), false, ['sign']);
    importedPrivateKeys.set(key, imported);
  }
  return imported;
}

/** WebCrypto imports of node private keys, per KeyObject (non-extractable, sign only). */
const importedPrivateKeys = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();

/** Imports a Node public key into WebCrypto (via SPKI). */
export async function toCryptoPublicKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const pub = publicKeyOf(key);
  const alg = keyAlgorithmOf(pub);
  return subtle.importKey('spki', spkiOf(pub), webCryptoAlgorithm(alg), true, ['verify']);
}
