/**
 * CHORD-RELOAD constants (RFC 6940 §10), each with the section that defines it.
 */

// ChordUpdateType (§10.7) and ChordLeaveType (§10.9) live in @reload/wire with the codecs.

/** RFC 6940 §14.3: the overlay algorithm name of this plug-in. */
export const CHORD_RELOAD_ALGORITHM = 'CHORD-RELOAD';

/** RFC 6940 §10.1 / §10.7: at least three successors and three predecessors are kept. */
export const MIN_NEIGHBORS_EACH_SIDE = 3;

/** RFC 6940 §10.7.4.3: the finger table should grow to at least 16 entries … */
export const MIN_FINGER_TABLE_SIZE = 16;
/** … and an implementation should be able to grow it to 128 entries (§10.7.4.3). */
export const MAX_FINGER_TABLE_SIZE = 128;

/** RFC 6940 §10.7.4.1: default chord-update-interval, "about every ten minutes" (ms). */
export const DEFAULT_UPDATE_INTERVAL_MS = 600_000;
/** RFC 6940 §10.7.4.2: default chord-ping-interval, 3600 s (ms). */
export const DEFAULT_PING_INTERVAL_MS = 3_600_000;
/** RFC 6940 §10.7.1: successor replacement hold-down time, 30 s (ms). */
export const SUCCESSOR_HOLD_DOWN_MS = 30_000;

/** RFC 6940 §10.4: the replica set is the next two successors. */
export const REPLICA_COUNT = 2;

/** RFC 6940 §10.2: Resource-IDs are SHA-1 truncated to the 128 most significant bits. */
export const CHORD_RESOURCE_ID_BITS = 128;

/**
 * Local guard (not in the RFC): an Attach, Ping or Join the machine asked for and the host never
 * reported is treated as failed after this long (ms). Five end-to-end transmissions at the
 * default overlay-reliability-timer (§6.2.1: 3000 ms) take 15 s; twice that is generous.
 */
export const DEFAULT_OPERATION_TIMEOUT_MS = 30_000;

/** Local: delay before retrying a failed join (ms). */
export const DEFAULT_JOIN_RETRY_MS = 5_000;

/** Local: how long a failed or departed peer is ignored when third parties still list it (ms). */
export const DEFAULT_TOMBSTONE_MS = 60_000;

/** Local: at most this many Pings are spent on one finger search (see decision 0354). */
export const MAX_FINGER_SEARCH_PINGS = 8;
