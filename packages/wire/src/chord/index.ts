/**
 * RFC 6940 §10 CHORD-RELOAD topology plug-in structures: ChordUpdate (§10.7, the body of a
 * Chord UpdateReq), ChordRouteQueryAns (§10.8, the body of a Chord RouteQueryAns) and
 * ChordLeaveData (§10.9, the `overlay_specific_data` of a Chord LeaveReq).
 *
 * ```
 * enum { invalidChordUpdateType(0), peer_ready(1), neighbors(2), full(3), (255) } ChordUpdateType;
 * struct { uint32 uptime; ChordUpdateType type;
 *          select (type) { case peer_ready: ;
 *            case neighbors: NodeId predecessors<0..2^16-1>; NodeId successors<0..2^16-1>;
 *            case full: NodeId predecessors<0..2^16-1>; NodeId successors<0..2^16-1>;
 *                       NodeId fingers<0..2^16-1>; }; } ChordUpdate;
 * struct { NodeId next_peer; } ChordRouteQueryAns;
 * enum { invalidChordLeaveType(0), from_succ(1), from_pred(2), (255) } ChordLeaveType;
 * struct { ChordLeaveType type;
 *          select (type) { case from_succ: NodeId successors<0..2^16-1>;
 *                          case from_pred: NodeId predecessors<0..2^16-1>; }; } ChordLeaveData;
 * ```
 * Neither select says it may be extended, so an unknown or invalid type is a parse error
 * (§6.3.1.1). NodeIds are the overlay's NodeIdLength (16–20 bytes, default 16).
 */
import { type Codec } from '../codec.js';
import { ChordLeaveType, ChordUpdateType } from '../constants.js';
import { invalidMessage } from '../errors.js';
import {
  type NodeIdLengthOption,
  readNodeId,
  readNodeIdList,
  resolveNodeIdLength,
  writeNodeId,
  writeNodeIdList,
} from '../bodies/primitives.js';

/** §10.7 ChordUpdate, tagged by its ChordUpdateType name. */
export type ChordUpdate =
  | { /** Seconds this peer has been up (uint32). */ uptime: number; type: 'peer_ready' }
  | { uptime: number; type: 'neighbors'; predecessors: Uint8Array[]; successors: Uint8Array[] }
  | {
      uptime: number;
      type: 'full';
      predecessors: Uint8Array[];
      successors: Uint8Array[];
      /** The finger table in numerically ascending order (§10.7). */
      fingers: Uint8Array[];
    };

/** §10.8 ChordRouteQueryAns. */
export interface ChordRouteQueryAns {
  /** The peer the responder would route the queried message to next. */
  nextPeer: Uint8Array;
}

/** §10.9 ChordLeaveData: sent by a successor (its successors) or a predecessor (its predecessors). */
export type ChordLeaveData =
  | { type: 'from_succ'; successors: Uint8Array[] }
  | { type: 'from_pred'; predecessors: Uint8Array[] };

/**
 * §10.7 ChordUpdate codec for the overlay's NodeId length.
 * @throws ReloadError(Error_Invalid_Message) on malformed input (naming field and offset),
 *   including ChordUpdateType 0 or > 3 and NodeId vectors that are not a whole number of ids.
 */
export function chordUpdateCodec(opt?: NodeIdLengthOption): Codec<ChordUpdate> {
  const n = resolveNodeIdLength(opt);
  return {
    encodedLength(v) {
      switch (v.type) {
        case 'peer_ready':
          return 5;
        case 'neighbors':
          return 5 + 4 + (v.predecessors.length + v.successors.length) * n;
        case 'full':
          return 5 + 6 + (v.predecessors.length + v.successors.length + v.fingers.length) * n;
      }
    },
    encode(v, w) {
      w.u32(v.uptime, 'ChordUpdate.uptime');
      w.u8(ChordUpdateType[v.type], 'ChordUpdate.type');
      if (v.type === 'peer_ready') return;
      writeNodeIdList(w, v.predecessors, 2, n, 'ChordUpdate.predecessors');
      writeNodeIdList(w, v.successors, 2, n, 'ChordUpdate.successors');
      if (v.type === 'full') writeNodeIdList(w, v.fingers, 2, n, 'ChordUpdate.fingers');
    },
    decode(r): ChordUpdate {
      const uptime = r.u32('ChordUpdate.uptime');
      const at = r.pos;
      const type = r.u8('ChordUpdate.type');
      switch (type) {
        case ChordUpdateType.peer_ready:
          return { uptime, type: 'peer_ready' };
        case ChordUpdateType.neighbors:
        case ChordUpdateType.full: {
          const predecessors = readNodeIdList(r, 2, n, 'ChordUpdate.predecessors');
          const successors = readNodeIdList(r, 2, n, 'ChordUpdate.successors');
          if (type === ChordUpdateType.neighbors) {
            return { uptime, type: 'neighbors', predecessors, successors };
          }
          const fingers = readNodeIdList(r, 2, n, 'ChordUpdate.fingers');
          return { uptime, type: 'full', predecessors, successors, fingers };
        }
        default:
          throw invalidMessage('ChordUpdate.type', at, `ChordUpdateType ${type} is not 1..3`);
      }
    },
  };
}

/** §10.7 ChordUpdate codec for 16-byte NodeIds. */
export const ChordUpdateCodec: Codec<ChordUpdate> = chordUpdateCodec();

/** §10.8 ChordRouteQueryAns codec for the overlay's NodeId length. */
export function chordRouteQueryAnsCodec(opt?: NodeIdLengthOption): Codec<ChordRouteQueryAns> {
  const n = resolveNodeIdLength(opt);
  return {
    encodedLength: () => n,
    encode: (v, w) => writeNodeId(w, v.nextPeer, n, 'ChordRouteQueryAns.next_peer'),
    decode: (r) => ({ nextPeer: readNodeId(r, n, 'ChordRouteQueryAns.next_peer') }),
  };
}

/** §10.8 ChordRouteQueryAns codec for 16-byte NodeIds. */
export const ChordRouteQueryAnsCodec: Codec<ChordRouteQueryAns> = chordRouteQueryAnsCodec();

/**
 * §10.9 ChordLeaveData codec for the overlay's NodeId length.
 * @throws ReloadError(Error_Invalid_Message) on malformed input, including ChordLeaveType 0
 *   or > 2.
 */
export function chordLeaveDataCodec(opt?: NodeIdLengthOption): Codec<ChordLeaveData> {
  const n = resolveNodeIdLength(opt);
  return {
    encodedLength: (v) =>
      1 + 2 + (v.type === 'from_succ' ? v.successors.length : v.predecessors.length) * n,
    encode(v, w) {
      w.u8(ChordLeaveType[v.type], 'ChordLeaveData.type');
      if (v.type === 'from_succ') {
        writeNodeIdList(w, v.successors, 2, n, 'ChordLeaveData.successors');
      } else {
        writeNodeIdList(w, v.predecessors, 2, n, 'ChordLeaveData.predecessors');
      }
    },
    decode(r): ChordLeaveData {
      const at = r.pos;
      const type = r.u8('ChordLeaveData.type');
      switch (type) {
        case ChordLeaveType.from_succ:
          return {
            type: 'from_succ',
            successors: readNodeIdList(r, 2, n, 'ChordLeaveData.successors'),
          };
        case ChordLeaveType.from_pred:
          return {
            type: 'from_pred',
            predecessors: readNodeIdList(r, 2, n, 'ChordLeaveData.predecessors'),
          };
        default:
          throw invalidMessage('ChordLeaveData.type', at, `ChordLeaveType ${type} is not 1..2`);
      }
    },
  };
}

/** §10.9 ChordLeaveData codec for 16-byte NodeIds. */
export const ChordLeaveDataCodec: Codec<ChordLeaveData> = chordLeaveDataCodec();
