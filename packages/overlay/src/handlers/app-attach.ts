/** RFC 6940 §6.5.2 AppAttach. */
import { iceToken } from '../ice.js';
import {
  AppAttachAnsCodec,
  AppAttachReqCodec,
  ErrorCode,
  ReloadError,
  decodeExact,
  encodeToBytes,
  ipAddressPort,
} from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import type { HandlerContext } from './index.js';

/**
 * Handles an AppAttachReq: answers with the address of the local application registered for
 * the Application-ID (a host candidate).
 * @throws ReloadError(Error_Not_Found) when no application is registered for it.
 */
export function handleAppAttach(ctx: HandlerContext, req: IncomingRequest): Answer {
  const r = decodeExact(AppAttachReqCodec, req.body);
  const app = ctx.peer.application(r.application);
  if (!app) throw new ReloadError(ErrorCode.NotFound, `no application ${r.application} here`);
  return {
    body: encodeToBytes(AppAttachAnsCodec, {
      ufrag: iceToken(6),
      password: iceToken(18),
      application: r.application,
      role: new TextEncoder().encode('active'),
      candidates: [
        {
          type: 'host',
          addrPort: ipAddressPort(app.host, app.port),
          overlayLink: 4,
          foundation: new TextEncoder().encode('1'),
          priority: 1,
          extensions: [],
        },
      ],
    }),
  };
}
