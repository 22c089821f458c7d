/** RFC 6940 §6.4.2.4 RouteQuery, answered as §10.8 ChordRouteQueryAns. */
import {
  ErrorCode,
  ReloadError,
  chordRouteQueryAnsCodec,
  decodeExact,
  encodeToBytes,
  routeQueryReqCodec,
} from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import { type HandlerContext, signerNodeId } from './index.js';

/**
 * Handles a RouteQueryReq: tells the requester which peer this node would route the
 * destination to next (itself when responsible).
 * @throws ReloadError(Error_Invalid_Message) for an opaque destination.
 */
export function handleRouteQuery(ctx: HandlerContext, req: IncomingRequest): Answer {
  const n = ctx.peer.config.nodeIdLength;
  const q = decodeExact(routeQueryReqCodec(n), req.body);
  const d = q.destination;
  const id = d.kind === 'node' ? d.nodeId : d.kind === 'resource' ? d.resourceId : undefined;
  if (!id)
    throw new ReloadError(
      ErrorCode.InvalidMessage,
      'RouteQuery destination must be a Node-ID or Resource-ID',
    );
  const r = ctx.peer.chord.onRouteQuery(signerNodeId(req), id, q.sendUpdate);
  setImmediate(() => ctx.peer.run(r.actions));
  return { body: encodeToBytes(chordRouteQueryAnsCodec(n), { nextPeer: r.nextPeer }) };
}
