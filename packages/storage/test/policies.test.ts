import { describe, expect, it } from 'vitest';
import {
  type AccessPolicy,
  type AccessRequest,
  createPolicyRegistry,
  type KindDefinition,
  NODE_MATCH,
  NODE_MULTIPLE,
  nodeMultipleName,
  USER_MATCH,
  USER_NODE_MATCH,
} from '../src/index.js';
import { resourceIdOf, utf8 } from './helpers.js';

const n1 = resourceIdOf(utf8('node-1'));
const n2 = resourceIdOf(utf8('node-2'));
const kind = (over: Partial<KindDefinition> = {}): KindDefinition => ({
  id: 0xf0000001,
  dataModel: 'SINGLE',
  accessControl: 'USER-MATCH',
  maxCount: 1,
  maxSize: 10,
  ...over,
});
const req = (over: Partial<AccessRequest>): AccessRequest => ({
  resourceId: new Uint8Array(16),
  kind: kind(),
  exists: true,
  value: new Uint8Array(0),
  signer: { usernames: ['alice@example.org'], nodeIds: [n1] },
  role: 'value',
  resourceIdOf,
  ...over,
});

describe('RFC 6940 §7.3 policies', () => {
  it('USER-MATCH: user name hashes to the Resource-ID', () => {
    expect(USER_MATCH.check(req({ resourceId: resourceIdOf(utf8('alice@example.org')) }))).toBe(
      true,
    );
    expect(USER_MATCH.check(req({ resourceId: resourceIdOf(utf8('bob@example.org')) }))).toBe(
      false,
    );
    expect(
      USER_MATCH.check(
        req({
          resourceId: resourceIdOf(utf8('alice@example.org')),
          signer: { usernames: [], nodeIds: [n1] },
        }),
      ),
    ).toBe(false);
  });

  it('NODE-MATCH: the indicated Node-ID hashes to the Resource-ID', () => {
    expect(NODE_MATCH.check(req({ resourceId: resourceIdOf(n1) }))).toBe(true);
    expect(NODE_MATCH.check(req({ resourceId: resourceIdOf(n2) }))).toBe(false);
    // Two Node-IDs and none indicated: no Node-ID is "the one indicated" (cert_hash misuse).
    const two = { usernames: [], nodeIds: [n1, n2] };
    expect(NODE_MATCH.check(req({ resourceId: resourceIdOf(n2), signer: two }))).toBe(false);
    expect(
      NODE_MATCH.check(req({ resourceId: resourceIdOf(n2), signer: { ...two, nodeId: n2 } })),
    ).toBe(true);
    // An indicated Node-ID that the certificate does not carry is not accepted.
    expect(
      NODE_MATCH.check(
        req({ resourceId: resourceIdOf(n2), signer: { usernames: [], nodeIds: [n1], nodeId: n2 } }),
      ),
    ).toBe(false);
  });

  it('USER-NODE-MATCH: dictionary key is the Node-ID and the user matches', () => {
    const rid = resourceIdOf(utf8('alice@example.org'));
    const dict = kind({ dataModel: 'DICTIONARY', accessControl: 'USER-NODE-MATCH' });
    expect(USER_NODE_MATCH.check(req({ kind: dict, resourceId: rid, dictionaryKey: n1 }))).toBe(
      true,
    );
    expect(USER_NODE_MATCH.check(req({ kind: dict, resourceId: rid, dictionaryKey: n2 }))).toBe(
      false,
    );
    expect(
      USER_NODE_MATCH.check(req({ kind: dict, resourceId: resourceIdOf(n1), dictionaryKey: n1 })),
    ).toBe(false);
    expect(USER_NODE_MATCH.check(req({ kind: kind(), resourceId: rid, dictionaryKey: n1 }))).toBe(
      false,
    );
    expect(() => USER_NODE_MATCH.validateKind!(kind())).toThrow();
  });

  it('NODE-MULTIPLE: H(Node-ID ‖ i), 1 ≤ i ≤ max-node-multiple', () => {
    const k = kind({ accessControl: 'NODE-MULTIPLE', maxNodeMultiple: 5 });
    for (let i = 1; i <= 5; i++)
      expect(
        NODE_MULTIPLE.check(req({ kind: k, resourceId: resourceIdOf(nodeMultipleName(n1, i)) })),
      ).toBe(true);
    expect(
      NODE_MULTIPLE.check(req({ kind: k, resourceId: resourceIdOf(nodeMultipleName(n1, 6)) })),
    ).toBe(false);
    expect(
      NODE_MULTIPLE.check(req({ kind: k, resourceId: resourceIdOf(nodeMultipleName(n1, 0)) })),
    ).toBe(false);
    expect(
      NODE_MULTIPLE.check(req({ kind: k, resourceId: resourceIdOf(nodeMultipleName(n2, 1)) })),
    ).toBe(false);
    expect(
      NODE_MULTIPLE.check(
        req({
          kind: kind({ accessControl: 'NODE-MULTIPLE' }),
          resourceId: resourceIdOf(nodeMultipleName(n1, 1)),
        }),
      ),
    ).toBe(false);
    expect(() => nodeMultipleName(n1, 256)).toThrow();
  });

  it('registry: base policies present, new ones can be registered, duplicates refused', () => {
    const reg = createPolicyRegistry();
    expect(reg.names().sort()).toEqual([
      'NODE-MATCH',
      'NODE-MULTIPLE',
      'USER-MATCH',
      'USER-NODE-MATCH',
    ]);
    const open: AccessPolicy = { name: 'PUBLIC', check: () => true };
    reg.register(open);
    expect(reg.get('PUBLIC')).toBe(open);
    expect(() => reg.register(open)).toThrow(/already exists/);
    reg.register({ name: 'PUBLIC', check: () => false }, true);
    expect(reg.get('PUBLIC')?.check(req({}))).toBe(false);
  });
});
