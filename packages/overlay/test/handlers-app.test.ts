/**
 * AppAttach (RFC 6940 §6.5.2) and ConfigUpdate (§6.5.4) handlers, driven by real signed
 * requests through a 3-peer overlay over the memory link: peer 1 registers an application and
 * accepts configuration updates through its hook, peer 2 has neither.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Peer } from '@reload/overlay';
import {
  AppAttachAnsCodec,
  AppAttachReqCodec,
  CONFIG_SEQUENCE_ANY,
  type ConfigUpdateReq,
  ConfigUpdateReqCodec,
  ErrorCode,
  MessageCode,
  decodeExact,
  encodeToBytes,
  formatIpAddress,
} from '@reload/wire';
import { makeOverlay, startRing, type TestOverlay } from './helpers.js';

let o: TestOverlay;
let a: Peer;
let b: Peer;
let c: Peer;
const applied: ConfigUpdateReq[] = [];
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

beforeAll(async () => {
  o = await makeOverlay(3, {}, false, 'memory', {}, (i) =>
    i === 1
      ? {
          applications: new Map([[5060, { host: '192.0.2.7', port: 5070 }]]),
          onConfigUpdate: async (u) => {
            await Promise.resolve();
            if (u.type === 'config' && new TextDecoder().decode(u.configData).includes('bad')) {
              throw new Error('signature does not verify');
            }
            applied.push(u);
          },
        }
      : {},
  );
  [a, b, c] = await startRing(o, 3);
}, 60_000);

afterAll(async () => {
  await o?.close();
});

async function ask(
  to: Peer,
  messageCode: number,
  body: Uint8Array,
  configurationSequence?: number,
): Promise<{ body?: Uint8Array; code?: number | string }> {
  try {
    const r = await a.request({
      destinationList: [{ kind: 'node', nodeId: to.nodeId }],
      messageCode,
      body,
      expectedResponder: to.nodeId,
      ...(configurationSequence !== undefined ? { configurationSequence } : {}),
    });
    return { body: r.body };
  } catch (e) {
    return { code: (e as { code: number | string }).code };
  }
}

const appAttach = (application: number): Uint8Array =>
  encodeToBytes(AppAttachReqCodec, {
    ufrag: enc('ufrg'),
    password: enc('password'),
    application,
    role: enc('passive'),
    candidates: a.candidates(),
  });

describe('AppAttach (§6.5.2)', () => {
  it('answers with the registered application address as a host candidate', async () => {
    const r = await ask(b, MessageCode.app_attach_req, appAttach(5060));
    expect(r.code).toBeUndefined();
    const ans = decodeExact(AppAttachAnsCodec, r.body!);
    expect(ans.application).toBe(5060);
    expect(new TextDecoder().decode(ans.role)).toBe('active');
    expect(ans.candidates).toHaveLength(1);
    const cand = ans.candidates[0];
    expect(cand.type).toBe('host');
    expect('address' in cand.addrPort && formatIpAddress(cand.addrPort)).toBe('192.0.2.7');
    expect('port' in cand.addrPort && cand.addrPort.port).toBe(5070);
  });

  it('an application that is not registered gets Error_Not_Found', async () => {
    expect((await ask(b, MessageCode.app_attach_req, appAttach(5061))).code).toBe(
      ErrorCode.NotFound,
    );
    expect((await ask(c, MessageCode.app_attach_req, appAttach(5060))).code).toBe(
      ErrorCode.NotFound,
    );
  });
});

describe('ConfigUpdate (§6.5.4)', () => {
  const update = (text: string): Uint8Array =>
    encodeToBytes(ConfigUpdateReqCodec, { type: 'config', configData: enc(text) });

  it('with an onConfigUpdate hook: the document is handed to it and an empty answer returned', async () => {
    const r = await ask(b, MessageCode.config_update_req, update('<overlay>good</overlay>'));
    expect(r.code).toBeUndefined();
    expect(r.body).toHaveLength(0);
    expect(applied).toHaveLength(1);
    expect(applied[0].type === 'config' && new TextDecoder().decode(applied[0].configData)).toBe(
      '<overlay>good</overlay>',
    );
  });

  it('is accepted with configuration sequence 65535 (§6.3.2.1)', async () => {
    const r = await ask(b, MessageCode.config_update_req, update('<x/>'), CONFIG_SEQUENCE_ANY);
    expect(r.code).toBeUndefined();
    expect(applied).toHaveLength(2);
  });

  it('a document the hook refuses gets Error_Forbidden', async () => {
    const r = await ask(b, MessageCode.config_update_req, update('<overlay>bad</overlay>'));
    expect(r.code).toBe(ErrorCode.Forbidden);
    expect(applied).toHaveLength(2);
  });

  it('without a hook, ConfigUpdates are refused with Error_Forbidden', async () => {
    expect((await ask(c, MessageCode.config_update_req, update('<x/>'))).code).toBe(
      ErrorCode.Forbidden,
    );
  });

  it('a malformed ConfigUpdateReq gets Error_Invalid_Message', async () => {
    expect(
      (await ask(b, MessageCode.config_update_req, new Uint8Array([1, 0, 0, 0, 9]))).code,
    ).toBe(ErrorCode.InvalidMessage);
  });
});
