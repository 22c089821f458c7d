/**
 * Golden vectors (issue 2): every file exists, is exactly what the generator builds, decodes
 * with @reload/wire, carries the expected fields, and its §6.3.4 signature verifies with
 * node:crypto against the certificate it carries.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  bodyCodecFor,
  decodeMessage,
  encodeToBytes,
  messageCodeName,
  methodBodyCodecs,
  ErrorResponseCodec,
  decodeExact,
} from '@reload/wire';
import { buildVectors, CONFIG_SEQUENCE, NODE_A, OVERLAY, SIGNER_CERT } from './build.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The file names required by issue 2, in its order. */
const NAMES = (
  'probe_req probe_ans attach_req attach_ans store_req store_ans fetch_req fetch_ans find_req ' +
  'find_ans join_req join_ans leave_req leave_ans update_req update_ans route_query_req ' +
  'route_query_ans ping_req ping_ans stat_req stat_ans app_attach_req app_attach_ans ' +
  'config_update_req config_update_ans error'
).split(' ');

const built = new Map(buildVectors().map((v) => [v.file, v]));

describe('golden vectors (test/vectors)', () => {
  it('has exactly the issue-2 set of files, each listed in README.md', () => {
    expect([...built.keys()].sort()).toEqual(NAMES.map((n) => `${n}.bin`).sort());
    const readme = readFileSync(`${here}README.md`, 'utf8');
    for (const n of NAMES) expect(readme).toContain(`\`${n}.bin\``);
  });

  it('the signer certificate carries Node-ID A in a reload:// URI', () => {
    const cert = new X509Certificate(SIGNER_CERT);
    expect(cert.subjectAltName).toContain(`URI:reload://0110${hex(NODE_A)}@example.org/`);
  });

  for (const name of NAMES) {
    it(`${name}.bin decodes, matches the generator and verifies`, () => {
      const file = new Uint8Array(readFileSync(`${here}${name}.bin`));
      const v = built.get(`${name}.bin`)!;
      expect(hex(file), 'file differs from generate.ts output: rerun it').toBe(hex(v.bytes));

      const m = decodeMessage(file);
      const h = m.forwardingHeader;
      expect(hex(file.subarray(0, 4))).toBe('d2454c4f'); // forwarding header first
      expect(h.overlay).toBe(OVERLAY);
      expect(h.configurationSequence).toBe(CONFIG_SEQUENCE);
      expect(h.version).toBe(0x0a);
      expect(h.fragment).toBe(0xc0000000);
      expect(h.length).toBe(file.length);
      expect(h.ttl).toBe(v.spec.ttl);
      expect(h.transactionId).toBe(v.spec.transactionId);
      expect(h.viaList).toEqual(v.spec.viaList);
      expect(h.destinationList).toEqual(v.spec.destinationList);
      expect(messageCodeName(m.messageContents.messageCode)).toBe(name);
      expect(hex(m.messageContents.messageBody)).toBe(hex(v.spec.body));

      // SecurityBlock: the certificate, a cert_hash identity, RSA PKCS#1 v1.5 with SHA-256
      const sb = m.securityBlock;
      expect(sb.certificates).toHaveLength(1);
      expect(sb.certificates[0].type).toBe(0);
      expect(hex(sb.certificates[0].certificate)).toBe(hex(SIGNER_CERT));
      expect(sb.signature.algorithm).toEqual({ hash: 4, signature: 1 });
      const id = sb.signature.identity;
      expect(id.identityType).toBe(1);
      const certHash = createHash('sha256').update(sb.certificates[0].certificate).digest();
      expect('certificateHash' in id && hex(id.certificateHash)).toBe(hex(certHash));

      // §6.3.4 signature input, built here by hand from the raw bytes
      const overlayTid = file.subarray(4, 8); // overlay
      const tid = file.subarray(20, 28); // transaction_id
      const identityBytes = Buffer.concat([Buffer.of(1, 0, 34, 4, 32), certHash]);
      const input = Buffer.concat([overlayTid, tid, m.contentsBytes, identityBytes]);
      const key = new X509Certificate(sb.certificates[0].certificate).publicKey;
      expect(verify('sha256', input, key, sb.signature.signatureValue)).toBe(true);
      const tampered = Buffer.from(input);
      tampered[tampered.length - 40] ^= 1;
      expect(verify('sha256', tampered, key, sb.signature.signatureValue)).toBe(false);

      if (name === 'error') {
        const e = decodeExact(ErrorResponseCodec, m.messageContents.messageBody);
        expect(e.errorCode).toBe(3);
        expect(Buffer.from(e.errorInfo).toString()).toMatch(/no data/);
      }
    });
  }

  it('hand-built bodies agree with the @reload/wire body codecs (decode, re-encode identical)', () => {
    const codecs = methodBodyCodecs(); // CHORD-RELOAD, RFC Kind data models, 16-byte NodeIds
    for (const name of NAMES) {
      const v = built.get(`${name}.bin`)!;
      const codec = bodyCodecFor(codecs, v.spec.messageCode);
      expect(codec, name).toBeDefined();
      const body = decodeExact(codec!, v.spec.body);
      expect(hex(encodeToBytes(codec!, body)), name).toBe(hex(v.spec.body));
    }
  });

  it('requests and answers pair up by transaction id', () => {
    for (const n of NAMES.filter((x) => x.endsWith('_req'))) {
      const req = built.get(`${n}.bin`)!.spec;
      const ans = built.get(`${n.replace(/_req$/, '_ans')}.bin`)!.spec;
      expect(ans.transactionId).toBe(req.transactionId);
      expect(ans.messageCode).toBe(req.messageCode + 1);
    }
  });
});
