/**
 * RFC 6298 §2 retransmission-timeout estimator, used by RFC 6940 §6.6.5 (TLS/TCP with FH) as a
 * link-failure timeout rather than for retransmission. Rounded up to the millisecond, as
 * RFC 6940 §6.6.3.1 asks, and bounded below by a configurable minimum (decision 0302).
 */
import {
  CLOCK_GRANULARITY_MS,
  INITIAL_RTO_MS,
  MAX_RTO_MS,
  MIN_RTO_MS,
  RTT_ALPHA,
  RTT_BETA,
  RTT_K,
} from './constants.js';

/** Bounds of an {@link RtoEstimator}, ms. */
export interface RtoOptions {
  /** RTO before any measurement (RFC 6298 §2.1: 1000 ms). */
  initialRtoMs?: number;
  /** Lower bound (RFC 6298 §2.4: 1000 ms). */
  minRtoMs?: number;
  /** Upper bound (RFC 6298 §2.5 allows ≥ 60 000 ms). */
  maxRtoMs?: number;
}

/** Snapshot of a link's RTT state, ms; `srttMs`/`rttvarMs` are undefined before a sample. */
export interface RttStats {
  readonly srttMs: number | undefined;
  readonly rttvarMs: number | undefined;
  readonly rtoMs: number;
  /** Last RTT sample, ms. */
  readonly lastRttMs: number | undefined;
  /** Number of RTT samples taken. */
  readonly samples: number;
}

/** SRTT / RTTVAR / RTO per RFC 6298 §2. */
export class RtoEstimator {
  private srtt: number | undefined;
  private rttvar: number | undefined;
  private last: number | undefined;
  private count = 0;
  private rtoValue: number;
  private readonly min: number;
  private readonly max: number;

  constructor(options: RtoOptions = {}) {
    this.min = options.minRtoMs ?? MIN_RTO_MS;
    this.max = options.maxRtoMs ?? MAX_RTO_MS;
    this.rtoValue = this.clamp(options.initialRtoMs ?? INITIAL_RTO_MS);
  }

  /** Current RTO, ms. */
  get rto(): number {
    return this.rtoValue;
  }

  /** Feeds one RTT measurement `r` (ms, ≥ 0): formula 2.2 for the first, 2.3 afterwards. */
  sample(r: number): void {
    if (!(r >= 0)) return;
    this.last = r;
    this.count++;
    if (this.srtt === undefined || this.rttvar === undefined) {
      // RFC 6298 (2.2)
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // RFC 6298 (2.3): RTTVAR first, using the old SRTT.
      this.rttvar = (1 - RTT_BETA) * this.rttvar + RTT_BETA * Math.abs(this.srtt - r);
      this.srtt = (1 - RTT_ALPHA) * this.srtt + RTT_ALPHA * r;
    }
    this.rtoValue = this.clamp(this.srtt + Math.max(CLOCK_GRANULARITY_MS, RTT_K * this.rttvar));
  }

  /** Current statistics. */
  stats(): RttStats {
    return {
      srttMs: this.srtt,
      rttvarMs: this.rttvar,
      rtoMs: this.rtoValue,
      lastRttMs: this.last,
      samples: this.count,
    };
  }

  private clamp(v: number): number {
    // RFC 6940 §6.6.3.1: rounded up to the nearest millisecond, not second.
    return Math.min(this.max, Math.max(this.min, Math.ceil(v)));
  }
}
