/**
 * The bench/wire workload (issue 2, "Speed"), shared by codec.ts (codec vs RSA verify) and
 * ab.ts (two builds of @reload/wire against each other): a typical StoreReq message — one
 * 1 KiB StoredData (SINGLE value, private Kind 0xF0000001) signed with RSA-2048, inside a full
 * RELOAD message with a forwarding header (one via entry, a Resource-ID destination) and a
 * SecurityBlock carrying a certificate-sized blob and an RSA-2048 message signature; 2567
 * bytes on the wire.
 *
 * `encode` builds a fresh Message object (as a sender does) and encodes it with the StoreReq
 * body encoded in place; `decodeAndRead` decodes the bytes and the body in one pass and reads
 * what a receiving peer reads (so nothing can be skipped or left unbuilt). A build without
 * `decodeMessage`'s `body` option (before 2026-11-26 11:00) decodes the body from
 * `messageBody` with a second Reader instead.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type * as Wire from '@reload/wire';
import type { Message, StoreReq } from '@reload/wire';

/** The workload over one build of @reload/wire (the module namespace). */
export interface WireWorkload {
  /** Encodes a freshly built StoreReq message. */
  encode(): Uint8Array;
  /** Decodes a message from {@link WireWorkload.encode} and returns its StoreReq. */
  decode(bytes: Uint8Array): StoreReq;
  /** Decodes and reads every field a receiving peer reads; returns a checksum of them. */
  decodeAndRead(bytes: Uint8Array): number;
  /**
   * Runs `n` operations — `both`: encode, then decode and read; `encode`; `decode`: decode and
   * read `sample` — and returns a checksum (a loop per workload instance, so that ab.ts's two
   * builds do not share call sites).
   */
  repeat(mode: 'both' | 'encode' | 'decode', n: number, sample: Uint8Array): number;
  /** The data signature's input (resource ‖ kind ‖ value) and value, for the verify side. */
  dataSigInput: Buffer;
  dataSignature: Uint8Array;
  /** The RSA-2048 public key that verifies {@link WireWorkload.dataSignature}. */
  publicKey: KeyObject;
}

const KIND = 0xf0000001;

/**
 * Sets up the workload against `wire` (e.g. `await import('@reload/wire')` or a built
 * `dist/index.js`); generates one RSA-2048 key pair (≈ 0.1–1 s).
 */
export function wireWorkload(wire: typeof Wire): WireWorkload {
  const { decodeMessage, encodeMessage, newForwardingHeader, Reader, storeReqCodec } = wire;
  const modelOf = (kind: number): string | undefined => (kind === KIND ? 'SINGLE' : undefined);
  const codec = storeReqCodec(modelOf);

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const resource = new Uint8Array(createHash('sha1').update('bench').digest().subarray(0, 16));
  const value = new Uint8Array(1024).map((_, i) => i & 0xff);
  const certHash = new Uint8Array(32).fill(0x11);
  const identity = { identityType: 1 as const, hashAlg: 4, certificateHash: certHash };
  const dataSigInput = Buffer.concat([resource, Buffer.from('f0000001', 'hex'), value]);
  const dataSignature = new Uint8Array(sign('sha256', dataSigInput, privateKey));

  const storeReq: StoreReq = {
    resource,
    replicaNumber: 0,
    kindData: [
      {
        kind: KIND,
        generationCounter: 1n,
        values: [
          {
            storageTime: 1_764_115_200_000n,
            lifetime: 86_400,
            value: { model: 'SINGLE', value: { exists: true, value } },
            signature: {
              algorithm: { hash: 4, signature: 1 },
              identity,
              signatureValue: dataSignature,
            },
          },
        ],
      },
    ],
  };

  const certificate = new Uint8Array(800).fill(0x30); // certificate-sized opaque blob
  const viaNode = new Uint8Array(16).fill(0xc0);
  const messageSignature = new Uint8Array(sign('sha256', Buffer.from('x'), privateKey));
  // `messageBody` is ignored when the body comes from a codec (encodeMessage's `body` option):
  // a caller passes one shared empty array. Creating a zero-length Uint8Array allocates an
  // ArrayBuffer, ≈ 240 ns in V8 — the caller's cost, not the codec's (docs/benchmarks/wire.md).
  const NO_BODY = new Uint8Array(0);

  function encode(): Uint8Array {
    const msg: Message = {
      forwardingHeader: newForwardingHeader({
        overlay: 0x4e38fc3f,
        transactionId: 0x5245_4c4f_0000_0001n,
        viaList: [{ kind: 'node', nodeId: viaNode }],
        destinationList: [{ kind: 'resource', resourceId: resource }],
      }),
      messageContents: {
        messageCode: 7,
        messageBody: NO_BODY, // ignored: the body comes from the codec below
        extensions: [],
      },
      securityBlock: {
        certificates: [{ type: 0, certificate }],
        signature: {
          algorithm: { hash: 4, signature: 1 },
          identity,
          signatureValue: messageSignature,
        },
      },
    };
    // the StoreReq body is encoded in place by its codec: one allocation per message
    return encodeMessage(msg, { body: { codec, value: storeReq } });
  }

  // the StoreReq body is decoded in the same pass (it must fill message_body exactly); older
  // builds ignore the option and return no `body`
  const withBody = { body: codec };
  const sameBuild = decodeMessage(encode(), withBody).body !== undefined;
  /** An older build's way: the body decoded from `messageBody` with a second Reader. */
  function bodyOf(m: Wire.DecodedMessage): StoreReq {
    const r = new Reader(m.messageContents.messageBody);
    const req = codec.decode(r);
    r.done('StoreReq');
    return req;
  }

  function decodeAndRead(bytes: Uint8Array): number {
    let m: Wire.DecodedMessage;
    let req: StoreReq;
    if (sameBuild) {
      const d = decodeMessage(bytes, withBody);
      m = d;
      req = d.body;
    } else {
      m = decodeMessage(bytes);
      req = bodyOf(m);
    }
    const h = m.forwardingHeader;
    const sb = m.securityBlock;
    const kd = req.kindData[0];
    const sd = 'values' in kd ? kd.values[0] : undefined;
    const id = sb.signature.identity;
    return (
      h.ttl +
      h.viaList.length +
      h.destinationList.length +
      (h.transactionId === 0n ? 1 : 0) +
      m.contentsBytes.length +
      sb.certificates[0].certificate.length +
      sb.signature.signatureValue.length +
      ('certificateHash' in id ? id.certificateHash.length : 0) +
      req.resource.length +
      (sd === undefined
        ? 0
        : sd.value.value.value.length + sd.signature.signatureValue.length + sd.lifetime)
    );
  }

  function repeat(mode: 'both' | 'encode' | 'decode', n: number, sample: Uint8Array): number {
    let sum = 0;
    if (mode === 'both') for (let i = 0; i < n; i++) sum += decodeAndRead(encode());
    else if (mode === 'encode') for (let i = 0; i < n; i++) sum += encode().length;
    else for (let i = 0; i < n; i++) sum += decodeAndRead(sample);
    return sum;
  }

  return {
    encode,
    repeat,
    decode: (bytes) =>
      sameBuild ? decodeMessage(bytes, withBody).body : bodyOf(decodeMessage(bytes)),
    decodeAndRead,
    dataSigInput,
    dataSignature,
    publicKey,
  };
}
