/**
 * RFC 6940 §6.4.2 topology-plug-in method bodies: Join, Leave, Update, RouteQuery, Probe.
 *
 * ```
 * struct { NodeId joining_peer_id; opaque overlay_specific_data<0..2^16-1>; } JoinReq;
 * struct { opaque overlay_specific_data<0..2^16-1>; } JoinAns;
 * struct { NodeId leaving_peer_id; opaque overlay_specific_data<0..2^16-1>; } LeaveReq;
 * LeaveAns is empty. UpdateReq / UpdateAns / RouteQueryAns are overlay specific.
 * struct { Boolean send_update; Destination destination;
 *          opaque overlay_specific_data<0..2^16-1>; } RouteQueryReq;
 * enum { invalidProbeInformationType(0), responsible_set(1), num_resources(2), uptime(3),
 *        (255) } ProbeInformationType;
 * struct { ProbeInformationType requested_info<0..2^8-1>; } ProbeReq;
 * struct { select (type) { case responsible_set: uint32 responsible_ppb;
 *          case num_resources: uint32 num_resources; case uptime: uint32 uptime;
 *          /* This type may be extended *\/ }; } ProbeInformationData;
 * struct { ProbeInformationType type; uint8 length; ProbeInformationData value; } ProbeInformation;
 * struct { ProbeInformation probe_info<0..2^16-1>; } ProbeAns;
 * ```
 * For CHORD-RELOAD (§10): the UpdateReq body is a ChordUpdate, the RouteQueryAns body a
 * ChordRouteQueryAns, the LeaveReq `overlay_specific_data` a ChordLeaveData (see ../chord/).
 */
import { type Codec, unencodable } from '../codec.js';
import { ProbeInformationType } from '../constants.js';
import { invalidMessage } from '../errors.js';
import {
  type Destination,
  decodeDestination,
  destinationLength,
  encodeDestination,
} from '../forwarding-header.js';
import {
  type NodeIdLengthOption,
  RestCodec,
  emptyCodec,
  readBoolean,
  readNodeId,
  resolveNodeIdLength,
  vectorCodec,
  writeBoolean,
  writeNodeId,
} from './primitives.js';

/** §6.4.2.1 JoinReq. */
export interface JoinReq {
  /** The Node-ID the joining peer will assume (must match the signer, checked by the handler). */
  joiningPeerId: Uint8Array;
  /** `opaque<0..2^16-1>`; empty for CHORD-RELOAD. */
  overlaySpecificData: Uint8Array;
}

/** §6.4.2.1 JoinAns. */
export interface JoinAns {
  overlaySpecificData: Uint8Array;
}

/** §6.4.2.2 LeaveReq; for CHORD-RELOAD `overlaySpecificData` holds a ChordLeaveData (§10.9). */
export interface LeaveReq {
  leavingPeerId: Uint8Array;
  overlaySpecificData: Uint8Array;
}

/** §6.4.2.2 LeaveAns: empty. */
export type LeaveAns = Record<string, never>;

/** §6.4.2.4.1 RouteQueryReq. */
export interface RouteQueryReq {
  /** True asks the responder to send an Update immediately. */
  sendUpdate: boolean;
  /** Node-ID, Resource-ID or opaque destination (§6.3.2.2). */
  destination: Destination;
  /** Empty for CHORD-RELOAD (§10.8). */
  overlaySpecificData: Uint8Array;
}

/** §6.4.2.5.1 ProbeReq. */
export interface ProbeReq {
  /** ProbeInformationType values (uint8 each, 1..255; unknown ones are the responder's to skip). */
  requestedInfo: number[];
}

/**
 * §6.4.2.5.2 ProbeInformation. The three defined types carry a uint32; any other type is kept
 * as `unknown` with its `length` bytes (the RFC lets the structure be extended).
 */
export type ProbeInformation =
  | { type: 'responsible_set'; /** Parts per billion of the overlay. */ responsiblePpb: number }
  | { type: 'num_resources'; numResources: number }
  | { type: 'uptime'; /** Seconds. */ uptime: number }
  | { type: 'unknown'; /** ProbeInformationType 4..255. */ code: number; data: Uint8Array };

/** §6.4.2.5.2 ProbeAns. */
export interface ProbeAns {
  probeInfo: ProbeInformation[];
}

/** §6.4.2.1 JoinReq codec for the overlay's NodeId length (16–20 bytes, default 16). */
export function joinReqCodec(opt?: NodeIdLengthOption): Codec<JoinReq> {
  const n = resolveNodeIdLength(opt);
  return {
    encodedLength: (v) => n + 2 + v.overlaySpecificData.length,
    encode(v, w) {
      writeNodeId(w, v.joiningPeerId, n, 'JoinReq.joining_peer_id');
      w.opaque(v.overlaySpecificData, 2, 'JoinReq.overlay_specific_data');
    },
    decode(r) {
      const joiningPeerId = readNodeId(r, n, 'JoinReq.joining_peer_id');
      return { joiningPeerId, overlaySpecificData: r.opaque(2, 'JoinReq.overlay_specific_data') };
    },
  };
}

/** §6.4.2.1 JoinReq codec for 16-byte NodeIds. */
export const JoinReqCodec: Codec<JoinReq> = joinReqCodec();

/** §6.4.2.1 JoinAns codec. */
export const JoinAnsCodec: Codec<JoinAns> = {
  encodedLength: (v) => 2 + v.overlaySpecificData.length,
  encode: (v, w) => w.opaque(v.overlaySpecificData, 2, 'JoinAns.overlay_specific_data'),
  decode: (r) => ({ overlaySpecificData: r.opaque(2, 'JoinAns.overlay_specific_data') }),
};

/** §6.4.2.2 LeaveReq codec for the overlay's NodeId length (16–20 bytes, default 16). */
export function leaveReqCodec(opt?: NodeIdLengthOption): Codec<LeaveReq> {
  const n = resolveNodeIdLength(opt);
  return {
    encodedLength: (v) => n + 2 + v.overlaySpecificData.length,
    encode(v, w) {
      writeNodeId(w, v.leavingPeerId, n, 'LeaveReq.leaving_peer_id');
      w.opaque(v.overlaySpecificData, 2, 'LeaveReq.overlay_specific_data');
    },
    decode(r) {
      const leavingPeerId = readNodeId(r, n, 'LeaveReq.leaving_peer_id');
      return { leavingPeerId, overlaySpecificData: r.opaque(2, 'LeaveReq.overlay_specific_data') };
    },
  };
}

/** §6.4.2.2 LeaveReq codec for 16-byte NodeIds. */
export const LeaveReqCodec: Codec<LeaveReq> = leaveReqCodec();

/** §6.4.2.2 LeaveAns codec (zero bytes; anything after it is trailing data). */
export const LeaveAnsCodec: Codec<LeaveAns> = emptyCodec();

/**
 * §6.4.2.3 UpdateReq: overlay specific, so the whole message body as a view. CHORD-RELOAD
 * peers decode it with `chordUpdateCodec` (§10.7).
 */
export const UpdateReqCodec: Codec<Uint8Array> = RestCodec;

/** §6.4.2.3 UpdateAns: overlay specific (empty for CHORD-RELOAD), the whole body as a view. */
export const UpdateAnsCodec: Codec<Uint8Array> = RestCodec;

/**
 * §6.4.2.4.2 RouteQueryAns: overlay specific, the whole body as a view. CHORD-RELOAD peers
 * decode it with `chordRouteQueryAnsCodec` (§10.8).
 */
export const RouteQueryAnsCodec: Codec<Uint8Array> = RestCodec;

/** §6.4.2.4.1 RouteQueryReq codec; NodeId destinations use the overlay's NodeId length. */
export function routeQueryReqCodec(opt?: NodeIdLengthOption): Codec<RouteQueryReq> {
  const n = resolveNodeIdLength(opt);
  return {
    encodedLength: (v) => 1 + destinationLength(v.destination) + 2 + v.overlaySpecificData.length,
    encode(v, w) {
      writeBoolean(w, v.sendUpdate, 'RouteQueryReq.send_update');
      encodeDestination(v.destination, w, n);
      w.opaque(v.overlaySpecificData, 2, 'RouteQueryReq.overlay_specific_data');
    },
    decode(r) {
      const sendUpdate = readBoolean(r, 'RouteQueryReq.send_update');
      const destination = decodeDestination(r, n);
      const overlaySpecificData = r.opaque(2, 'RouteQueryReq.overlay_specific_data');
      return { sendUpdate, destination, overlaySpecificData };
    },
  };
}

/** §6.4.2.4.1 RouteQueryReq codec for 16-byte NodeIds. */
export const RouteQueryReqCodec: Codec<RouteQueryReq> = routeQueryReqCodec();

/** §6.4.2.5.1 ProbeReq codec; a requested type of 0 (invalid) is a parse error. */
export const ProbeReqCodec: Codec<ProbeReq> = (() => {
  const list = vectorCodec<number>(
    {
      encodedLength: () => 1,
      encode(v, w) {
        if (v === ProbeInformationType.invalidProbeOption) {
          throw unencodable('ProbeReq.requested_info', 'invalidProbeInformationType (0)');
        }
        w.u8(v, 'ProbeReq.requested_info');
      },
      decode(r) {
        const at = r.pos;
        const t = r.u8('ProbeReq.requested_info');
        if (t === ProbeInformationType.invalidProbeOption) {
          throw invalidMessage('ProbeReq.requested_info', at, 'invalidProbeInformationType (0)');
        }
        return t;
      },
    },
    1,
    'ProbeReq.requested_info',
  );
  return {
    encodedLength: (v) => list.encodedLength(v.requestedInfo),
    encode: (v, w) => list.encode(v.requestedInfo, w),
    decode: (r) => ({ requestedInfo: list.decode(r) }),
  };
})();

const PROBE_KNOWN: Record<number, 'responsible_set' | 'num_resources' | 'uptime'> = {
  [ProbeInformationType.responsible_set]: 'responsible_set',
  [ProbeInformationType.num_resources]: 'num_resources',
  [ProbeInformationType.uptime]: 'uptime',
};

function probeUint(v: ProbeInformation): number {
  switch (v.type) {
    case 'responsible_set':
      return v.responsiblePpb;
    case 'num_resources':
      return v.numResources;
    case 'uptime':
      return v.uptime;
    case 'unknown':
      return 0;
  }
}

/**
 * §6.4.2.5.2 ProbeInformation codec. Defined types must have `length` 4; type 0 is a parse
 * error; other types are kept raw.
 */
export const ProbeInformationCodec: Codec<ProbeInformation> = {
  encodedLength: (v) => 2 + (v.type === 'unknown' ? v.data.length : 4),
  encode(v, w) {
    if (v.type === 'unknown') {
      if (v.code === 0 || PROBE_KNOWN[v.code] !== undefined) {
        throw unencodable('ProbeInformation.type', `type ${v.code} cannot be encoded raw`);
      }
      w.u8(v.code, 'ProbeInformation.type');
      w.opaque(v.data, 1, 'ProbeInformation.length');
      return;
    }
    w.u8(ProbeInformationType[v.type], 'ProbeInformation.type');
    w.u8(4, 'ProbeInformation.length');
    w.u32(probeUint(v), `ProbeInformation.${v.type}`);
  },
  decode(r): ProbeInformation {
    const at = r.pos;
    const code = r.u8('ProbeInformation.type');
    const body = r.sub(1, 'ProbeInformation.length');
    if (code === ProbeInformationType.invalidProbeOption) {
      throw invalidMessage('ProbeInformation.type', at, 'invalidProbeInformationType (0)');
    }
    const known = PROBE_KNOWN[code];
    if (known === undefined) {
      return { type: 'unknown', code, data: body.bytes(body.remaining, 'ProbeInformation.value') };
    }
    if (body.remaining !== 4) {
      throw invalidMessage('ProbeInformation.length', at + 1, `${known} needs 4 bytes`);
    }
    const x = body.u32(`ProbeInformation.${known}`);
    switch (known) {
      case 'responsible_set':
        return { type: known, responsiblePpb: x };
      case 'num_resources':
        return { type: known, numResources: x };
      case 'uptime':
        return { type: known, uptime: x };
    }
  },
};

const ProbeInfoListCodec = vectorCodec(ProbeInformationCodec, 2, 'ProbeAns.probe_info');

/** §6.4.2.5.2 ProbeAns codec. */
export const ProbeAnsCodec: Codec<ProbeAns> = {
  encodedLength: (v) => ProbeInfoListCodec.encodedLength(v.probeInfo),
  encode: (v, w) => ProbeInfoListCodec.encode(v.probeInfo, w),
  decode: (r) => ({ probeInfo: ProbeInfoListCodec.decode(r) }),
};
