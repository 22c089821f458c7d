/**
 * @reload/security signature throughput: RSA-2048 and ECDSA P-256 sign/verify through the
 * package API (SignerIdentity lookup, cached certificate parsing) and through raw
 * node:crypto for comparison, plus certificate issuance and cached certificateInfo.
 * Run: npx tsx bench/security/sign-verify.ts
 */
import { sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { cpus } from 'node:os';
import {
  certificateInfo,
  createCa,
  generateKeyPair,
  issueCertificateForKey,
  messageSignatureInput,
  randomNodeId,
  sign,
  signerIdentityFor,
  verify,
  type Credentials,
} from '../../packages/security/src/index.js';

const MS = 1500;

function rate(label: string, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  const perSec = (n * 1000) / (t - t0);
  console.log(
    `${label.padEnd(46)} ${perSec.toFixed(0).padStart(8)} ops/s  ${(((t - t0) * 1000) / n).toFixed(1).padStart(8)} µs/op`,
  );
  return perSec;
}

async function rateAsync(label: string, n: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const dt = performance.now() - t0;
  const perSec = (n * 1000) / dt;
  console.log(
    `${label.padEnd(46)} ${perSec.toFixed(0).padStart(8)} ops/s  ${((dt * 1000) / n).toFixed(1).padStart(8)} µs/op`,
  );
  return perSec;
}

console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${new Date().toISOString()}`,
);
const ca = await createCa({ subject: 'CN=bench-ca', keyAlgorithm: 'ecdsa-p256' });
const contents = new Uint8Array(200).fill(7); // a typical small MessageContents

for (const alg of ['rsa2048', 'ecdsa-p256'] as const) {
  const k = generateKeyPair(alg);
  const certificate = await issueCertificateForKey({
    ca,
    publicKey: k.publicKey,
    nodeIds: [randomNodeId()],
    overlay: 'bench.example.org',
    username: 'b',
  });
  const creds: Credentials = { certificate, privateKey: k.privateKey };
  const identity = signerIdentityFor(certificate);
  const input = messageSignatureInput(0x12345678, 1n, contents, identity);
  const s = sign(input, creds, { identity });
  const certs = [ca.certificate, certificate];
  console.log(`-- ${alg}`);
  const apiSign = rate(`@reload/security sign (${alg})`, () => sign(input, creds, { identity }));
  const apiVerify = rate(`@reload/security verify (${alg}, 2-cert bucket)`, () =>
    verify(input, s, certs),
  );
  // certificates decoded from each message are new views: no identity-cache hit, one
  // SHA-256 per bucket certificate (the parsed form still comes from the DER-hash cache)
  const apiVerifyFresh = rate(`@reload/security verify (${alg}, fresh views)`, () =>
    verify(
      input,
      s,
      certs.map((c) => c.subarray(0)),
    ),
  );
  const rawSign = rate(`node:crypto sign (${alg})`, () => nodeSign('sha256', input, k.privateKey));
  const rawVerify = rate(`node:crypto verify (${alg})`, () =>
    nodeVerify('sha256', input, k.publicKey, s.signatureValue),
  );
  console.log(
    `   API/raw: sign ${(apiSign / rawSign).toFixed(2)}, verify ${(apiVerify / rawVerify).toFixed(2)} (fresh views ${(apiVerifyFresh / rawVerify).toFixed(2)})`,
  );
}

console.log('-- certificates');
rate('certificateInfo (cached, 1 cert)', () => certificateInfo(ca.certificate));
const ek = generateKeyPair('ecdsa-p256');
await rateAsync('issueCertificateForKey (EC CA, EC key)', 200, () =>
  issueCertificateForKey({
    ca,
    publicKey: ek.publicKey,
    nodeIds: [randomNodeId()],
    overlay: 'bench.example.org',
    username: 'b',
  }),
);
