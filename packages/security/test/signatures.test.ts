import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  anonymousSignature,
  certificateInfo,
  createCa,
  generateKeyPair,
  isAnonymousSignature,
  issueCertificateForKey,
  messageSignatureInput,
  overlayHash,
  privateKeyToPem,
  randomNodeId,
  sign,
  signerIdentityFor,
  signSecurityBlock,
  storedDataSignatureInput,
  verify,
  verifySecurityBlock,
  verifySigner,
  type Credentials,
} from '@reload/security';
import {
  decodeExact,
  encodeToBytes,
  SecurityBlockCodec,
  SignerIdentityCodec,
  SignerIdentityType,
  type Signature,
} from '@reload/wire';
import { expectCode, openssl, opensslStatus, requireOpenssl, tmp, write } from './helpers.js';

const OVERLAY = 'overlay.example.org';
let rsa: Credentials; // one Node-ID
let ec: Credentials; // one Node-ID
let multi: Credentials; // two Node-IDs
let rsaId: Uint8Array;
let multiIds: Uint8Array[];
let ca: Credentials;

beforeAll(async () => {
  requireOpenssl();
  ca = await createCa({ subject: 'CN=sig-test-ca', keyAlgorithm: 'ecdsa-p256' });
  const rk = generateKeyPair('rsa2048');
  const ek = generateKeyPair('ecdsa-p256');
  rsaId = randomNodeId();
  multiIds = [randomNodeId(), randomNodeId()];
  const base = { ca, overlay: OVERLAY, username: 'alice' };
  rsa = {
    certificate: await issueCertificateForKey({
      ...base,
      publicKey: rk.publicKey,
      nodeIds: [rsaId],
    }),
    privateKey: rk.privateKey,
  };
  ec = {
    certificate: await issueCertificateForKey({
      ...base,
      publicKey: ek.publicKey,
      nodeIds: [randomNodeId()],
    }),
    privateKey: ek.privateKey,
  };
  multi = {
    certificate: await issueCertificateForKey({
      ...base,
      publicKey: ek.publicKey,
      nodeIds: multiIds,
    }),
    privateKey: ek.privateKey,
  };
});

describe('SignerIdentity (§6.3.4)', () => {
  it('cert_hash = SHA-256(cert DER) for a certificate with one Node-ID', () => {
    const id = signerIdentityFor(rsa.certificate);
    expect(id).toEqual({
      identityType: SignerIdentityType.cert_hash,
      hashAlg: 4,
      certificateHash: new Uint8Array(createHash('sha256').update(rsa.certificate).digest()),
    });
  });

  it('cert_hash_node_id = SHA-256(NodeId ‖ cert DER) with several Node-IDs; the Node-ID is required', () => {
    const id = signerIdentityFor(multi.certificate, multiIds[1]);
    const want = createHash('sha256').update(multiIds[1]).update(multi.certificate).digest();
    expect(id).toEqual({
      identityType: 2,
      hashAlg: 4,
      certificateNodeIdHash: new Uint8Array(want),
    });
    expectCode(() => signerIdentityFor(multi.certificate), 'NODE_ID_REQUIRED');
    expectCode(() => signerIdentityFor(multi.certificate, randomNodeId()), 'NODE_ID_MISMATCH');
  });
});

describe('sign / verify', () => {
  it('RSA: algorithm {sha256, rsa}; verifies and names the signer', () => {
    const data = new Uint8Array([1, 2, 3]);
    const s = sign(data, rsa);
    expect(s.algorithm).toEqual({ hash: 4, signature: 1 });
    expect(s.signatureValue.length).toBe(256);
    expect(verify(data, s, [ec.certificate, rsa.certificate])).toBe(rsa.certificate);
    const signer = verifySigner([data.subarray(0, 1), data.subarray(1)], s, [rsa.certificate]);
    expect(signer.nodeId).toEqual(rsaId);
  });

  it('ECDSA: algorithm {sha256, ecdsa}, DER ECDSA-Sig-Value', () => {
    const s = sign([new Uint8Array([9]), new Uint8Array([8])], ec);
    expect(s.algorithm).toEqual({ hash: 4, signature: 3 });
    expect(s.signatureValue[0]).toBe(0x30); // DER SEQUENCE
    expect(verify(new Uint8Array([9, 8]), s, [ec.certificate])).toBe(ec.certificate);
  });

  it('ignores garbage and unrelated certificates in the bucket', () => {
    const junk = new Uint8Array([0x30, 0x03, 1, 2, 3]);
    const s1 = sign(new Uint8Array([5]), rsa);
    expect(verify(new Uint8Array([5]), s1, [junk, ca.certificate, rsa.certificate])).toBe(
      rsa.certificate,
    );
    const s2 = sign(new Uint8Array([5]), multi, { nodeId: multiIds[0] });
    expect(verify(new Uint8Array([5]), s2, [junk, ec.certificate, multi.certificate])).toBe(
      multi.certificate,
    );
    expectCode(() => verify(new Uint8Array([5]), s2, [junk]), 'SIGNER_CERT_NOT_FOUND');
  });

  it('cert_hash_node_id identifies the signing Node-ID', () => {
    const s = sign(new Uint8Array([7]), multi, { nodeId: multiIds[1] });
    const signer = verifySigner(new Uint8Array([7]), s, [rsa.certificate, multi.certificate]);
    expect(signer.nodeId).toEqual(multiIds[1]);
  });

  it('rejects tampered input, tampered signature, unknown signer and unsupported algorithms', () => {
    const data = new Uint8Array([1, 2, 3, 4]);
    for (const creds of [rsa, ec]) {
      const s = sign(data, creds);
      expectCode(
        () => verify(new Uint8Array([1, 2, 3, 5]), s, [creds.certificate]),
        'SIGNATURE_INVALID',
      );
      const bad = new Uint8Array(s.signatureValue);
      bad[bad.length - 1] = bad[bad.length - 1] ^ 1;
      expectCode(
        () => verify(data, { ...s, signatureValue: bad }, [creds.certificate]),
        'SIGNATURE_INVALID',
      );
      expectCode(
        () => verify(data, { ...s, signatureValue: new Uint8Array(0) }, [creds.certificate]),
        'SIGNATURE_INVALID',
      );
      expectCode(() => verify(data, s, []), 'SIGNER_CERT_NOT_FOUND');
      expectCode(
        () =>
          verify(data, s, [
            multi.certificate === creds.certificate ? rsa.certificate : ca.certificate,
          ]),
        'SIGNER_CERT_NOT_FOUND',
      );
      expectCode(
        () =>
          verify(data, { ...s, algorithm: { hash: 2, signature: s.algorithm.signature } }, [
            creds.certificate,
          ]),
        'UNSUPPORTED_ALGORITHM',
      );
      expectCode(
        () => verify(data, { ...s, algorithm: { hash: 4, signature: 2 } }, [creds.certificate]),
        'UNSUPPORTED_ALGORITHM',
      );
    }
    // algorithm says ECDSA but the key is RSA
    const s = sign(data, rsa);
    expectCode(
      () => verify(data, { ...s, algorithm: { hash: 4, signature: 3 } }, [rsa.certificate]),
      'SIGNATURE_INVALID',
      /does not fit/,
    );
    // a different hash than the one used
    expectCode(
      () => verify(data, { ...s, algorithm: { hash: 6, signature: 1 } }, [rsa.certificate]),
      'SIGNATURE_INVALID',
    );
    const anon = anonymousSignature();
    expect(isAnonymousSignature(anon)).toBe(true);
    expect(isAnonymousSignature(s)).toBe(false);
    expectCode(() => verify(data, anon, [rsa.certificate]), 'UNSUPPORTED_ALGORITHM', /anonymous/);
  });
});

describe('openssl interoperability', () => {
  it('a signature we make verifies with `openssl dgst -sha256 -verify`, and one openssl makes verifies with ours', () => {
    const dir = tmp();
    const data = Buffer.from('RELOAD signed data \u0000\u00ff', 'latin1');
    write(dir, 'data.bin', data);
    for (const [name, creds] of [
      ['rsa', rsa],
      ['ec', ec],
    ] as const) {
      const ours = sign(new Uint8Array(data), creds);
      write(dir, `${name}.sig`, ours.signatureValue);
      write(
        dir,
        `${name}.pub`,
        certificateInfo(creds.certificate).publicKey.export({ format: 'pem', type: 'spki' }),
      );
      write(dir, `${name}.key`, privateKeyToPem(creds.privateKey));
      expect(
        openssl(
          ['dgst', '-sha256', '-verify', `${name}.pub`, '-signature', `${name}.sig`, 'data.bin'],
          dir,
        ),
      ).toMatch(/Verified OK/);
      // tampered data fails in openssl too
      write(dir, 'other.bin', Buffer.concat([data, Buffer.from([0])]));
      expect(
        opensslStatus(
          ['dgst', '-sha256', '-verify', `${name}.pub`, '-signature', `${name}.sig`, 'other.bin'],
          dir,
        ).status,
      ).not.toBe(0);
      // openssl signs, we verify
      openssl(['dgst', '-sha256', '-sign', `${name}.key`, '-out', `${name}.osig`, 'data.bin'], dir);
      const osig = Buffer.from(openssl(['base64', '-A', '-in', `${name}.osig`], dir), 'base64');
      expect(osig.length).toBeGreaterThan(60);
      const theirs: Signature = { ...ours, signatureValue: new Uint8Array(osig) };
      expect(verify(new Uint8Array(data), theirs, [creds.certificate])).toBe(creds.certificate);
    }
  });
});

describe('signature inputs', () => {
  it('message input is overlay ‖ transaction_id ‖ MessageContents ‖ SignerIdentity (§6.3.4)', () => {
    const identity = signerIdentityFor(rsa.certificate);
    const contents = new Uint8Array([0xaa, 0xbb]);
    const input = messageSignatureInput(0x01020304, 0x05060708090a0b0cn, contents, identity);
    const want = Buffer.concat([
      Buffer.from('0102030405060708090a0b0c', 'hex'),
      contents,
      encodeToBytes(SignerIdentityCodec, identity),
    ]);
    expect(Buffer.from(input).equals(want)).toBe(true);
    expect(encodeToBytes(SignerIdentityCodec, identity).subarray(0, 5)).toEqual(
      new Uint8Array([1, 0, 34, 4, 32]),
    );
  });

  it('stored-data input is resource_id ‖ kind ‖ storage_time ‖ StoredDataValue ‖ SignerIdentity (§7.1)', () => {
    const identity = signerIdentityFor(ec.certificate);
    const rid = new Uint8Array(16).fill(0x11);
    const value = new Uint8Array([1, 0, 0, 0, 2, 0x68, 0x69]);
    const input = storedDataSignatureInput(rid, 0xf0000001, 1_700_000_000_123n, value, identity);
    const want = Buffer.concat([
      rid,
      Buffer.from('f0000001', 'hex'),
      Buffer.from('0000018bcfe5687b', 'hex'),
      value,
      encodeToBytes(SignerIdentityCodec, identity),
    ]);
    expect(Buffer.from(input).toString('hex')).toBe(want.toString('hex'));
    const s = sign(input, ec, { identity });
    expect(
      verify(storedDataSignatureInput(rid, 0xf0000001, 1_700_000_000_123n, value, s.identity), s, [
        ec.certificate,
      ]),
    ).toBe(ec.certificate);
    expectCode(
      () =>
        verify(
          storedDataSignatureInput(rid, 0xf0000002, 1_700_000_000_123n, value, s.identity),
          s,
          [ec.certificate],
        ),
      'SIGNATURE_INVALID',
    );
  });
});

describe('SecurityBlock (§6.3.4)', () => {
  it('round-trips through the wire codec and verifies; a changed byte fails', () => {
    const overlay = overlayHash(OVERLAY);
    const contents = new Uint8Array([0, 0x17, 0, 0, 0, 0, 0, 0]);
    const block = signSecurityBlock({
      overlay,
      transactionId: 42n,
      messageContents: contents,
      credentials: multi,
      nodeId: multiIds[0],
      certificates: [ca.certificate, multi.certificate],
    });
    expect(block.certificates.map((c) => c.certificate)).toEqual([
      multi.certificate,
      ca.certificate,
    ]);
    const wire = encodeToBytes(SecurityBlockCodec, block);
    const decoded = decodeExact(SecurityBlockCodec, wire);
    const signer = verifySecurityBlock({
      overlay,
      transactionId: 42n,
      messageContents: contents,
      securityBlock: decoded,
      expectedNodeId: multiIds[0],
    });
    expect(signer.nodeId).toEqual(multiIds[0]);
    expectCode(
      () =>
        verifySecurityBlock({
          overlay,
          transactionId: 43n,
          messageContents: contents,
          securityBlock: decoded,
        }),
      'SIGNATURE_INVALID',
    );
    expectCode(
      () =>
        verifySecurityBlock({
          overlay: overlay ^ 1,
          transactionId: 42n,
          messageContents: contents,
          securityBlock: decoded,
        }),
      'SIGNATURE_INVALID',
    );
    expectCode(
      () =>
        verifySecurityBlock({
          overlay,
          transactionId: 42n,
          messageContents: new Uint8Array([1, ...contents.subarray(1)]),
          securityBlock: decoded,
        }),
      'SIGNATURE_INVALID',
    );
    expectCode(
      () =>
        verifySecurityBlock({
          overlay,
          transactionId: 42n,
          messageContents: contents,
          securityBlock: decoded,
          expectedNodeId: multiIds[1],
        }),
      'NODE_ID_MISMATCH',
    );
    expectCode(
      () =>
        verifySecurityBlock({
          overlay,
          transactionId: 42n,
          messageContents: contents,
          securityBlock: { ...decoded, certificates: [] },
        }),
      'SIGNER_CERT_NOT_FOUND',
    );
    // certificate known by other means
    expect(
      verifySecurityBlock({
        overlay,
        transactionId: 42n,
        messageContents: contents,
        securityBlock: { ...decoded, certificates: [] },
        extraCertificates: [multi.certificate],
      }).certificate,
    ).toEqual(multi.certificate);
  });
});
