/**
 * RFC 6940 §7.4.4 Find: FindReq, FindKindData, FindAns.
 *
 * ```
 * struct { ResourceId resource; KindId kinds<0..2^8-1>; } FindReq;
 * struct { KindId kind; ResourceId closest; } FindKindData;
 * struct { FindKindData results<0..2^16-1>; } FindAns;
 * ```
 */
import { type Codec } from '../codec.js';
import { readResourceId, uint32Codec, vectorCodec, writeResourceId } from '../bodies/primitives.js';

/** §7.4.4.1 FindReq. Duplicate Kind-IDs are a semantic error for the handler, not the codec. */
export interface FindReq {
  resource: Uint8Array;
  /** Kind-IDs (uint32 each; at most 63 fit the 1-byte length prefix). */
  kinds: number[];
}

/** §7.4.4.2 FindKindData; `closest` is empty / zero when nothing is known. */
export interface FindKindData {
  kind: number;
  closest: Uint8Array;
}

/** §7.4.4.2 FindAns. */
export interface FindAns {
  results: FindKindData[];
}

const KindsCodec = vectorCodec(uint32Codec('FindReq.kinds'), 1, 'FindReq.kinds');

export const FindReqCodec: Codec<FindReq> = {
  encodedLength: (v) => 1 + v.resource.length + KindsCodec.encodedLength(v.kinds),
  encode(v, w) {
    writeResourceId(w, v.resource, 'FindReq.resource');
    KindsCodec.encode(v.kinds, w);
  },
  decode(r) {
    const resource = readResourceId(r, 'FindReq.resource');
    return { resource, kinds: KindsCodec.decode(r) };
  },
};

export const FindKindDataCodec: Codec<FindKindData> = {
  encodedLength: (v) => 4 + 1 + v.closest.length,
  encode(v, w) {
    w.u32(v.kind, 'FindKindData.kind');
    writeResourceId(w, v.closest, 'FindKindData.closest');
  },
  decode(r) {
    const kind = r.u32('FindKindData.kind');
    return { kind, closest: readResourceId(r, 'FindKindData.closest') };
  },
};

const ResultsCodec = vectorCodec(FindKindDataCodec, 2, 'FindAns.results');

export const FindAnsCodec: Codec<FindAns> = {
  encodedLength: (v) => ResultsCodec.encodedLength(v.results),
  encode: (v, w) => ResultsCodec.encode(v.results, w),
  decode: (r) => ({ results: ResultsCodec.decode(r) }),
};
