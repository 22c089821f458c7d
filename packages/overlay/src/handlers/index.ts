/**
 * Method dispatch (RFC 6940 §6.4, §6.5, §7.4): one handler file per method. A handler gets
 * the verified request and returns the encoded response body, or throws a ReloadError with the
 * RFC error code to answer an ErrorResponse.
 */
import { ErrorCode, MessageCode, ReloadError, messageCodeName } from '@reload/wire';
import type { Peer } from '../peer.js';
import type { Answer, IncomingRequest, TransportLogger } from '../transport.js';
import { handleAppAttach } from './app-attach.js';
import { handleAttach } from './attach.js';
import { handleConfigUpdate } from './config-update.js';
import { handleJoin } from './join.js';
import { handleLeave } from './leave.js';
import { handlePing } from './ping.js';
import { handleProbe } from './probe.js';
import { handleRouteQuery } from './route-query.js';
import { handleFetch, handleFind, handleStat, handleStore } from './store.js';
import { handleUpdate } from './update.js';

/** What a handler may use. */
export interface HandlerContext {
  peer: Peer;
  log: TransportLogger;
}

/** A method handler. */
export type Handler = (ctx: HandlerContext, req: IncomingRequest) => Promise<Answer> | Answer;

/** Handlers by request message code (§14.8). */
export const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [MessageCode.probe_req, handleProbe],
  [MessageCode.attach_req, handleAttach],
  [MessageCode.store_req, handleStore],
  [MessageCode.fetch_req, handleFetch],
  [MessageCode.find_req, handleFind],
  [MessageCode.join_req, handleJoin],
  [MessageCode.leave_req, handleLeave],
  [MessageCode.update_req, handleUpdate],
  [MessageCode.route_query_req, handleRouteQuery],
  [MessageCode.ping_req, handlePing],
  [MessageCode.stat_req, handleStat],
  [MessageCode.app_attach_req, handleAppAttach],
  [MessageCode.config_update_req, handleConfigUpdate],
]);

/**
 * Dispatches a verified request to its handler.
 * @throws ReloadError(Error_Invalid_Message) for a message code no handler knows (§6.3.3).
 */
export async function handleRequest(ctx: HandlerContext, req: IncomingRequest): Promise<Answer> {
  const h = HANDLERS.get(req.messageCode);
  if (!h) {
    throw new ReloadError(
      ErrorCode.InvalidMessage,
      `unknown message code ${messageCodeName(req.messageCode)}`,
    );
  }
  return h(ctx, req);
}

/** The signer's Node-ID, required for topology methods. */
export function signerNodeId(req: IncomingRequest): Uint8Array {
  const id = req.signer.nodeId;
  if (!id) throw new ReloadError(ErrorCode.Forbidden, 'request signer has no Node-ID');
  return id;
}
