/** RFC 6940 §6.5.4 ConfigUpdate. */
import {
  ConfigUpdateAnsCodec,
  ConfigUpdateReqCodec,
  ErrorCode,
  ReloadError,
  decodeExact,
  encodeToBytes,
} from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import type { HandlerContext } from './index.js';

/**
 * Handles a ConfigUpdateReq: hands the configuration document (or kind descriptions) to the
 * peer's configuration hook, which verifies the signatures (§11.1) and applies it.
 * @throws ReloadError(Error_Forbidden) when no hook is installed or the document is refused.
 */
export async function handleConfigUpdate(
  ctx: HandlerContext,
  req: IncomingRequest,
): Promise<Answer> {
  const u = decodeExact(ConfigUpdateReqCodec, req.body);
  await ctx.peer.applyConfigUpdate(u).catch((e: unknown) => {
    throw new ReloadError(ErrorCode.Forbidden, `configuration refused: ${(e as Error).message}`);
  });
  return { body: encodeToBytes(ConfigUpdateAnsCodec, {}) };
}
