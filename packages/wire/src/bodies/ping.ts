/**
 * RFC 6940 §6.5.3 Ping bodies.
 *
 * ```
 * struct { opaque<0..2^16-1> padding; } PingReq;
 * struct { uint64 response_id; uint64 time; } PingAns;
 * ```
 */
import { type Codec } from '../codec.js';

/** §6.5.3.1 PingReq: only padding (up to 65535 bytes, e.g. to probe the path MTU). */
export interface PingReq {
  padding: Uint8Array;
}

/** §6.5.3.2 PingAns. */
export interface PingAns {
  /** Random 64-bit id distinguishing responses. */
  responseId: bigint;
  /** When the answer was made: milliseconds since the epoch, like storage_time (§7). */
  time: bigint;
}

export const PingReqCodec: Codec<PingReq> = {
  encodedLength: (v) => 2 + v.padding.length,
  encode: (v, w) => w.opaque(v.padding, 2, 'PingReq.padding'),
  decode: (r) => ({ padding: r.opaque(2, 'PingReq.padding') }),
};

export const PingAnsCodec: Codec<PingAns> = {
  encodedLength: () => 16,
  encode(v, w) {
    w.u64(v.responseId, 'PingAns.response_id');
    w.u64(v.time, 'PingAns.time');
  },
  decode(r) {
    const responseId = r.u64('PingAns.response_id');
    return { responseId, time: r.u64('PingAns.time') };
  },
};
