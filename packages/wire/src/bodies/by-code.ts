/**
 * The body codec of every RFC 6940 method, by message code (§14.8): what a MessageContents'
 * `message_body` holds for each request and answer. For CHORD-RELOAD (the default) the
 * overlay-specific bodies are the §10 structures: UpdateReq = ChordUpdate, UpdateAns = empty,
 * RouteQueryAns = ChordRouteQueryAns.
 */
import { type Codec } from '../codec.js';
import { KIND_DATA_MODELS, MessageCode } from '../constants.js';
import { type ErrorResponse, ErrorResponseCodec } from '../message-contents.js';
import {
  type ChordRouteQueryAns,
  type ChordUpdate,
  chordRouteQueryAnsCodec,
  chordUpdateCodec,
} from '../chord/index.js';
import { type ModelOf } from '../storage/data-value.js';
import { fetchAnsCodec, fetchReqCodec, type FetchAns, type FetchReq } from '../storage/fetch.js';
import { type FindAns, FindAnsCodec, type FindReq, FindReqCodec } from '../storage/find.js';
import { statAnsCodec, statReqCodec, type StatAns, type StatReq } from '../storage/stat.js';
import { storeAnsCodec, storeReqCodec, type StoreAns, type StoreReq } from '../storage/store.js';
import {
  type AppAttachAns,
  AppAttachAnsCodec,
  type AppAttachReq,
  AppAttachReqCodec,
  type AttachReqAns,
  AttachReqAnsCodec,
} from './attach.js';
import {
  type ConfigUpdateAns,
  ConfigUpdateAnsCodec,
  type ConfigUpdateReq,
  ConfigUpdateReqCodec,
} from './config-update.js';
import { type PingAns, PingAnsCodec, type PingReq, PingReqCodec } from './ping.js';
import { type NodeIdLengthOption, RestCodec, emptyCodec } from './primitives.js';
import {
  type JoinAns,
  JoinAnsCodec,
  type JoinReq,
  type LeaveAns,
  LeaveAnsCodec,
  type LeaveReq,
  type ProbeAns,
  ProbeAnsCodec,
  type ProbeReq,
  ProbeReqCodec,
  type RouteQueryReq,
  joinReqCodec,
  leaveReqCodec,
  routeQueryReqCodec,
} from './topology.js';

/** The decoded body type of each method, keyed by the §14.8 message-code name. */
export interface MethodBodies {
  probe_req: ProbeReq;
  probe_ans: ProbeAns;
  attach_req: AttachReqAns;
  attach_ans: AttachReqAns;
  store_req: StoreReq;
  store_ans: StoreAns;
  fetch_req: FetchReq;
  fetch_ans: FetchAns;
  find_req: FindReq;
  find_ans: FindAns;
  join_req: JoinReq;
  join_ans: JoinAns;
  leave_req: LeaveReq;
  leave_ans: LeaveAns;
  /** ChordUpdate for CHORD-RELOAD, raw bytes otherwise. */
  update_req: ChordUpdate | Uint8Array;
  /** Empty object for CHORD-RELOAD, raw bytes otherwise. */
  update_ans: Record<string, never> | Uint8Array;
  route_query_req: RouteQueryReq;
  /** ChordRouteQueryAns for CHORD-RELOAD, raw bytes otherwise. */
  route_query_ans: ChordRouteQueryAns | Uint8Array;
  ping_req: PingReq;
  ping_ans: PingAns;
  stat_req: StatReq;
  stat_ans: StatAns;
  app_attach_req: AppAttachReq;
  app_attach_ans: AppAttachAns;
  config_update_req: ConfigUpdateReq;
  config_update_ans: ConfigUpdateAns;
  error: ErrorResponse;
}

/** A method name of {@link MethodBodies} (`store_req`, `ping_ans` …). */
export type MethodName = keyof MethodBodies;

/** Options of {@link methodBodyCodecs}. */
export interface MethodBodyOptions {
  /** The overlay's NodeId length: bytes (16–20) or `{ nodeIdLength }`; default 16. */
  nodeIdLength?: NodeIdLengthOption;
  /**
   * Data model of each Kind-ID, for Store/Fetch/Stat bodies. Default: the Kinds RFC 6940 and
   * its companion usages define (`KIND_DATA_MODELS`); other Kinds are kept raw.
   */
  modelOf?: ModelOf;
  /**
   * Topology plug-in: `'CHORD-RELOAD'` (default) decodes Update and RouteQuery answers as §10
   * structures; `'opaque'` keeps the overlay-specific bodies as raw bytes.
   */
  topology?: 'CHORD-RELOAD' | 'opaque';
}

/** Every method's body codec, configured for one overlay. */
export type MethodBodyCodecs = { [K in MethodName]: Codec<MethodBodies[K]> };

/**
 * Builds the body codec of every method for one overlay (NodeId length, Kind data models,
 * topology plug-in).
 * @throws ReloadError('WIRE_BAD_NODE_ID_LENGTH') for a NodeId length outside 16..20.
 */
export function methodBodyCodecs(opts: MethodBodyOptions = {}): MethodBodyCodecs {
  const n = opts.nodeIdLength;
  const modelOf: ModelOf = opts.modelOf ?? ((k) => KIND_DATA_MODELS.get(k));
  const chord = (opts.topology ?? 'CHORD-RELOAD') === 'CHORD-RELOAD';
  return {
    probe_req: ProbeReqCodec,
    probe_ans: ProbeAnsCodec,
    attach_req: AttachReqAnsCodec,
    attach_ans: AttachReqAnsCodec,
    store_req: storeReqCodec(modelOf),
    store_ans: storeAnsCodec(n),
    fetch_req: fetchReqCodec(modelOf),
    fetch_ans: fetchAnsCodec(modelOf),
    find_req: FindReqCodec,
    find_ans: FindAnsCodec,
    join_req: joinReqCodec(n),
    join_ans: JoinAnsCodec,
    leave_req: leaveReqCodec(n),
    leave_ans: LeaveAnsCodec,
    update_req: chord ? chordUpdateCodec(n) : RestCodec,
    update_ans: chord ? emptyCodec() : RestCodec,
    route_query_req: routeQueryReqCodec(n),
    route_query_ans: chord ? chordRouteQueryAnsCodec(n) : RestCodec,
    ping_req: PingReqCodec,
    ping_ans: PingAnsCodec,
    stat_req: statReqCodec(modelOf),
    stat_ans: statAnsCodec(modelOf),
    app_attach_req: AppAttachReqCodec,
    app_attach_ans: AppAttachAnsCodec,
    config_update_req: ConfigUpdateReqCodec,
    config_update_ans: ConfigUpdateAnsCodec,
    error: ErrorResponseCodec,
  };
}

const NAME_BY_CODE = new Map<number, MethodName>(
  (Object.entries(MessageCode) as [string, number][])
    .filter(([name]) => name !== 'invalidMessageCode' && !name.startsWith('exp_'))
    .map(([name, code]) => [code, name as MethodName]),
);

/**
 * The method name for a message code (`0x7` → `store_req`), or undefined for codes without a
 * defined body (invalid, unassigned, reserved, Exp_A/Exp_B).
 */
export function methodNameOf(messageCode: number): MethodName | undefined {
  return NAME_BY_CODE.get(messageCode);
}

/**
 * The body codec for `messageCode` taken from `codecs`, or undefined when the code has no
 * defined body. Decode with `decodeExact(codec, message.messageBody)`.
 */
export function bodyCodecFor(
  codecs: MethodBodyCodecs,
  messageCode: number,
): Codec<MethodBodies[MethodName]> | undefined {
  const name = NAME_BY_CODE.get(messageCode);
  return name === undefined ? undefined : codecs[name];
}
