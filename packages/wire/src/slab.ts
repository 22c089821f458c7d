/**
 * Memory for encoded messages (internal to @reload/wire, not re-exported).
 *
 * Allocating (and zero-filling) a fresh ArrayBuffer per message dominated the encode cost
 * (bench/wire), so messages up to 8 KiB are carved, 8-byte aligned, from 48 KiB slabs that are
 * not zero-filled (the encoder writes every byte and checks the count); larger ones get their
 * own buffer. The slab must stay small enough for malloc to hand back warm, recycled memory:
 * 256 KiB slabs were fresh pages (page faults, transparent huge pages) and cost ~1.3× overall
 * (decision 0160). Since the decision 0173 fast paths, 48 KiB beats 32 KiB by ≈ 5 % (4 A/B
 * runs in one process, 2026-11-26); 16, 24, 64 and 120 KiB were no better.
 */
import { Writer } from './codec.js';

const SLAB_SIZE = 48 * 1024;
const SLAB_MAX_MESSAGE = 8192;
let slab = new Uint8Array(0);
let slabView = new DataView(slab.buffer);
let slabUsed = SLAB_SIZE;
let slabBuffer: ArrayBufferLike = slab.buffer;
let slabOffset = 0;

// One Writer over the current slab, reused for every message carved from it (its `pos` and
// `end` are set per message) instead of one Writer object per message. `slabWriterFree` is
// false while an encode uses it, so a nested encodeMessage (a body codec that encodes a whole
// message) gets a Writer of its own.
let slabWriter: Writer | undefined;
let slabWriterFree = true;

/**
 * A Writer over `n` fresh bytes (positioned at their start, `end` after them). Give it back
 * with {@link releaseMessageWriter} when the encode is over (also when it threw), and take the
 * result with {@link messageBytes}.
 */
export function messageWriter(n: number): Writer {
  if (n > SLAB_MAX_MESSAGE) return new Writer(new Uint8Array(n));
  if (slabUsed + n > SLAB_SIZE) {
    const b = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slab = new Uint8Array(b.buffer, b.byteOffset, SLAB_SIZE);
    slabView = new DataView(b.buffer, b.byteOffset, SLAB_SIZE);
    slabBuffer = b.buffer;
    slabOffset = b.byteOffset;
    slabUsed = 0;
    slabWriter = undefined;
  }
  const start = slabUsed;
  slabUsed += (n + 7) & ~7;
  if (!slabWriterFree) return new Writer(slab, start, start + n, slabView);
  if (slabWriter === undefined) {
    slabWriter = new Writer(slab, start, start + n, slabView);
  } else {
    slabWriter.pos = start;
    slabWriter.end = start + n;
  }
  slabWriterFree = false;
  return slabWriter;
}

/** Ends the use of a Writer from {@link messageWriter} (a no-op for one of its own). */
export function releaseMessageWriter(w: Writer): void {
  if (w === slabWriter) slabWriterFree = true;
}

/**
 * The `n` bytes at `start` of a Writer from {@link messageWriter}, as a Uint8Array of their
 * own (a view of the slab: `new Uint8Array(buffer, …)` rather than `subarray`, which is the
 * same view without the species lookup).
 */
export function messageBytes(w: Writer, start: number, n: number): Uint8Array {
  return w.buf === slab
    ? new Uint8Array(slabBuffer, slabOffset + start, n)
    : w.buf.subarray(start, start + n);
}
