import { describe, it, expect } from 'vitest';
import { newWindow, type Window } from '../../src/promql/functions/window.js';
import { delta, idelta, increase, irate, rate } from '../../src/promql/functions/rate.js';
import * as ot from '../../src/promql/functions/over-time.js';
import { quantile } from '../../src/promql/functions/quantile.js';
import { bucketFraction, bucketQuantile } from '../../src/promql/functions/histogram-quantile.js';
import { expandTemplate, naturalLess } from '../../src/promql/functions/labels.js';
import { roundTo, goPow } from '../../src/promql/functions/math.js';
import { DATE_FUNCTIONS } from '../../src/promql/functions/time.js';

/** A window over samples [t seconds, v] ending at `end` seconds with the given range. */
function win(samples: [number, number][], end: number, rangeS: number, extra: Partial<Window> = {}): Window {
  const w = newWindow();
  w.ts = Float64Array.from(samples.map(([t]) => t * 1000));
  w.vs = Float64Array.from(samples.map(([, v]) => v));
  w.lo = 0;
  w.hi = samples.length;
  w.rangeEnd = end * 1000;
  w.rangeStart = (end - rangeS) * 1000;
  w.rangeMs = rangeS * 1000;
  w.evalT = end * 1000;
  return Object.assign(w, extra);
}

describe('rate, increase, delta', () => {
  it('extrapolates to both window edges when samples sit within 110% of the interval from them', () => {
    // samples every 60s at 10,70,130,190,250 within (0,300]: 10s to start, 50s to end (both
    // below 66s = 110% of the interval); the counter's zero point (60s back) is farther than 10s
    const w = win(
      [
        [10, 6],
        [70, 12],
        [130, 18],
        [190, 24],
        [250, 30],
      ],
      300,
      300,
    );
    // increase 24 over 240s, extended by 10+50s -> 24 * 300/240 = 30; rate = 30/300
    expect(increase(w)).toBeCloseTo(30, 10);
    expect(rate(w)).toBeCloseTo(0.1, 12);
  });

  it('extrapolates only half an interval towards an edge farther than 110% of the interval', () => {
    // samples at 100,110,120 in (0,120]: 100s to the start edge > 11s -> extend 5s only
    const w = win(
      [
        [100, 10],
        [110, 20],
        [120, 30],
      ],
      120,
      120,
    );
    expect(delta(w)).toBeCloseTo((20 * 25) / 20, 10);
  });

  it('does not extrapolate a counter below zero', () => {
    // first value 1 at 50s with slope 1/10s: zero point is 10s before, closer than the 50s edge
    const w = win(
      [
        [50, 1],
        [60, 2],
        [70, 3],
      ],
      70,
      70,
    );
    // result 2 over 20s; start extension limited to 10s (zero point); end distance 0
    expect(increase(w)).toBeCloseTo((2 * (20 + 5 + 0)) / 20, 10);
  });

  it('adds the value before a counter reset', () => {
    const w = win(
      [
        [0, 5],
        [10, 8],
        [20, 2],
        [30, 4],
      ],
      30,
      30,
    );
    // raw delta -1, plus 8 at the reset = 7 over 30s; start edge 0s away
    expect(increase(w)).toBeCloseTo(7, 10);
    expect(delta(w)).toBeCloseTo(-1, 10);
  });

  it('needs two samples', () => {
    expect(rate(win([[10, 1]], 60, 60))).toBeUndefined();
  });

  it('irate uses the last two samples and treats a drop as a reset', () => {
    expect(
      irate(
        win(
          [
            [0, 1],
            [10, 5],
            [20, 9],
          ],
          20,
          60,
        ),
      ),
    ).toBeCloseTo(0.4, 12);
    expect(
      irate(
        win(
          [
            [0, 1],
            [10, 9],
            [20, 3],
          ],
          20,
          60,
        ),
      ),
    ).toBeCloseTo(0.3, 12);
    expect(
      idelta(
        win(
          [
            [0, 1],
            [10, 9],
            [20, 3],
          ],
          20,
          60,
        ),
      ),
    ).toBe(-6);
  });

  it('anchored increase takes the sample at or before the range start as baseline', () => {
    const w = win(
      [
        [0, 1],
        [30, 4],
        [60, 10],
      ],
      90,
      60,
      { mod: 1 },
    );
    // window (30, 90]: baseline is the sample at 30 (value 4), last value 10
    expect(increase(w)).toBe(6);
  });
});

describe('*_over_time', () => {
  const s = win(
    [
      [1, 3],
      [2, 1],
      [3, 4],
      [4, 1],
      [5, 5],
    ],
    5,
    10,
  );

  it('aggregates the window', () => {
    expect(ot.sumOverTime(s)).toBe(14);
    expect(ot.avgOverTime(s)).toBeCloseTo(2.8, 12);
    expect(ot.countOverTime(s)).toBe(5);
    expect(ot.minOverTime(s)).toBe(1);
    expect(ot.maxOverTime(s)).toBe(5);
    expect(ot.firstOverTime(s)).toBe(3);
    expect(ot.lastOverTime(s)).toBe(5);
    expect(ot.presentOverTime(s)).toBe(1);
  });

  it('computes population variance and deviation', () => {
    // mean 2.8, squared deviations sum = 0.04+3.24+1.44+3.24+4.84 = 12.8 -> var 2.56
    expect(ot.stdvarOverTime(s)).toBeCloseTo(2.56, 12);
    expect(ot.stddevOverTime(s)).toBeCloseTo(1.6, 12);
  });

  it('interpolates quantiles between closest ranks', () => {
    const w = win(
      [
        [1, 3],
        [2, 1],
        [3, 4],
        [4, 1],
        [5, 5],
      ],
      5,
      10,
      { p0: 0.5 },
    );
    expect(ot.quantileOverTime(w)).toBe(3);
    w.p0 = 0.9; // rank 3.6 of [1,1,3,4,5] -> 4 + 0.6
    expect(ot.quantileOverTime(w)).toBeCloseTo(4.6, 12);
  });

  it('median absolute deviation', () => {
    // median 3; deviations [0,2,1,2,2] -> median 2
    expect(ot.madOverTime(s)).toBe(2);
  });

  it('max_over_time lets a later number replace a leading NaN', () => {
    expect(
      ot.maxOverTime(
        win(
          [
            [1, NaN],
            [2, 1],
          ],
          2,
          10,
        ),
      ),
    ).toBe(1);
  });

  it('counts changes and resets', () => {
    expect(ot.changes(s)).toBe(4);
    expect(ot.resets(s)).toBe(2);
    expect(
      ot.changes(
        win(
          [
            [1, NaN],
            [2, NaN],
          ],
          2,
          10,
        ),
      ),
    ).toBe(0);
  });

  it('derives a least-squares slope per second and predicts from the evaluation time', () => {
    const w = win(
      [
        [0, 1],
        [10, 3],
        [20, 5],
      ],
      20,
      60,
      { p0: 30 },
    );
    expect(ot.deriv(w)).toBeCloseTo(0.2, 12);
    expect(ot.predictLinear(w)).toBeCloseTo(11, 10);
  });

  it('ts_of_max_over_time picks the last of equal maxima', () => {
    expect(
      ot.tsOfMaxOverTime(
        win(
          [
            [1, 5],
            [2, 5],
            [3, 1],
          ],
          3,
          10,
        ),
      ),
    ).toBe(2);
  });
});

describe('quantile', () => {
  it('returns -Inf/+Inf outside [0,1] and NaN for no values', () => {
    expect(quantile(-1, Float64Array.of(1))).toBe(-Infinity);
    expect(quantile(2, Float64Array.of(1))).toBe(Infinity);
    expect(quantile(0.5, new Float64Array(0))).toBeNaN();
  });
});

describe('classic histogram buckets', () => {
  const buckets = () => [
    { upperBound: 0.1, count: 10 },
    { upperBound: 0.5, count: 30 },
    { upperBound: 1, count: 40 },
    { upperBound: Infinity, count: 40 },
  ];

  it('interpolates the quantile inside the bucket holding the rank', () => {
    // rank 20 falls in (0.1, 0.5] holding 20 observations, 10 below -> 0.1 + 0.4 * 10/20
    expect(bucketQuantile(0.5, buckets()).value).toBeCloseTo(0.3, 12);
  });

  it('answers the highest finite bound when the rank lands in the +Inf bucket', () => {
    const b = [
      { upperBound: 1, count: 1 },
      { upperBound: Infinity, count: 10 },
    ];
    expect(bucketQuantile(0.99, b).value).toBe(1);
  });

  it('is NaN without a +Inf bucket', () => {
    expect(bucketQuantile(0.5, [{ upperBound: 1, count: 1 }]).value).toBeNaN();
  });

  it('forces non-monotonic counts monotonic and says so', () => {
    const r = bucketQuantile(0.5, [
      { upperBound: 1, count: 10 },
      { upperBound: 2, count: 8 },
      { upperBound: Infinity, count: 20 },
    ]);
    expect(r.forcedMonotonic).toBe(true);
  });

  it('estimates the fraction of observations between two bounds', () => {
    expect(bucketFraction(0, 0.5, buckets())).toBeCloseTo(30 / 40, 12);
    expect(bucketFraction(0.1, 0.3, buckets())).toBeCloseTo(10 / 40, 12);
  });
});

describe('helpers with Go semantics', () => {
  it('expands $1, ${1} and named groups like Regexp.Expand', () => {
    const m = /^(?<host>[a-z]+):(\d+)$/.exec('web:80')!;
    expect(expandTemplate('$1-$2', m)).toBe('web-80');
    expect(expandTemplate('${2}x', m)).toBe('80x');
    expect(expandTemplate('$2x', m)).toBe(''); // group "2x" does not exist
    expect(expandTemplate('$host $$', m)).toBe('web $');
  });

  it('orders digit runs numerically for sort_by_label', () => {
    expect(naturalLess('a2', 'a10')).toBe(true);
    expect(naturalLess('a10', 'a2')).toBe(false);
  });

  it('rounds half up to the nearest multiple', () => {
    expect(roundTo(2.5, 1)).toBe(3);
    expect(roundTo(-2.5, 1)).toBe(-2);
    expect(roundTo(7, 5)).toBe(5);
  });

  it('follows Go math.Pow for 1^Inf', () => {
    expect(goPow(1, Infinity)).toBe(1);
    expect(goPow(2, 10)).toBe(1024);
  });

  it('computes calendar fields in UTC', () => {
    // 2024-02-29T13:45:00Z
    const t = Date.UTC(2024, 1, 29, 13, 45) / 1000;
    expect(DATE_FUNCTIONS.days_in_month!(t)).toBe(29);
    expect(DATE_FUNCTIONS.day_of_year!(t)).toBe(60);
    expect(DATE_FUNCTIONS.day_of_week!(t)).toBe(4);
    expect(DATE_FUNCTIONS.hour!(t)).toBe(13);
  });
});
