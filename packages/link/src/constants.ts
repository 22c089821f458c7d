/**
 * Link-layer constants, each with the RFC section that defines it (house style §8).
 */

import { FRAMED_ACK_LENGTH, FRAMED_DATA_OVERHEAD, FramedMessageType } from '@reload/wire';

/** RFC 6940 §6.6.2 FramedMessageType: a data frame (128). */
export const FRAME_DATA = FramedMessageType.data;
/** RFC 6940 §6.6.2 FramedMessageType: an acknowledgement frame (129). */
export const FRAME_ACK = FramedMessageType.ack;

/** Bytes before the message in a data frame: type (1) + sequence (4) + length (3). §6.6.2 */
export const DATA_FRAME_HEADER_BYTES = FRAMED_DATA_OVERHEAD;
/** Size of an ack frame: type (1) + ack_sequence (4) + received (4). §6.6.2 */
export const ACK_FRAME_BYTES = FRAMED_ACK_LENGTH;
/** Largest message a data frame can carry: `opaque message<0..2^24-1>`. §6.6.2 */
export const MAX_FRAME_MESSAGE_BYTES = 0xffffff;

/** An OverlayLinkType code (RFC 6940 §6.5.1.1; the table is `OverlayLinkType` in @reload/wire). */
export type OverlayLinkTypeCode = 1 | 3 | 4 | 5;

/** Default `max-message-size` of the overlay configuration, bytes. RFC 6940 §11.1 */
export const DEFAULT_MAX_MESSAGE_SIZE = 5000;

/** RELOAD forwarding header `relo_token` ("\xd2ELO"). RFC 6940 §6.3.2 */
export const RELO_TOKEN = 0xd2454c4f;
/** Offset of the forwarding header's `length` field (uint32). RFC 6940 §6.3.2 */
export const FORWARDING_LENGTH_OFFSET = 16;
/** Bytes up to and including the forwarding header's `length` field. */
export const FORWARDING_PREFIX_BYTES = 20;

/** RFC 6298 §2.1: RTO before the first RTT measurement, ms. */
export const INITIAL_RTO_MS = 1000;
/** RFC 6298 §2.4: lower bound of the RTO, ms (configurable; see decision 0302). */
export const MIN_RTO_MS = 1000;
/** RFC 6298 §2.5: upper bound of the RTO, ms. */
export const MAX_RTO_MS = 60_000;
/** RFC 6298 §2: SRTT gain alpha = 1/8. */
export const RTT_ALPHA = 1 / 8;
/** RFC 6298 §2: RTTVAR gain beta = 1/4. */
export const RTT_BETA = 1 / 4;
/** RFC 6298 §2: RTTVAR multiplier K = 4. */
export const RTT_K = 4;
/** RFC 6298 §2: clock granularity G, ms (our timers have millisecond resolution). */
export const CLOCK_GRANULARITY_MS = 1;

/**
 * RFC 6940 §6.6.5: a link whose RTO expired is retained this long (ms) to see whether the
 * failure was transient before it is declared permanently failed and closed.
 */
export const FAILED_LINK_RETENTION_MS = 30_000;

/** Default bytes queued for sending above which `send()` returns false (backpressure). */
export const DEFAULT_HIGH_WATER_MARK = 256 * 1024;

/** Default TLS handshake (and peer verification) timeout, ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
