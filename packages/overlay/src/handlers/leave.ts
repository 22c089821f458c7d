/** RFC 6940 §6.4.2.2 Leave and §10.9. */
import {
  ErrorCode,
  LeaveAnsCodec,
  ReloadError,
  decodeExact,
  encodeToBytes,
  leaveReqCodec,
} from '@reload/wire';
import { idEquals } from '@reload/security';
import type { Answer, IncomingRequest } from '../transport.js';
import { type HandlerContext, signerNodeId } from './index.js';

/**
 * Handles a LeaveReq: the leaving peer must be the signer; its ChordLeaveData updates our
 * neighbour table (§10.9).
 * @throws ReloadError(Error_Forbidden) when leaving_peer_id is not the signer.
 */
export function handleLeave(ctx: HandlerContext, req: IncomingRequest): Answer {
  const leave = decodeExact(leaveReqCodec(ctx.peer.config.nodeIdLength), req.body);
  const signer = signerNodeId(req);
  if (!idEquals(leave.leavingPeerId, signer)) {
    throw new ReloadError(ErrorCode.Forbidden, "leaving_peer_id is not the signer's Node-ID");
  }
  const data = ctx.peer.chord.decodeLeaveData(leave.overlaySpecificData);
  setImmediate(() => ctx.peer.run(ctx.peer.chord.onLeave(signer, data)));
  return { body: encodeToBytes(LeaveAnsCodec, {}) };
}
