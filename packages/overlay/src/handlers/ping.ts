/** RFC 6940 §6.5.3 Ping. */
import { randomBytes } from 'node:crypto';
import { PingAnsCodec, PingReqCodec, decodeExact, encodeToBytes } from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import type { HandlerContext } from './index.js';

/** Handles a PingReq: a random response_id and the time in ms since the epoch. */
export function handlePing(_ctx: HandlerContext, req: IncomingRequest): Answer {
  decodeExact(PingReqCodec, req.body);
  return {
    body: encodeToBytes(PingAnsCodec, {
      responseId: randomBytes(8).readBigUInt64BE(),
      time: BigInt(Date.now()),
    }),
  };
}
