/** RFC 6940 §6.4.2.5 Probe. */
import {
  ProbeAnsCodec,
  ProbeReqCodec,
  decodeExact,
  encodeToBytes,
  type ProbeInformation,
} from '@reload/wire';
import type { Answer, IncomingRequest } from '../transport.js';
import type { HandlerContext } from './index.js';

/**
 * Handles a ProbeReq: answers responsible_set (parts per billion of the ring, §10), num_resources
 * and uptime (seconds); unknown requested types are skipped.
 */
export async function handleProbe(ctx: HandlerContext, req: IncomingRequest): Promise<Answer> {
  const probe = decodeExact(ProbeReqCodec, req.body);
  const info: ProbeInformation[] = [];
  for (const t of probe.requestedInfo) {
    if (t === 1)
      info.push({ type: 'responsible_set', responsiblePpb: ctx.peer.chord.responsiblePpb() });
    else if (t === 2) {
      const storage = ctx.peer.storage;
      const z = new Uint8Array(ctx.peer.config.nodeIdLength);
      const n = storage ? (await storage.resourcesInRange(z, z)).length : 0;
      info.push({ type: 'num_resources', numResources: n });
    } else if (t === 3) info.push({ type: 'uptime', uptime: ctx.peer.chord.uptimeSeconds() });
  }
  return { body: encodeToBytes(ProbeAnsCodec, { probeInfo: info }) };
}
