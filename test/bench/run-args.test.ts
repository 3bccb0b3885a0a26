import { describe, expect, it } from 'vitest';
import { parseRunArgs, PROFILES, replaceLatestTable, UsageError } from '../../bench/run.js';
import { renderReport, valueCheck, type BenchReport, type TargetRun } from '../../bench/report.js';
import { QUERIES } from '../../bench/queries.js';

describe('bench command line', () => {
  it('runs the quick profile against all three systems by default', () => {
    const o = parseRunArgs([]);
    if (o === 'help') throw new Error('unexpected help');
    expect(o.profile.name).toBe('quick');
    expect(o.targets).toEqual(['victoriametrics', 'prometheus', 'strata']);
    expect(o.install).toBe(true);
  });

  it('selects the full profile with --full and lets flags override its sizes', () => {
    const o = parseRunArgs(['--full', '--hosts=7', '--targets=strata,vm']);
    if (o === 'help') throw new Error('unexpected help');
    expect(o.profile.name).toBe('full');
    expect(o.profile.hosts).toBe(7);
    expect(o.profile.scrapeIntervalSec).toBe(PROFILES.full.scrapeIntervalSec);
    expect(o.targets).toEqual(['strata', 'victoriametrics']);
  });

  it('selects the scale profile with --scale: wide hosts, Strata and VictoriaMetrics, rollup caches on', () => {
    const o = parseRunArgs(['--scale']);
    if (o === 'help') throw new Error('unexpected help');
    expect(o.profile.name).toBe('scale');
    expect(o.profile.hostShape).toBe('wide');
    expect(o.profile.rollupCache).toBe(true);
    expect(o.profile.scale?.concurrency).toBe(16);
    expect(o.targets).toEqual(['victoriametrics', 'strata']);
    expect(o.micro).toBe(false);
  });

  it('replaces only the text between the README markers, one heading level down', () => {
    const readme = 'intro\n<!-- latest-table:start -->\nold\n<!-- latest-table:end -->\noutro\n';
    expect(replaceLatestTable(readme, '## Run\n\n| a |\n### Micro\n')).toBe(
      'intro\n<!-- latest-table:start -->\n### Run\n\n| a |\n#### Micro\n<!-- latest-table:end -->\noutro\n',
    );
  });

  it('rejects an unknown target, an out-of-range interval and an unknown flag with a UsageError', () => {
    expect(() => parseRunArgs(['--targets=influx'])).toThrow(UsageError);
    expect(() => parseRunArgs(['--scrape-interval=120'])).toThrow(/scrape-interval/);
    expect(() => parseRunArgs(['--bogus'])).toThrow(UsageError);
  });
});

describe('bench report', () => {
  const report: BenchReport = {
    profile: 'quick',
    startedAt: '2026-01-01T00:00:00Z',
    wallSeconds: 1,
    machine: { cpuModel: 'cpu', cores: 2, memGiB: 4, kernel: 'Linux', node: 'v20', load: '0 0 0' },
    dataset: {
      hosts: 1,
      scrapeIntervalSec: 15,
      durationMin: 60,
      churn: 'none',
      totalSamples: 1000,
      activeSeries: 10,
      seriesCreated: 10,
      requests: 1,
      samplesPerRequest: 1000,
      connections: 1,
      compressedMiB: 0.1,
      generationSec: 0.1,
    },
    queries: QUERIES.slice(0, 1),
    targets: [
      { id: 'strata', label: 'Strata', version: 's', skipped: '', ingest: null, ingestError: 'POST /api/v1/write returns 404', queries: [], queryError: '' },
      {
        id: 'victoriametrics',
        label: 'VictoriaMetrics',
        version: 'v',
        skipped: '',
        ingestError: '',
        queryError: '',
        ingest: {
          samplesSent: 1000,
          samplesAccepted: 1000,
          requests: 1,
          failedRequests: 0,
          firstError: '',
          wallSeconds: 1,
          samplesPerSecond: 1000,
          cpuSeconds: 0.5,
          cpuSecondsPerMillion: 500,
          cpuSecondsPerMillionWithPersist: 600,
          clientCpuSeconds: 0.1,
          peakRssBytes: 2 ** 20,
          sendPeakRssBytes: 2 ** 20,
          persistPeakRssBytes: 2 ** 20,
          steadyRssBytes: 2 ** 20,
          diskBytes: 2000,
          bytesPerSample: 2,
          indexBytes: null,
          persistNote: '',
          persistSeconds: 0,
          complete: true,
        },
        queries: [
          {
            id: 'q01',
            error: '',
            seriesCount: 1,
            points: 1,
            valueSum: 0.5,
            expectedSeries: 1,
            p50Ms: 2.5,
            p90Ms: 3.25,
            sequentialRuns: 5,
            qps: 100,
            concurrentRuns: 10,
          },
        ],
      },
      { id: 'prometheus', label: 'Prometheus', version: '', skipped: 'prometheus not found', ingest: null, ingestError: '', queries: [], queryError: '' },
    ],
    micro: [],
  };
  const text = renderReport(report);

  it('says n/a with the reason in every cell a target could not fill', () => {
    const ingestRow = text.split('\n').find((l) => l.startsWith('| ingest: samples/s'))!;
    expect(ingestRow).toContain('n/a (POST /api/v1/write returns 404)');
    expect(ingestRow).toContain('n/a (prometheus not found)');
    expect(ingestRow).toContain('1,000');
  });

  it('marks a series count that matches the generator with a check', () => {
    expect(text.split('\n').find((l) => l.startsWith('| q01 p50'))).toContain('2.50 (p90 3.25) · 1 ✓');
  });

  it('prints no ratio when either side is missing', () => {
    const row = text.split('\n').find((l) => l.startsWith('| disk: bytes per sample, total'))!;
    expect(
      row
        .split('|')
        .slice(5, 8)
        .map((c) => c.trim()),
    ).toEqual(['–', '–', '–']);
  });
});

describe('answer cross-check against Prometheus', () => {
  const q = QUERIES[0]!;
  const run = (id: 'strata' | 'prometheus', points: number, valueSum: number): TargetRun => ({
    id,
    label: id,
    version: '',
    skipped: '',
    ingest: null,
    ingestError: '',
    queryError: '',
    queries: [
      { id: q.id, error: '', seriesCount: 1, points, valueSum, expectedSeries: null, p50Ms: 1, p90Ms: 1, sequentialRuns: 1, qps: 1, concurrentRuns: 1 },
    ],
  });
  const withRuns = (s: TargetRun, p: TargetRun): BenchReport => ({
    profile: 'quick',
    startedAt: '',
    wallSeconds: 0,
    machine: { cpuModel: '', cores: 1, memGiB: 1, kernel: '', node: '', load: '' },
    dataset: {
      hosts: 1,
      scrapeIntervalSec: 15,
      durationMin: 1,
      churn: '',
      totalSamples: 1,
      activeSeries: 1,
      seriesCreated: 1,
      requests: 1,
      samplesPerRequest: 1,
      connections: 1,
      compressedMiB: 0,
      generationSec: 0,
    },
    queries: [q],
    targets: [s, p],
    micro: [],
  });

  it('accepts value sums equal within one part in a million', () => {
    const s = run('strata', 10, 1000.0000001);
    expect(valueCheck(withRuns(s, run('prometheus', 10, 1000)), q, s)).toEqual({ same: true, detail: '' });
  });

  it('flags a different number of points', () => {
    const s = run('strata', 9, 1000);
    expect(valueCheck(withRuns(s, run('prometheus', 10, 1000)), q, s)).toEqual({ same: false, detail: '9 points, Prometheus 10' });
  });

  it('flags different values and says so in the notes', () => {
    const s = run('strata', 10, 1100);
    const report = withRuns(s, run('prometheus', 10, 1000));
    expect(valueCheck(report, q, s)!.same).toBe(false);
    const text = renderReport(report);
    expect(text).toContain('Strata q01 answer differs from Prometheus: value sum 1100.0000, Prometheus 1000.0000 (9.1% apart)');
  });
});
