/** RFC 6940 §6.5.1 Attach, No-ICE (§6.5.1.11): answer with our passive candidate, then connect. */
import { iceToken } from '../ice.js';
import { AttachReqAnsCodec, decodeExact, encodeToBytes } from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import { type HandlerContext, signerNodeId } from './index.js';

/**
 * Handles an AttachReq: answers with this peer's candidates (role "active": we connect), then
 * opens the link to the requester's candidate as TLS client (§6.5.1.13), requiring the
 * requester's Node-ID in its certificate.
 */
export function handleAttach(ctx: HandlerContext, req: IncomingRequest): Answer {
  const attach = decodeExact(AttachReqAnsCodec, req.body);
  const requester = signerNodeId(req);
  const body = encodeToBytes(AttachReqAnsCodec, {
    ufrag: iceToken(6),
    password: iceToken(18),
    role: new TextEncoder().encode('active'),
    candidates: ctx.peer.candidates(),
    sendUpdate: false,
  });
  queueMicrotask(() => ctx.peer.connectToAttacher(requester, attach.candidates, attach.sendUpdate));
  return { body };
}
