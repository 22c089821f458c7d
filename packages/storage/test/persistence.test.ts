import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createKindRegistry,
  createPolicyRegistry,
  openLevelBackend,
  openStorage,
} from '../src/index.js';
import {
  K,
  KIND_CONFIGS,
  fakeClock,
  identity,
  resourceIdOf,
  ridOfUser,
  signed,
  signerOf,
  single,
  testVerifier,
} from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('persistence on classic-level', () => {
  it('a reopened database serves what was stored, minus what expired meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reload-storage-'));
    dirs.push(dir);
    const clock = fakeClock();
    const alice = identity('alice@example.org');
    const A = ridOfUser(alice.username);
    const open = async () =>
      openStorage({
        backend: await openLevelBackend(dir),
        kinds: createKindRegistry(KIND_CONFIGS),
        policies: createPolicyRegistry(),
        verifier: testVerifier,
        resourceIdOf,
        now: clock.now,
      });
    const ctx = { requestSigner: signerOf(alice), certificates: [alice.cert] };
    const s1 = await open();
    await s1.store(
      {
        resource: A,
        replicaNumber: 0,
        kindData: [
          {
            kind: K.single,
            generationCounter: 0n,
            values: [signed(alice, A, K.single, single('long'), 1n, 3600)],
          },
          {
            kind: K.dict,
            generationCounter: 0n,
            values: [
              signed(
                alice,
                A,
                K.dict,
                {
                  model: 'DICTIONARY',
                  key: new Uint8Array([1]),
                  value: { exists: true, value: new Uint8Array([7]) },
                },
                1n,
                60,
              ),
            ],
          },
        ],
      },
      ctx,
    );
    const bytes = s1.usage().bytes;
    await s1.close();

    clock.advance(120_000); // the dictionary value (60 s) expired while the peer was down
    const s2 = await open();
    expect(s2.usage().bytes).toBe(bytes);
    const { answer, certificates } = await s2.fetch({
      resource: A,
      specifiers: [
        { kind: K.single, generation: 0n, model: 'SINGLE' },
        { kind: K.dict, generation: 0n, model: 'DICTIONARY', keys: [] },
      ],
    });
    const [one, dict] = answer.kindResponses;
    expect(one.generation).toBe(1n);
    expect('values' in one && new TextDecoder().decode(one.values[0].value.value.value)).toBe(
      'long',
    );
    expect('values' in one && one.values[0].lifetime).toBe(3480);
    expect('values' in dict && dict.values).toEqual([]);
    expect(certificates).toHaveLength(1);
    // Generation continues where it was.
    const ans = await s2.store(
      {
        resource: A,
        replicaNumber: 0,
        kindData: [
          {
            kind: K.single,
            generationCounter: 1n,
            values: [signed(alice, A, K.single, single('next'), 2n)],
          },
        ],
      },
      ctx,
    );
    expect(ans.kindResponses[0].generationCounter).toBe(2n);
    expect(await s2.purgeExpired()).toBe(1);
    await s2.close();

    // What the second run wrote (re-encoded records) reads back after another restart.
    const s3 = await open();
    const again = await s3.fetch({
      resource: A,
      specifiers: [{ kind: K.single, generation: 0n, model: 'SINGLE' }],
    });
    const kr = again.answer.kindResponses[0];
    expect(kr.generation).toBe(2n);
    expect('values' in kr && new TextDecoder().decode(kr.values[0].value.value.value)).toBe('next');
    await s3.close();
  });
});
