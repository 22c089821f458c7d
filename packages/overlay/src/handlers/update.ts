/** RFC 6940 §6.4.2.3 Update carrying a ChordUpdate (§10.7). */
import { encodeToBytes, UpdateAnsCodec } from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import { type HandlerContext, signerNodeId } from './index.js';

/** Handles an UpdateReq: feeds the ChordUpdate to the topology plug-in (§10.7.3). */
export function handleUpdate(ctx: HandlerContext, req: IncomingRequest): Answer {
  const from = signerNodeId(req);
  const update = ctx.peer.chord.decodeUpdate(req.body);
  setImmediate(() => ctx.peer.run(ctx.peer.chord.onUpdate(from, update)));
  return { body: encodeToBytes(UpdateAnsCodec, new Uint8Array(0)) };
}
