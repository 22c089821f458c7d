import { describe, expect, it } from 'vitest';
import {
  type Credentials,
  createCa,
  createTrustStore,
  generateKeyPairAsync,
  issueCertificateForKey,
  resourceId,
  sign,
  signerIdentityFor,
  storedDataSignatureInput,
} from '@reload/security';
import {
  encodeToBytes,
  ErrorCode,
  type StoredData,
  type StoredDataValue,
  storedDataValueCodec,
} from '@reload/wire';
import {
  createKindRegistry,
  createPolicyRegistry,
  openMemoryBackend,
  openStorage,
  securityVerifier,
  signedValue,
} from '../src/index.js';

const OVERLAY = 'overlay.example.org';
const KIND = 0xf0000001;
const AKIND = 0xf0000002;

async function peer(ca: Credentials, username: string, nodeId: Uint8Array) {
  const keys = await generateKeyPairAsync('ecdsa-p256');
  const certificate = await issueCertificateForKey({
    ca,
    nodeIds: [nodeId],
    overlay: OVERLAY,
    username,
    publicKey: keys.publicKey,
  });
  return { certificate, privateKey: keys.privateKey } satisfies Credentials;
}

function signStored(
  creds: Credentials,
  resource: Uint8Array,
  kind: number,
  value: StoredDataValue,
  storageTime: bigint,
): StoredData {
  const identity = signerIdentityFor(creds.certificate);
  const enc = encodeToBytes(storedDataValueCodec(value.model), signedValue(value));
  const input = storedDataSignatureInput(resource, kind, storageTime, enc, identity);
  return { storageTime, lifetime: 600, value, signature: sign(input, creds, { identity }) };
}

describe('securityVerifier over real X.509 certificates (@reload/security)', async () => {
  const ca = await createCa({ subject: `CN=${OVERLAY}`, keyAlgorithm: 'ecdsa-p256' });
  const aliceNode = resourceId('alice-node');
  const alice = await peer(ca, 'alice', aliceNode);
  const mallory = await peer(ca, 'mallory', resourceId('mallory-node'));
  const { certificateInfo } = await import('@reload/security');
  const aliceUser = certificateInfo(alice.certificate).usernames[0];
  const A = resourceId(aliceUser);

  async function setup(now = Date.now, clock = Date.now) {
    return openStorage({
      now: clock,
      backend: await openMemoryBackend(),
      kinds: createKindRegistry([
        { id: KIND, dataModel: 'SINGLE', accessControl: 'USER-MATCH', maxCount: 1, maxSize: 100 },
        { id: AKIND, dataModel: 'ARRAY', accessControl: 'USER-MATCH', maxCount: 9, maxSize: 100 },
      ]),
      policies: createPolicyRegistry(),
      verifier: securityVerifier({ trust: createTrustStore({ rootCerts: [ca.certificate], now }) }),
      resourceIdOf: (n) => resourceId(n),
    });
  }
  const ctx = (c: Credentials) => ({
    requestSigner: {
      usernames: certificateInfo(c.certificate).usernames,
      nodeIds: certificateInfo(c.certificate).nodeIds,
    },
    certificates: [{ type: 0, certificate: c.certificate }],
  });
  const single = (s: string): StoredDataValue => ({
    model: 'SINGLE',
    value: { exists: true, value: new TextEncoder().encode(s) },
  });

  it('accepts a value signed by the right user, refuses the wrong user and a tampered value', async () => {
    const s = await setup();
    const good = signStored(alice, A, KIND, single('hi'), 1n);
    await s.store(
      {
        resource: A,
        replicaNumber: 0,
        kindData: [{ kind: KIND, generationCounter: 0n, values: [good] }],
      },
      ctx(alice),
    );
    const evil = signStored(mallory, A, KIND, single('x'), 2n);
    await expect(
      s.store(
        {
          resource: A,
          replicaNumber: 0,
          kindData: [{ kind: KIND, generationCounter: 0n, values: [evil] }],
        },
        ctx(mallory),
      ),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    const tampered = { ...good, storageTime: 3n, value: single('hj') };
    await expect(
      s.store(
        {
          resource: A,
          replicaNumber: 0,
          kindData: [{ kind: KIND, generationCounter: 0n, values: [tampered] }],
        },
        ctx(alice),
      ),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    const { certificates } = await s.fetch({
      resource: A,
      specifiers: [{ kind: KIND, generation: 0n, model: 'SINGLE' }],
    });
    expect(certificates.map((c) => Buffer.from(c.certificate).equals(alice.certificate))).toEqual([
      true,
    ]);
  });

  it('verifies appended array values (signature over index 0)', async () => {
    const s = await setup();
    const v = signStored(
      alice,
      A,
      AKIND,
      { model: 'ARRAY', index: 0xffffffff, value: { exists: true, value: new Uint8Array([1]) } },
      1n,
    );
    await s.store(
      {
        resource: A,
        replicaNumber: 0,
        kindData: [{ kind: AKIND, generationCounter: 0n, values: [v] }],
      },
      ctx(alice),
    );
  });

  it('refuses values whose certificate has expired (§7.1)', async () => {
    const s = await setup(() => Date.now() + 400 * 86_400_000);
    const good = signStored(alice, A, KIND, single('hi'), 1n);
    await expect(
      s.store(
        {
          resource: A,
          replicaNumber: 0,
          kindData: [{ kind: KIND, generationCounter: 0n, values: [good] }],
        },
        ctx(alice),
      ),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('stops serving a value when its signing certificate expires (§5.1, §7.1)', async () => {
    let t = Date.now();
    const s = await setup(Date.now, () => t);
    const v = { ...signStored(alice, A, KIND, single('hi'), 1n), lifetime: 0xffffffff };
    await s.store(
      {
        resource: A,
        replicaNumber: 0,
        kindData: [{ kind: KIND, generationCounter: 0n, values: [v] }],
      },
      ctx(alice),
    );
    const fetchOne = async () => {
      const { answer } = await s.fetch({
        resource: A,
        specifiers: [{ kind: KIND, generation: 0n, model: 'SINGLE' }],
      });
      const kr = answer.kindResponses[0];
      return 'values' in kr ? kr.values[0] : undefined;
    };
    expect((await fetchOne())?.value.value.exists).toBe(true);
    expect((await fetchOne())!.lifetime).toBeLessThanOrEqual(366 * 86_400);
    t += 400 * 86_400_000;
    expect((await fetchOne())?.value.value.exists).toBe(false);
  });
});
