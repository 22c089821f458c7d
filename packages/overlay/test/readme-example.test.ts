/**
 * The README's example, verbatim between the markers: two peers over the memory link, a Ping,
 * a Store and a Fetch. Kept as a test so the README cannot drift from the API.
 */
import { expect, it } from 'vitest';

it('README example runs', async () => {
  // --- README example start ---
  const { MemoryNetwork, MemoryTransport } = await import('@reload/link');
  const {
    createCa,
    createTrustStore,
    generateKeyPairAsync,
    issueCertificateForKey,
    randomNodeId,
    resourceId,
  } = await import('@reload/security');
  const {
    createKindRegistry,
    createPolicyRegistry,
    openMemoryBackend,
    openStorage,
    securityVerifier,
  } = await import('@reload/storage');
  const { createPeer, fetchValues, storeValues } = await import('@reload/overlay');

  const overlay = 'example.org';
  const ca = await createCa({ subject: `CN=${overlay}`, keyAlgorithm: 'ecdsa-p256' });
  const trust = createTrustStore({ rootCerts: [ca.certificate], overlay });
  const net = new MemoryNetwork();
  const KIND = {
    id: 0xf0000002,
    dataModel: 'ARRAY',
    accessControl: 'NODE-MATCH',
    maxCount: 16,
    maxSize: 4096,
  } as const;

  async function makePeer(host: string, username: string) {
    const keys = await generateKeyPairAsync('ecdsa-p256');
    const nodeId = randomNodeId(16);
    const certificate = await issueCertificateForKey({
      ca,
      publicKey: keys.publicKey,
      nodeIds: [nodeId],
      overlay,
      username,
    });
    const credentials = { certificate, privateKey: keys.privateKey };
    const storage = await openStorage({
      backend: await openMemoryBackend(),
      kinds: createKindRegistry([KIND]),
      policies: createPolicyRegistry(),
      verifier: securityVerifier({ trust }),
      resourceIdOf: (name) => resourceId(name, 16),
      replicaSenderAllowed: () => true,
    });
    const peer = createPeer({
      config: {
        overlay,
        sequence: 1,
        nodeIdLength: 16,
        initialTtl: 100,
        maxMessageSize: 5000,
        reliabilityTimerMs: 3000,
      },
      credentials,
      nodeId,
      trust,
      storage,
      linkTransport: new MemoryTransport(net, {
        host,
        chain: [certificate],
        verifier: (chain) => ({
          nodeIds: trust.checkCertificate(chain[0], { requireNodeId: true }).nodeIds,
        }),
      }),
      listen: { host, port: 6084 },
    });
    await peer.start();
    return peer;
  }

  const alice = await makePeer('10.0.0.1', 'alice');
  alice.createOverlay(); // first peer: responsible for the whole ring
  const bob = await makePeer('10.0.0.2', 'bob');
  await bob.join(alice.address); // §10.5 join through a bootstrap address

  const pong = await bob.ping({ kind: 'node', nodeId: alice.nodeId });
  console.log(`ping answered by alice in ${pong.rttMs} ms, ${pong.hops} hops`);

  // NODE-MATCH: bob stores under his own Node-ID (§7.3.2).
  await storeValues(bob, {
    name: bob.nodeId,
    kind: KIND.id,
    values: [{ model: 'ARRAY', index: 0, value: new TextEncoder().encode('hello') }],
  });
  const got = await fetchValues(alice, { name: bob.nodeId, kind: KIND.id, model: 'ARRAY' });
  console.log(new TextDecoder().decode(got.values[0].data.value.value.value)); // "hello"

  await bob.leave(); // §10.9 Leave, then links closed
  await alice.close();
  // --- README example end ---
  expect(new TextDecoder().decode(got.values[0].data.value.value.value)).toBe('hello');
  expect(pong.signer.nodeId).toEqual(alice.nodeId);
});
