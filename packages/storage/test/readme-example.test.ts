// The README's example, run as a test so that it stays correct.
import { expect, it } from 'vitest';
// --- README imports start ---
import { certificateInfo, createSelfSigned, resourceId } from '@reload/security';
import {
  createKindRegistry,
  createPolicyRegistry,
  createStoredData,
  openMemoryBackend,
  openStorage,
  securityVerifier,
} from '@reload/storage';
// --- README imports end ---

it('README example runs', async () => {
  // --- README example start ---
  const KIND = 0xf0000001; // a private Kind: one value per user
  const me = await createSelfSigned({
    overlay: 'example.org',
    username: 'alice',
    keyAlgorithm: 'ecdsa-p256',
  });
  const { usernames, nodeIds } = certificateInfo(me.certificate); // ['alice@example.org']

  const storage = await openStorage({
    backend: await openMemoryBackend(), // on disk: await openLevelBackend(dir)
    kinds: createKindRegistry([
      { id: KIND, dataModel: 'SINGLE', accessControl: 'USER-MATCH', maxCount: 1, maxSize: 1024 },
    ]),
    policies: createPolicyRegistry(),
    verifier: securityVerifier(), // in a peer: securityVerifier({ trust: createTrustStore(…) })
    resourceIdOf: (name) => resourceId(name), // CHORD-RELOAD: SHA-1, 128 bits
  });

  const resource = resourceId(usernames[0]); // USER-MATCH: H(user name)
  const value = {
    model: 'SINGLE' as const,
    value: { exists: true, value: new TextEncoder().encode('hello') },
  };
  const stored = createStoredData({
    credentials: me,
    resourceId: resource,
    kind: KIND,
    value,
    lifetime: 3600,
  });
  const ans = await storage.store(
    {
      resource,
      replicaNumber: 0,
      kindData: [{ kind: KIND, generationCounter: 0n, values: [stored] }],
    },
    {
      requestSigner: { usernames, nodeIds },
      certificates: [{ type: 0, certificate: me.certificate }],
    },
  );
  console.log(ans.kindResponses[0].generationCounter); // 1n

  const { answer, certificates } = await storage.fetch({
    resource,
    specifiers: [{ kind: KIND, generation: 0n, model: 'SINGLE' }],
  });
  const kr = answer.kindResponses[0];
  console.log('values' in kr && new TextDecoder().decode(kr.values[0].value.value.value)); // hello
  await storage.close();
  // --- README example end ---
  expect(ans.kindResponses[0].generationCounter).toBe(1n);
  expect('values' in kr && kr.values).toHaveLength(1);
  expect(certificates).toHaveLength(1);
});
