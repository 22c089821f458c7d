import { describe, expect, it } from 'vitest';
import { encodeToBytes, ErrorCode, ipAddressPort, TurnServerCodec } from '@reload/wire';
import {
  BaseKindId,
  certificateByNodeName,
  certificateByUserName,
  createKindRegistry,
  createPolicyRegistry,
  openMemoryBackend,
  openStorage,
  turnServiceName,
} from '../src/index.js';
import { identity, resourceIdOf, signed, signerOf, testVerifier } from './helpers.js';

const alice = identity('alice@example.org');
const bob = identity('bob@example.org');

async function setup() {
  return openStorage({
    backend: await openMemoryBackend(),
    kinds: createKindRegistry(),
    policies: createPolicyRegistry(),
    verifier: testVerifier,
    resourceIdOf,
  });
}

function store(
  s: Awaited<ReturnType<typeof setup>>,
  who: typeof alice,
  resource: Uint8Array,
  kind: number,
  value: Parameters<typeof signed>[3],
  t = 1n,
) {
  return s.store(
    {
      resource,
      replicaNumber: 0,
      kindData: [{ kind, generationCounter: 0n, values: [signed(who, resource, kind, value, t)] }],
    },
    { requestSigner: signerOf(who), certificates: [who.cert] },
  );
}

const cert = (id: typeof alice) => ({ exists: true, value: id.cert.certificate });

describe('Certificate Store usage (§8)', () => {
  it('CERTIFICATE_BY_USER: appended at H(user name) by that user only', async () => {
    const s = await setup();
    const R = resourceIdOf(certificateByUserName(alice.username));
    await store(s, alice, R, BaseKindId.CERTIFICATE_BY_USER, {
      model: 'ARRAY',
      index: 0xffffffff,
      value: cert(alice),
    });
    await store(
      s,
      alice,
      R,
      BaseKindId.CERTIFICATE_BY_USER,
      { model: 'ARRAY', index: 0xffffffff, value: cert(alice) },
      2n,
    );
    await expect(
      store(s, bob, R, BaseKindId.CERTIFICATE_BY_USER, {
        model: 'ARRAY',
        index: 0xffffffff,
        value: cert(bob),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    const { answer } = await s.fetch({
      resource: R,
      specifiers: [
        {
          kind: BaseKindId.CERTIFICATE_BY_USER,
          generation: 0n,
          model: 'ARRAY',
          indices: [{ first: 0, last: 0xffffffff }],
        },
      ],
    });
    const kr = answer.kindResponses[0];
    expect(
      'values' in kr && kr.values.map((v) => (v.value.model === 'ARRAY' ? v.value.index : -1)),
    ).toEqual([0, 1]);
  });

  it('CERTIFICATE_BY_NODE: stored at H(Node-ID), not at the Node-ID, by that node only', async () => {
    const s = await setup();
    const R = resourceIdOf(certificateByNodeName(alice.nodeIds[0]));
    await store(s, alice, R, BaseKindId.CERTIFICATE_BY_NODE, {
      model: 'ARRAY',
      index: 0,
      value: cert(alice),
    });
    await expect(
      store(s, alice, alice.nodeIds[0], BaseKindId.CERTIFICATE_BY_NODE, {
        model: 'ARRAY',
        index: 0,
        value: cert(alice),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(
      store(s, bob, R, BaseKindId.CERTIFICATE_BY_NODE, {
        model: 'ARRAY',
        index: 1,
        value: cert(bob),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });
});

describe('TURN Server usage (§9)', () => {
  it('TURN-SERVICE: a TurnServer at H(Node-ID ‖ d) for d ≤ 20, found with Find', async () => {
    const s = await setup();
    const nid = alice.nodeIds[0];
    const value = (d: number) => ({
      model: 'SINGLE' as const,
      value: {
        exists: true,
        value: encodeToBytes(TurnServerCodec, {
          iteration: d,
          serverAddress: ipAddressPort('192.0.2.7', 3478),
        }),
      },
    });
    for (const d of [1, 20])
      await store(
        s,
        alice,
        resourceIdOf(turnServiceName(nid, d)),
        BaseKindId.TURN_SERVICE,
        value(d),
      );
    await expect(
      store(s, alice, resourceIdOf(turnServiceName(nid, 21)), BaseKindId.TURN_SERVICE, value(21)),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    // The value must be a TurnServer whose iteration formed the Resource-ID.
    const R2 = resourceIdOf(turnServiceName(nid, 2));
    await expect(store(s, alice, R2, BaseKindId.TURN_SERVICE, value(3))).rejects.toMatchObject({
      code: ErrorCode.InvalidMessage,
    });
    await expect(
      store(s, alice, R2, BaseKindId.TURN_SERVICE, {
        model: 'SINGLE',
        value: { exists: true, value: Uint8Array.of(2, 9) },
      }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidMessage });
    await store(s, alice, R2, BaseKindId.TURN_SERVICE, value(2));
    const target = resourceIdOf(turnServiceName(nid, 1));
    const found = await s.find({ resource: target, kinds: [BaseKindId.TURN_SERVICE] });
    expect(Buffer.from(found.results[0].closest).equals(Buffer.from(target))).toBe(true);
  });
});
