/**
 * Bad input from a connected neighbour (RFC 6940 §6.1, §6.3.2, §6.3.4): each malformed or
 * unacceptable message gets the RFC's error or is dropped and counted, and the peer keeps
 * serving others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Link } from '@reload/link';
import { overlayHash, signSecurityBlock } from '@reload/security';
import {
  type Destination,
  ErrorCode,
  ErrorResponseCodec,
  MessageCode,
  PingReqCodec,
  decodeExact,
  decodeMessage,
  encodeMessage,
  encodeMessageContents,
  encodeToBytes,
  newForwardingHeader,
} from '@reload/wire';
import {
  makeOverlay,
  OVERLAY,
  rawClient,
  startRing,
  type TestOverlay,
  waitFor,
} from './helpers.js';

let o: TestOverlay;
let link: Link;
const inbox: Uint8Array[] = [];

/** A raw client: an enrolled identity speaking bytes over a link to peer 0. */
beforeAll(async () => {
  o = await makeOverlay(4);
  const [first] = await startRing(o, 3);
  link = await rawClient(o, 3, '127.9.9.9', first, inbox);
}, 60_000);

afterAll(async () => {
  link?.close();
  await o?.close();
});

function request(opts: {
  destination?: Destination[];
  ttl?: number;
  overlay?: number;
  code?: number;
  body?: Uint8Array;
  tamper?: boolean;
  sequence?: number;
}): { bytes: Uint8Array; tx: bigint } {
  const id = o.identities[3];
  const tx = randomBytes(8).readBigUInt64BE();
  const header = newForwardingHeader({
    overlay: opts.overlay ?? overlayHash(OVERLAY),
    transactionId: tx,
    destinationList: opts.destination ?? [{ kind: 'node', nodeId: o.peers[0].nodeId }],
    configurationSequence: opts.sequence ?? o.config.sequence,
    ttl: opts.ttl ?? 100,
  });
  const messageContents = {
    messageCode: opts.code ?? MessageCode.ping_req,
    messageBody: opts.body ?? encodeToBytes(PingReqCodec, { padding: new Uint8Array(0) }),
    extensions: [],
  };
  const securityBlock = signSecurityBlock({
    overlay: overlayHash(OVERLAY),
    transactionId: tx,
    messageContents: encodeMessageContents(messageContents),
    credentials: id.credentials,
    nodeId: id.nodeId,
  });
  if (opts.tamper) securityBlock.signature.signatureValue[5] ^= 0xff;
  return { bytes: encodeMessage({ forwardingHeader: header, messageContents, securityBlock }), tx };
}

async function answerTo(tx: bigint): Promise<{ code: number; errorCode?: number }> {
  let found: { code: number; errorCode?: number } | undefined;
  await waitFor(
    () => {
      for (const m of inbox) {
        const d = decodeMessage(m);
        if (d.forwardingHeader.transactionId !== tx) continue;
        const code = d.messageContents.messageCode;
        found =
          code === 0xffff
            ? {
                code,
                errorCode: decodeExact(ErrorResponseCodec, d.messageContents.messageBody).errorCode,
              }
            : { code };
        return true;
      }
      return false;
    },
    5_000,
    'an answer',
  );
  return found!;
}

function dropped(): number {
  return o.peers[0].transport.stats.dropped;
}

describe('bad input from a connected peer', () => {
  it('a well-formed signed Ping is answered (control)', async () => {
    const { bytes, tx } = request({});
    link.send(bytes);
    expect(await answerTo(tx)).toEqual({ code: MessageCode.ping_ans });
  });

  it('a forwarding header that does not decode is dropped and counted', async () => {
    const before = dropped();
    const { bytes } = request({});
    // Keep relo_token and length (the link checks them), break the version and the lists.
    const bad = bytes.slice();
    bad[10] = 0x63;
    bad[32] = 0xff;
    bad[33] = 0xff;
    link.send(bad);
    await waitFor(() => dropped() === before + 1, 2_000, 'the drop');
  });

  it('a wrong overlay hash is dropped', async () => {
    const before = dropped();
    link.send(request({ overlay: 0x12345678 }).bytes);
    await waitFor(() => dropped() === before + 1, 2_000, 'the drop');
    expect(o.peers[0].transport.stats.dropReasons['wrong overlay hash']).toBeGreaterThanOrEqual(1);
  });

  it('a bad signature is dropped, not processed (§6.3.4)', async () => {
    const before = dropped();
    const { bytes, tx } = request({ tamper: true });
    link.send(bytes);
    await waitFor(() => dropped() === before + 1, 2_000, 'the drop');
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox.some((m) => decodeMessage(m).forwardingHeader.transactionId === tx)).toBe(false);
  });

  it('a compressed id this peer never issued is dropped and counted (§6.1.3)', async () => {
    const reasons = o.peers[0].transport.stats.dropReasons;
    const before = reasons['unknown opaque destination id'] ?? 0;
    const { bytes } = request({
      destination: [
        { kind: 'node', nodeId: o.peers[0].nodeId },
        { kind: 'compressed', id: 0x8123 },
      ],
    });
    link.send(bytes);
    await waitFor(
      () => (reasons['unknown opaque destination id'] ?? 0) === before + 1,
      5_000,
      'the drop',
    );
  });

  it('TTL 0 on a message that must be forwarded gets Error_TTL_Exceeded', async () => {
    const target = o.peers[1].nodeId;
    const { bytes, tx } = request({ ttl: 0, destination: [{ kind: 'node', nodeId: target }] });
    link.send(bytes);
    expect(await answerTo(tx)).toEqual({ code: 0xffff, errorCode: ErrorCode.TtlExceeded });
  });

  it('a TTL above initial-ttl gets Error_TTL_Exceeded', async () => {
    const { bytes, tx } = request({ ttl: 101 });
    link.send(bytes);
    expect(await answerTo(tx)).toEqual({ code: 0xffff, errorCode: ErrorCode.TtlExceeded });
  });

  it('an unknown message code gets Error_Invalid_Message', async () => {
    const { bytes, tx } = request({ code: 0x0101, body: new Uint8Array(3) });
    link.send(bytes);
    expect(await answerTo(tx)).toEqual({ code: 0xffff, errorCode: ErrorCode.InvalidMessage });
  });

  it('a malformed body gets Error_Invalid_Message', async () => {
    const { bytes, tx } = request({ code: MessageCode.ping_req, body: new Uint8Array([0, 9]) });
    link.send(bytes);
    expect(await answerTo(tx)).toEqual({ code: 0xffff, errorCode: ErrorCode.InvalidMessage });
  });

  it('an older configuration sequence gets Error_Config_Too_Old, a newer one Config_Too_New (§6.3.2.1)', async () => {
    const older = request({ sequence: 0 });
    link.send(older.bytes);
    expect(await answerTo(older.tx)).toEqual({ code: 0xffff, errorCode: ErrorCode.ConfigTooOld });
    const newer = request({ sequence: 5 });
    link.send(newer.bytes);
    expect(await answerTo(newer.tx)).toEqual({ code: 0xffff, errorCode: ErrorCode.ConfigTooNew });
  });

  it('a retransmitted request is answered from the response cache (§6.2.1)', async () => {
    const { bytes, tx } = request({});
    link.send(bytes);
    await answerTo(tx);
    const dup = o.peers[0].transport.stats.duplicates;
    link.send(bytes);
    await waitFor(() => o.peers[0].transport.stats.duplicates === dup + 1, 2_000, 'duplicate');
    await waitFor(
      () =>
        inbox.filter((m) => decodeMessage(m).forwardingHeader.transactionId === tx).length === 2,
      2_000,
      'second answer',
    );
  });

  it('random bytes close that link only; the peer keeps serving the others', async () => {
    link.send(randomBytes(200));
    await link.closed;
    const res = await o.peers[2].ping({ kind: 'node', nodeId: o.peers[0].nodeId });
    expect(res.messageCode).toBe(MessageCode.ping_ans);
  });
});
