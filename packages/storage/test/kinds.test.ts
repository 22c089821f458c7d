import { describe, expect, it } from 'vitest';
import { decodeExact, ErrorCode, UnknownKindsCodec } from '@reload/wire';
import { BUILTIN_KINDS, createKindRegistry, createPolicyRegistry } from '../src/index.js';

describe('kind registry (§7.4.5, §11.1)', () => {
  const policies = createPolicyRegistry();
  const opts = { policyExists: (n: string) => policies.has(n) };

  it('holds the base usages as built-ins: CERTIFICATE_BY_NODE/USER (§8), TURN-SERVICE (§9)', () => {
    const reg = createKindRegistry([], opts);
    expect(reg.byName('CERTIFICATE_BY_NODE')).toMatchObject({
      id: 3,
      dataModel: 'ARRAY',
      accessControl: 'NODE-MATCH',
    });
    expect(reg.byName('CERTIFICATE_BY_USER')).toMatchObject({
      id: 0x10,
      dataModel: 'ARRAY',
      accessControl: 'USER-MATCH',
    });
    expect(reg.get(2)).toMatchObject({
      name: 'TURN-SERVICE',
      dataModel: 'SINGLE',
      accessControl: 'NODE-MULTIPLE',
      maxNodeMultiple: 20,
    });
    expect(reg.list().map((k) => k.id)).toEqual([2, 3, 0x10]);
    expect(createKindRegistry([], { builtins: false }).list()).toEqual([]);
    expect(BUILTIN_KINDS).toHaveLength(3);
  });

  it('takes private Kinds by id and IANA Kinds by name, IANA model/policy winning', () => {
    const reg = createKindRegistry(
      [
        {
          id: 0xf0000010,
          dataModel: 'DICTIONARY',
          accessControl: 'USER-NODE-MATCH',
          maxCount: 5,
          maxSize: 50,
        },
        {
          name: 'CERTIFICATE_BY_USER',
          dataModel: 'SINGLE',
          accessControl: 'NODE-MATCH',
          maxCount: 2,
          maxSize: 9000,
        },
        { name: 'SIP-REGISTRATION', maxCount: 10, maxSize: 1000 },
      ],
      opts,
    );
    expect(reg.get(0xf0000010)?.dataModel).toBe('DICTIONARY');
    expect(reg.byName('CERTIFICATE_BY_USER')).toMatchObject({
      dataModel: 'ARRAY',
      accessControl: 'USER-MATCH',
      maxCount: 2,
      maxSize: 9000,
    });
    expect(reg.get(1)).toMatchObject({
      name: 'SIP-REGISTRATION',
      dataModel: 'DICTIONARY',
      accessControl: 'USER-NODE-MATCH',
    });
    expect(reg.dataModelOf(0xf0000010)).toBe('DICTIONARY');
    expect(reg.dataModelOf(0xf0000011)).toBeUndefined();
  });

  it('unknown Kinds are Error_Unknown_Kind with the unknown_kinds error_info', () => {
    const reg = createKindRegistry([], opts);
    try {
      reg.require(0xf0000099);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: ErrorCode.UnknownKind });
      expect(decodeExact(UnknownKindsCodec, (e as { info: Uint8Array }).info)).toEqual([
        0xf0000099,
      ]);
    }
  });

  it('rejects invalid definitions and leaves the registry unchanged', () => {
    const reg = createKindRegistry(
      [
        {
          id: 0xf0000001,
          dataModel: 'SINGLE',
          accessControl: 'USER-MATCH',
          maxCount: 1,
          maxSize: 10,
        },
      ],
      opts,
    );
    const bad = [
      {
        id: 0xf0000002,
        dataModel: 'ARRAY',
        accessControl: 'USER-NODE-MATCH',
        maxCount: 1,
        maxSize: 10,
      },
      {
        id: 0xf0000002,
        dataModel: 'SINGLE',
        accessControl: 'NODE-MULTIPLE',
        maxCount: 1,
        maxSize: 10,
      },
      {
        id: 0xf0000002,
        dataModel: 'SINGLE',
        accessControl: 'NO-SUCH-POLICY',
        maxCount: 1,
        maxSize: 10,
      },
      {
        id: 0xf0000002,
        dataModel: 'EXP-DATA',
        accessControl: 'USER-MATCH',
        maxCount: 1,
        maxSize: 10,
      },
      {
        id: 0xf0000002,
        dataModel: 'SINGLE',
        accessControl: 'USER-MATCH',
        maxCount: -1,
        maxSize: 10,
      },
      { id: 0, dataModel: 'SINGLE', accessControl: 'USER-MATCH', maxCount: 1, maxSize: 10 },
      { name: 'NOT-A-KIND', maxCount: 1, maxSize: 1 },
      { maxCount: 1, maxSize: 1 },
    ];
    for (const cfg of bad) {
      let code: unknown;
      try {
        reg.update([cfg]);
      } catch (e) {
        code = (e as { code: unknown }).code;
      }
      expect(code, JSON.stringify(cfg)).toBe('KIND_INVALID');
    }
    expect(() =>
      reg.update([
        {
          id: 0xf0000003,
          dataModel: 'SINGLE',
          accessControl: 'USER-MATCH',
          maxCount: 1,
          maxSize: 10,
        },
        {
          id: 0xf0000003,
          dataModel: 'SINGLE',
          accessControl: 'USER-MATCH',
          maxCount: 1,
          maxSize: 10,
        },
      ]),
    ).toThrow(/kind/);
    expect(reg.get(0xf0000001)).toBeDefined();
  });

  it('is replaced by a new configuration (update)', () => {
    const reg = createKindRegistry(
      [
        {
          id: 0xf0000001,
          dataModel: 'SINGLE',
          accessControl: 'USER-MATCH',
          maxCount: 1,
          maxSize: 10,
        },
      ],
      opts,
    );
    reg.update([
      { id: 0xf0000002, dataModel: 'ARRAY', accessControl: 'USER-MATCH', maxCount: 4, maxSize: 10 },
    ]);
    expect(reg.get(0xf0000001)).toBeUndefined();
    expect(reg.get(0xf0000002)?.maxCount).toBe(4);
    expect(reg.get(3)).toBeDefined();
  });

  it('with onInvalidKind, skips unsupported Kinds and keeps the others', () => {
    const skipped: string[] = [];
    const reg = createKindRegistry(
      [
        {
          name: 'REDIR',
          dataModel: 'DICTIONARY',
          accessControl: 'NODE-ID-MATCH',
          maxCount: 1,
          maxSize: 1,
        },
        {
          id: 0xf0000005,
          dataModel: 'EXP-DATA',
          accessControl: 'USER-MATCH',
          maxCount: 1,
          maxSize: 1,
        },
        {
          id: 0xf0000006,
          dataModel: 'SINGLE',
          accessControl: 'USER-MATCH',
          maxCount: 0,
          maxSize: 0,
        },
      ],
      {
        ...opts,
        onInvalidKind: (e, cfg) => skipped.push(`${String(cfg.name ?? cfg.id)}: ${String(e.code)}`),
      },
    );
    expect(skipped).toEqual(['REDIR: KIND_INVALID', `${0xf0000005}: KIND_INVALID`]);
    expect(reg.get(0xf0000006)).toMatchObject({ maxCount: 0, maxSize: 0 });
    expect(reg.get(0xf0000005)).toBeUndefined();
  });
});
