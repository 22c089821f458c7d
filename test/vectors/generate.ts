/**
 * Regenerates the golden vectors in test/vectors/ and their README.md:
 *
 *   npx tsx --conditions=@reload/source test/vectors/generate.ts
 *
 * Deterministic (fixed key, certificate, ids and times; PKCS#1 v1.5 signatures): running it
 * again writes identical bytes, which test/vectors/vectors.test.ts checks.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildVectors, OVERLAY, OVERLAY_NAME } from './build.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const vectors = buildVectors();
for (const v of vectors) writeFileSync(`${here}${v.file}`, v.bytes);

const lines = vectors.map((v) => `| \`${v.file}\` | ${v.bytes.length} | ${v.spec.description} |`);
const readme = `# Golden vectors (RFC 6940 messages)

One complete RELOAD message per message type (RFC 6940 §14.8), as it travels on an overlay
link inside a framing-header data frame: ForwardingHeader first (§6.3.2), then
MessageContents (§6.3.3), then a real SecurityBlock (§6.3.4) holding the signer's X.509
certificate and an RSASSA-PKCS1-v1_5 / SHA-256 signature over
\`overlay ‖ transaction_id ‖ MessageContents ‖ SignerIdentity\` with a \`cert_hash\`
SignerIdentity (SHA-256 of the certificate DER).

How they were made: \`npx tsx --conditions=@reload/source test/vectors/generate.ts\` (deterministic; the test
\`test/vectors/vectors.test.ts\` rebuilds them and requires identical bytes). Message bodies
are written by hand in \`build.ts\`, field by field from the RFC structs (the test also checks
that @reload/wire's body codecs decode and re-encode every body to identical bytes); header,
contents and security block use @reload/wire's message codec; signatures come from
\`node:crypto\` with:

- \`signer-key.pem\`: RSA-2048 private key (test only), made once with
  \`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048\`;
- \`signer-cert.der\`: self-signed certificate for it, empty subject (§11.3), SAN
  \`URI:reload://01100123456789abcdeffedcba9876543210@example.org/\` (Node-ID
  0123456789abcdeffedcba9876543210) and \`email:alice@example.org\`, made once with
  \`openssl req -x509 -new -key signer-key.pem -sha256 -days 36500 -subj "/" -set_serial 1
  -addext "subjectAltName=URI:reload://0110…@example.org/,email:alice@example.org"
  -addext "basicConstraints=critical,CA:FALSE" -outform DER\`.

Common values: overlay \`${OVERLAY_NAME}\` (overlay field 0x${OVERLAY.toString(16).padStart(8, '0')}),
configuration_sequence 7, version 0x0a, NodeIdLength 16, fragment 0xC0000000, node A
(the signer) = 0123…3210, B/C/D/E = b0…, c0…, d0…, e0… repeated; the Resource-ID is
SHA-1("alice@example.org") truncated to 16 bytes. StoredData signatures use the §7.1 input
with the raw Resource-ID bytes (decision 0201); StoredMetaData.value_length is its framing length (decision 0157).

| file | bytes | what it holds |
|---|---:|---|
${lines.join('\n')}
`;
writeFileSync(`${here}README.md`, readme);
console.log(`wrote ${vectors.length} vectors and README.md to ${here}`);
