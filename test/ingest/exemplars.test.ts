import { describe, expect, it } from 'vitest';
import {
  Relabeler,
  canonicalKey,
  decodeRemoteWriteV1,
  decodeRemoteWriteV2,
  labelsFromKey,
  parseRelabelConfigs,
  snappyCompress,
} from '../../src/ingest/index.js';
import { encodeV1, encodeV2 } from './protos.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

describe('exemplars in remote write 1.0', () => {
  it('are decoded with their series key, labels sorted and empty values dropped', () => {
    const b = decodeRemoteWriteV1(
      snappyCompress(
        encodeV1({
          timeseries: [
            {
              labels: L({ __name__: 'm', job: 'a' }),
              samples: [{ value: 1, timestamp: 1000 }],
              exemplars: [{ labels: L({ trace_id: 'x', a: '1', empty: '' }), value: 0.5, timestamp: 999 }],
            },
          ],
        }),
      ),
    );
    expect(b.exemplars).toBe(1);
    expect(b.exemplarRows).toEqual([
      { series: canonicalKey(L({ __name__: 'm', job: 'a' })), labels: L({ a: '1', trace_id: 'x' }), value: 0.5, timestamp: 999 },
    ]);
  });

  it('are kept for a series without samples, and the series gets no sample entry', () => {
    const b = decodeRemoteWriteV1(
      snappyCompress(encodeV1({ timeseries: [{ labels: L({ job: 'a', __name__: 'm' }), exemplars: [{ labels: L({ t: '1' }), value: 2, timestamp: 5 }] }] })),
    );
    expect(b.seriesCount).toBe(0);
    expect(labelsFromKey(b.exemplarRows![0]!.series)).toEqual(L({ __name__: 'm', job: 'a' }));
  });

  it('go with an invalid series, and alone when their own label set is over 128 characters', () => {
    const b = decodeRemoteWriteV1(
      snappyCompress(
        encodeV1({
          timeseries: [
            {
              labels: L({ __name__: 'bad', long: 'v'.repeat(5000) }),
              samples: [{ value: 1, timestamp: 1 }],
              exemplars: [{ labels: L({ t: '1' }), value: 1, timestamp: 1 }],
            },
            {
              labels: L({ __name__: 'ok' }),
              samples: [{ value: 1, timestamp: 1 }],
              exemplars: [
                { labels: L({ t: 'x'.repeat(200) }), value: 1, timestamp: 1 },
                { labels: L({ t: 'short' }), value: 3, timestamp: 2 },
              ],
            },
          ],
        }),
      ),
    );
    expect(b.dropped.series).toBe(1);
    expect(b.sampleCount).toBe(1);
    expect(b.exemplarRows!.map((r) => r.value)).toEqual([3]);
  });
});

describe('exemplars in remote write 2.0', () => {
  it('resolve their labels through the symbols table', () => {
    const b = decodeRemoteWriteV2(
      snappyCompress(
        encodeV2({
          symbols: ['', '__name__', 'm', 'trace_id', 'abc'],
          timeseries: [{ labelsRefs: [1, 2], samples: [{ value: 1, timestamp: 10 }], exemplars: [{ labelsRefs: [3, 4], value: 0.25, timestamp: 9 }] }],
        }),
      ),
    );
    expect(b.exemplarRows).toEqual([{ series: canonicalKey(L({ __name__: 'm' })), labels: L({ trace_id: 'abc' }), value: 0.25, timestamp: 9 }]);
  });

  it('a broken exemplar (bad symbol reference, odd refs) costs only itself: the samples are stored', () => {
    const b = decodeRemoteWriteV2(
      snappyCompress(
        encodeV2({
          symbols: ['', '__name__', 'm', 'trace_id', 'abc'],
          timeseries: [
            {
              labelsRefs: [1, 2],
              samples: [{ value: 1, timestamp: 10 }],
              exemplars: [
                { labelsRefs: [3, 99], value: 1, timestamp: 9 },
                { labelsRefs: [3], value: 2, timestamp: 9 },
                { labelsRefs: [3, 4], value: 3, timestamp: 9 },
              ],
            },
          ],
        }),
      ),
    );
    expect(b.exemplars).toBe(3);
    expect(b.sampleCount).toBe(1);
    expect(b.exemplarRows!.map((r) => r.value)).toEqual([3]);
  });
});

// Across decode-worker threads: test/e2e/exemplars.test.ts (the server decodes on its worker pool).
describe('exemplars through relabeling', () => {
  const req = () =>
    snappyCompress(
      encodeV1({
        timeseries: [
          { labels: L({ __name__: 'm', tmp: 'x' }), samples: [{ value: 1, timestamp: 1 }], exemplars: [{ labels: L({ t: '1' }), value: 1, timestamp: 1 }] },
          { labels: L({ __name__: 'go_x' }), samples: [{ value: 1, timestamp: 1 }], exemplars: [{ labels: L({ t: '2' }), value: 2, timestamp: 1 }] },
        ],
      }),
    );

  it('follow their series through relabeling: renamed with it, dropped with it', () => {
    const r = new Relabeler(parseRelabelConfigs("- source_labels: [__name__]\n  regex: 'go_.*'\n  action: drop\n- regex: tmp\n  action: labeldrop"));
    const out = r.relabelBatch(decodeRemoteWriteV1(req()));
    expect(out.exemplarRows!.map((e) => [labelsFromKey(e.series), e.value])).toEqual([[L({ __name__: 'm' }), 1]]);
  });
});
