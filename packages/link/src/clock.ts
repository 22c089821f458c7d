/**
 * Injectable time source and timers (house style §7), so that RTO and retention timers can be
 * driven by a fake clock in tests.
 */

/** Opaque handle returned by {@link LinkClock.setTimeout}. */
export type TimerHandle = object | number;

/** A clock with one-shot timers. Times are milliseconds. */
export interface LinkClock {
  /** Current time in ms (monotonic is preferred; only differences are used). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; the timer must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from {@link LinkClock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and unref'd Node timers. */
export const systemClock: LinkClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A fake clock for tests: time only moves when {@link ManualClock.advance} is called, which
 * runs due timers in time order.
 */
export class ManualClock implements LinkClock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, ManualTimer>();

  /** @param start initial time in ms */
  constructor(start = 0) {
    this.t = start;
  }

  /** Current fake time, ms. */
  now(): number {
    return this.t;
  }

  /** Schedules `fn` at now + `ms` (runs during a later {@link ManualClock.advance}). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }

  /** Cancels a pending timer. */
  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      let nextId = 0;
      for (const [id, timer] of this.timers) {
        if (
          timer.at <= end &&
          (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))
        ) {
          next = timer;
          nextId = id;
        }
      }
      if (!next) break;
      this.timers.delete(nextId);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
