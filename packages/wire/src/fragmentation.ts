/**
 * RFC 6940 §6.7 fragmentation and reassembly.
 *
 * Each fragment carries a full copy of the forwarding header (via list, destination list,
 * options) followed by a chunk of the bytes that follow the forwarding header in the whole
 * message (MessageContents ‖ SecurityBlock). The `fragment` field holds the high bit, the
 * last-fragment bit and the offset, "the number of bytes between the end of the forwarding
 * header and the start of the data" — i.e. the chunk's position in that post-header data, so
 * the first fragment has offset 0. Every fragment's `length` is its own size. Fragments but
 * the last carry at least 256 data bytes. Reassembly is keyed by transaction id and times out
 * after 15 s (the maximum request lifetime).
 */
import { Writer, unencodable } from './codec.js';
import {
  FRAGMENT_MIN_BODY,
  FRAGMENT_OFFSET_MASK,
  FRAGMENT_REASSEMBLY_TIMEOUT_MS,
  FRAGMENT_UNFRAGMENTED,
} from './constants.js';
import {
  decodeForwardingHeader,
  encodeForwardingHeader,
  type ForwardingHeader,
  forwardingHeaderLength,
  fragmentInfo,
  makeFragmentField,
  type WireOptions,
} from './forwarding-header.js';

/**
 * Splits an encoded message (or an existing fragment) into fragments of at most
 * `maxFragmentSize` bytes each (header included), in equal-sized chunks (§6.7 "SHOULD be
 * split into equal-sized fragments"), each but the last with ≥ 256 data bytes. Returns
 * `[bytes]` unchanged when it already fits, or when the header plus 256 bytes would not fit
 * (§6.7: "RELOAD fragmentation is not performed" — IP fragmentation takes over).
 * @throws ReloadError(Error_Invalid_Message) when `bytes` is not a valid message header.
 */
export function fragmentMessage(
  bytes: Uint8Array,
  maxFragmentSize: number,
  opts?: WireOptions,
): Uint8Array[] {
  if (bytes.length <= maxFragmentSize) return [bytes];
  const { header, headerLength } = decodeForwardingHeader(bytes, opts);
  const room = maxFragmentSize - headerLength;
  if (room < FRAGMENT_MIN_BODY) return [bytes];
  const data = bytes.subarray(headerLength);
  const base = fragmentInfo(header.fragment);
  const count = Math.ceil(data.length / room);
  const chunk = Math.max(FRAGMENT_MIN_BODY, Math.ceil(data.length / count));
  if (base.offset + data.length > FRAGMENT_OFFSET_MASK + 1) {
    throw unencodable('ForwardingHeader.fragment', 'message too large for a 24-bit offset');
  }
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < data.length; pos += chunk) {
    const part = data.subarray(pos, Math.min(pos + chunk, data.length));
    const isLast = pos + part.length === data.length;
    const fragHeader: ForwardingHeader = {
      ...header,
      fragment: makeFragmentField(base.offset + pos, isLast && base.last),
    };
    const frag = new Uint8Array(headerLength + part.length);
    const w = new Writer(frag);
    encodeForwardingHeader(fragHeader, w, opts, frag.length);
    frag.set(part, headerLength);
    out.push(frag);
  }
  return out;
}

/** Options of {@link createReassembler}. */
export interface ReassemblerOptions extends WireOptions {
  /** Current time in milliseconds (injected clock, e.g. `Date.now` or a fake). */
  now: () => number;
  /** Drop incomplete messages this many ms after their first fragment; default 15 000. */
  timeoutMs?: number;
  /** Largest reassembled message accepted, bytes (the overlay's max-message-size); default 2^24. */
  maxMessageSize?: number;
  /** Most messages held at once; when full, new messages are dropped (§6.7 "MUST drop"). */
  maxPending?: number;
}

/** What {@link Reassembler.add} did with a fragment. */
export type ReassemblyResult =
  | { status: 'complete'; message: Uint8Array }
  | { status: 'pending' }
  | { status: 'dropped'; reason: string };

/** A §6.7 reassembly buffer. */
export interface Reassembler {
  /**
   * Adds a received message or fragment. A whole message (fragment = 0xC0000000) comes back
   * at once. The reassembled message has the first fragment's forwarding header with
   * `fragment` = 0xC0000000 and the right `length`.
   * @throws ReloadError(Error_Invalid_Message) when the forwarding header does not decode.
   */
  add(bytes: Uint8Array): ReassemblyResult;
  /** Drops messages older than the timeout; returns how many were dropped. */
  expire(): number;
  /** Number of incomplete messages held. */
  readonly pending: number;
}

interface Pending {
  firstAt: number;
  header?: ForwardingHeader;
  /** Chunks by offset (copied out of the receive buffers). */
  chunks: Map<number, Uint8Array>;
  bytes: number;
  /** Total data length, known once the last fragment arrived. */
  total?: number;
}

/**
 * Creates a reassembly buffer keyed by transaction id (§6.7), with an injected clock.
 * Overlapping fragments (a message re-fragmented differently) are accepted.
 */
export function createReassembler(options: ReassemblerOptions): Reassembler {
  const timeout = options.timeoutMs ?? FRAGMENT_REASSEMBLY_TIMEOUT_MS;
  const maxSize = options.maxMessageSize ?? 0x1000000;
  const maxPending = options.maxPending ?? 1024;
  const table = new Map<bigint, Pending>();
  /** Transactions reassembled recently: late duplicate fragments are dropped, not re-held. */
  const completed = new Map<bigint, number>();

  function expire(): number {
    const now = options.now();
    let n = 0;
    for (const [id, at] of completed) if (now - at >= timeout) completed.delete(id);
    for (const [id, p] of table) {
      if (now - p.firstAt >= timeout) {
        table.delete(id);
        n++;
      }
    }
    return n;
  }

  function tryComplete(p: Pending): Uint8Array | undefined {
    if (p.total === undefined || p.header === undefined) return undefined;
    const offsets = [...p.chunks.keys()].sort((a, b) => a - b);
    let covered = 0;
    for (const off of offsets) {
      if (off > covered) return undefined;
      covered = Math.max(covered, off + p.chunks.get(off)!.length);
    }
    if (covered < p.total) return undefined;
    const header: ForwardingHeader = { ...p.header, fragment: FRAGMENT_UNFRAGMENTED };
    const hdrLen = forwardingHeaderLength(header);
    const out = new Uint8Array(hdrLen + p.total);
    encodeForwardingHeader(header, new Writer(out), options, out.length);
    for (const off of offsets) {
      const c = p.chunks.get(off)!;
      out.set(c.subarray(0, Math.min(c.length, p.total - off)), hdrLen + off);
    }
    return out;
  }

  return {
    add(bytes) {
      const { header, headerLength } = decodeForwardingHeader(bytes, options);
      const info = fragmentInfo(header.fragment);
      if (info.whole) return { status: 'complete', message: bytes };
      expire();
      if (completed.has(header.transactionId)) {
        return { status: 'dropped', reason: 'fragment of a message already reassembled' };
      }
      let p = table.get(header.transactionId);
      if (!p) {
        if (table.size >= maxPending) return { status: 'dropped', reason: 'too many pending' };
        p = { firstAt: options.now(), chunks: new Map(), bytes: 0 };
        table.set(header.transactionId, p);
      }
      const data = bytes.subarray(headerLength);
      const end = info.offset + data.length;
      if (headerLength + end > maxSize || (p.total !== undefined && end > p.total)) {
        table.delete(header.transactionId);
        return { status: 'dropped', reason: 'message too large or inconsistent fragments' };
      }
      if (info.last) {
        if (p.total !== undefined && p.total !== end) {
          table.delete(header.transactionId);
          return { status: 'dropped', reason: 'two different last fragments' };
        }
        p.total = end;
      }
      if (info.offset === 0) p.header = header;
      const prev = p.chunks.get(info.offset);
      if (!prev || prev.length < data.length) {
        p.bytes += data.length - (prev?.length ?? 0);
        p.chunks.set(info.offset, data.slice());
      }
      if (p.bytes > 2 * maxSize) {
        table.delete(header.transactionId);
        return { status: 'dropped', reason: 'too many fragment bytes' };
      }
      const message = tryComplete(p);
      if (!message) return { status: 'pending' };
      table.delete(header.transactionId);
      completed.set(header.transactionId, options.now());
      return { status: 'complete', message };
    },
    expire,
    get pending() {
      return table.size;
    },
  };
}
