/** RFC 6940 §6.4.2.1 Join and §10.5 (admitting peer side). */
import {
  ErrorCode,
  JoinAnsCodec,
  ReloadError,
  decodeExact,
  encodeToBytes,
  joinReqCodec,
} from '@reload/wire';
import { idEquals } from '@reload/security';
import type { Answer, IncomingRequest } from '../transport.js';
import { type HandlerContext, signerNodeId } from './index.js';

/**
 * Handles a JoinReq: the joining peer must sign with the Node-ID it joins as; the topology
 * plug-in decides and produces the Updates and data transfers of §10.5 steps 5–6.
 * @throws ReloadError(Error_Forbidden) when the Node-ID is not the signer's.
 */
export function handleJoin(ctx: HandlerContext, req: IncomingRequest): Answer {
  const join = decodeExact(joinReqCodec(ctx.peer.config.nodeIdLength), req.body);
  const signer = signerNodeId(req);
  if (!idEquals(join.joiningPeerId, signer)) {
    throw new ReloadError(ErrorCode.Forbidden, "joining_peer_id is not the signer's Node-ID");
  }
  const decision = ctx.peer.chord.onJoinReq(signer);
  if (!decision.accept) throw new ReloadError(decision.errorCode, decision.reason);
  // Answer first, then the Updates/transfers (the JN learns it is in the ring from the Update).
  setImmediate(() => ctx.peer.run(decision.actions));
  return { body: encodeToBytes(JoinAnsCodec, { overlaySpecificData: new Uint8Array(0) }) };
}
