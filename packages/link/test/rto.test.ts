import { describe, expect, it } from 'vitest';
import { RtoEstimator } from '../src/index.js';

describe('RtoEstimator (RFC 6298 §2)', () => {
  it('starts at 1 s and follows (2.2) then (2.3)', () => {
    const e = new RtoEstimator({ minRtoMs: 1 });
    expect(e.rto).toBe(1000);
    e.sample(100); // SRTT 100, RTTVAR 50, RTO = 100 + 4·50
    expect(e.stats()).toMatchObject({ srttMs: 100, rttvarMs: 50, rtoMs: 300, samples: 1 });
    e.sample(200); // RTTVAR = 0.75·50 + 0.25·|100−200| = 62.5; SRTT = 0.875·100 + 0.125·200 = 112.5
    expect(e.stats().rttvarMs).toBeCloseTo(62.5);
    expect(e.stats().srttMs).toBeCloseTo(112.5);
    expect(e.rto).toBe(Math.ceil(112.5 + 250));
  });

  it('rounds up to the millisecond and applies min / max bounds', () => {
    const e = new RtoEstimator({ minRtoMs: 1 });
    e.sample(0.3); // 0.3 + max(G = 1, 0.6) = 1.3 → 2
    expect(e.rto).toBe(2);
    const floor = new RtoEstimator();
    floor.sample(1);
    expect(floor.rto).toBe(1000); // RFC 6298 (2.4)
    const cap = new RtoEstimator({ maxRtoMs: 60_000 });
    cap.sample(100_000);
    expect(cap.rto).toBe(60_000);
  });

  it('ignores nonsense samples', () => {
    const e = new RtoEstimator();
    e.sample(-5);
    e.sample(Number.NaN);
    expect(e.stats().samples).toBe(0);
  });
});
