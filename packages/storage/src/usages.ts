/**
 * The usages of the base specification, as Resource Names and Kind-IDs (RFC 6940 §8, §9):
 * helpers so that the overlay and the CLI build the same names the policies check.
 */
import {
  bytesEqual,
  decodeExact,
  ErrorCode,
  ReloadError,
  type StoredDataValue,
  TurnServerCodec,
} from '@reload/wire';
import type { KindDefinition } from './kinds.js';
import { indicatedNodeId, nodeMultipleName, type SignerInfo } from './policies.js';

/** Kind-IDs of the base usages (RFC 6940 §14.6). */
export const BaseKindId = {
  /** §9, SINGLE, NODE-MULTIPLE (max 20). */
  TURN_SERVICE: 0x2,
  /** §8, ARRAY, NODE-MATCH. */
  CERTIFICATE_BY_NODE: 0x3,
  /** §8, ARRAY, USER-MATCH. */
  CERTIFICATE_BY_USER: 0x10,
} as const;

const utf8 = new TextEncoder();

/**
 * Resource Name of a certificate stored by user (§8): the user name in the certificate, as
 * UTF-8 bytes; the Resource-ID is the overlay hash of it (USER-MATCH).
 */
export function certificateByUserName(username: string): Uint8Array {
  return utf8.encode(username);
}

/**
 * Resource Name of a certificate stored by node (§8): the raw Node-ID; the Resource-ID is
 * its hash ("not stored at its Node-ID but rather at a hash of its Node-ID"), NODE-MATCH.
 */
export function certificateByNodeName(nodeId: Uint8Array): Uint8Array {
  return nodeId.slice();
}

/**
 * Resource Name of the d-th TURN-SERVICE record of a node (§9): Node-ID followed by d as one
 * byte (docs/decisions/0400), d in 1..turn-density (at most 20 under NODE-MULTIPLE).
 * @throws ReloadError('NODE_MULTIPLE_RANGE') when d does not fit one byte.
 */
export function turnServiceName(nodeId: Uint8Array, d: number): Uint8Array {
  return nodeMultipleName(nodeId, d);
}

/** What a {@link ValueValidator} is shown. */
export interface ValueToValidate {
  readonly resourceId: Uint8Array;
  readonly kind: KindDefinition;
  readonly value: StoredDataValue;
  /** The verified signer of the value. */
  readonly signer: SignerInfo;
  readonly resourceIdOf: (name: Uint8Array) => Uint8Array;
}

/**
 * A usage's check of the values of one Kind (§7.4.5: "protocol designers may define
 * constraints … on the values which may be stored"); throws a ReloadError to refuse.
 */
export type ValueValidator = (v: ValueToValidate) => void;

/**
 * RFC 6940 §9 TURN-SERVICE: an existing value must be exactly one TurnServer whose
 * `iteration` d is the one the Resource-ID was formed with, H(Node-ID ‖ d).
 * @throws ReloadError(Error_Invalid_Message) otherwise.
 */
export const validateTurnServer: ValueValidator = ({ resourceId, value, signer, resourceIdOf }) => {
  if (!value.value.exists) return;
  const ts = decodeExact(
    TurnServerCodec,
    value.value.value,
    0,
    value.value.value.length,
    'TurnServer',
  );
  const nodeId = indicatedNodeId(signer);
  if (
    ts.iteration < 1 ||
    nodeId === undefined ||
    !bytesEqual(resourceIdOf(nodeMultipleName(nodeId, ts.iteration)), resourceId)
  )
    throw new ReloadError(
      ErrorCode.InvalidMessage,
      `TurnServer iteration ${ts.iteration} does not match the Resource-ID`,
    );
};

/** The value checks of the base usages, by Kind-ID (TURN-SERVICE). */
export const BASE_VALUE_VALIDATORS: ReadonlyMap<number, ValueValidator> = new Map([
  [BaseKindId.TURN_SERVICE, validateTurnServer],
]);
