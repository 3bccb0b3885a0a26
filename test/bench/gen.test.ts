import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateChurn,
  generateDataset,
  GenConfigError,
  HostModel,
  ProtoWriter,
  WriteRequestBuilder,
  encodeLabelBlock,
  snappyUncompress,
  type Dataset,
  type GenConfig,
} from '../../bench/gen/index.js';
import { decodeBody, decodeRaw, type DecodedSeries } from './helpers.js';

const END = 1_700_000_100_000 - (1_700_000_100_000 % 15_000);
const SMALL: GenConfig = {
  seed: 7,
  hosts: 2,
  scrapeIntervalMs: 15_000,
  durationMs: 30 * 60_000,
  endMs: END,
  churnFraction: 0.5,
  churnIntervalMs: 10 * 60_000,
  samplesPerRequest: 500,
  shards: 3,
};

function digest(d: Dataset): string {
  const h = createHash('sha256');
  for (const shard of d.shards) for (const b of shard) h.update(b.data);
  return h.digest('hex');
}

const keys = new WeakMap<DecodedSeries, string>();
const key = (s: DecodedSeries): string => {
  let k = keys.get(s);
  if (k === undefined) keys.set(s, (k = s.labels.map((l) => `${l.name}=${l.value}`).join(',')));
  return k;
};
const label = (s: DecodedSeries, name: string): string => s.labels.find((l) => l.name === name)?.value ?? '';

let cached: { d: Dataset; perShard: DecodedSeries[][] } | null = null;
function small(): { d: Dataset; perShard: DecodedSeries[][] } {
  if (!cached) {
    const d = generateDataset(SMALL);
    cached = { d, perShard: d.shards.map((bodies) => bodies.flatMap((b) => decodeBody(b.data))) };
  }
  return cached;
}

describe('dataset generator', () => {
  it('gives the same bytes for the same configuration', () => {
    expect(digest(generateDataset(SMALL))).toBe(digest(generateDataset(SMALL)));
  });

  it('gives different bytes for a different seed', () => {
    expect(digest(generateDataset({ ...SMALL, seed: 8 }))).not.toBe(digest(generateDataset(SMALL)));
  });

  it('encodes bodies that protobufjs decodes as WriteRequests holding every sample it counted', () => {
    const { d, perShard } = small();
    const all = perShard.flat();
    expect(all.length).toBe(d.totalSamples);
    expect(all.every((s) => s.samples.length === 1)).toBe(true);
    expect(new Set(all.map(key)).size).toBe(d.seriesCreated);
  });

  it('keeps every request within the samples-per-request bound and counts its samples', () => {
    const { d } = small();
    for (const shard of d.shards) {
      for (const b of shard) {
        expect(b.samples).toBeLessThanOrEqual(SMALL.samplesPerRequest);
        expect(decodeBody(b.data).length).toBe(b.samples);
      }
    }
    expect(d.requests).toBe(d.shards.reduce((n, s) => n + s.length, 0));
  });

  it('writes sorted label sets that start with __name__ and carry job and instance', () => {
    const { perShard } = small();
    for (const s of perShard[0]!.slice(0, 2000)) {
      const names = s.labels.map((l) => l.name);
      expect(names).toEqual([...names].sort());
      expect(names[0]).toBe('__name__');
      expect(label(s, 'job')).toBe('node');
      expect(label(s, 'instance')).toMatch(/^host-\d{4}(-r\d+)?:9100$/);
    }
  });

  it('puts each series in exactly one shard, in strictly increasing time order', () => {
    const { perShard } = small();
    const owner = new Map<string, number>();
    perShard.forEach((series, shard) => {
      const last = new Map<string, number>();
      for (const s of series) {
        const k = key(s);
        expect(owner.get(k) ?? shard).toBe(shard);
        owner.set(k, shard);
        const t = s.samples[0]!.timestamp;
        expect(t).toBeGreaterThan(last.get(k) ?? -Infinity);
        last.set(k, t);
      }
    });
  });

  it('keeps timestamps inside the configured window ending at endMs', () => {
    const { d, perShard } = small();
    for (const s of perShard.flat()) {
      expect(s.samples[0]!.timestamp).toBeGreaterThan(END - SMALL.durationMs - SMALL.scrapeIntervalMs);
      expect(s.samples[0]!.timestamp).toBeLessThanOrEqual(END);
    }
    expect(d.scrapes).toBe(SMALL.durationMs / SMALL.scrapeIntervalMs);
  });

  it('fans node_exporter metrics out per CPU and mode, per device and per histogram bucket', () => {
    const { d } = small();
    const host0 = d.activeSeries.filter((l) => l.some((x) => x.name === 'instance' && x.value === d.activeInstances[0]));
    const by = (name: string) => host0.filter((l) => l.some((x) => x.name === '__name__' && x.value === name));
    const cpus = new Set(by('node_cpu_seconds_total').map((l) => l.find((x) => x.name === 'cpu')!.value));
    expect(by('node_cpu_seconds_total').length).toBe(cpus.size * 8);
    expect(by('node_disk_read_bytes_total').length).toBeGreaterThanOrEqual(1);
    expect(by('node_network_receive_bytes_total').length).toBeGreaterThanOrEqual(2);
    expect(by('http_request_duration_seconds_bucket').length).toBe(4 * 12);
    expect(by('node_uname_info').length).toBe(1);
    expect(host0.length).toBeGreaterThan(150);
  });

  it('churns hosts: retired series end with a staleness marker and new instances appear', () => {
    const { d, perShard } = small();
    expect(d.seriesCreated).toBeGreaterThan(d.activeSeries.length);
    const nan = perShard.flat().filter((s) => Number.isNaN(s.samples[0]!.value));
    expect(nan.length).toBe(d.staleMarkers);
    expect(d.staleMarkers).toBeGreaterThan(0);
    expect(d.activeInstances.some((i) => i.includes('-r'))).toBe(true);
    // No sample of a series follows its staleness marker.
    const staleAt = new Map(nan.map((s) => [key(s), s.samples[0]!.timestamp]));
    for (const s of perShard.flat()) {
      const t = staleAt.get(key(s));
      if (t !== undefined) expect(s.samples[0]!.timestamp).toBeLessThanOrEqual(t);
    }
  });

  it('makes counters grow, histogram buckets cumulative and _count equal to the +Inf bucket', () => {
    const { perShard } = small();
    const last = new Map<string, number>();
    const at = new Map<string, number>(); // instance|handler|le|t -> value
    for (const s of perShard.flat()) {
      const v = s.samples[0]!.value;
      if (Number.isNaN(v)) continue;
      const name = label(s, '__name__');
      const t = s.samples[0]!.timestamp;
      if (name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count')) {
        expect(v).toBeGreaterThanOrEqual(last.get(key(s)) ?? -Infinity);
        last.set(key(s), v);
      }
      if (name.startsWith('http_request_duration_seconds')) {
        const le = name.endsWith('_count') ? 'count' : label(s, 'le');
        at.set(`${label(s, 'instance')}|${label(s, 'handler')}|${le}|${t}`, v);
      }
    }
    let checked = 0;
    for (const [k, inf] of at) {
      if (!k.includes('|+Inf|')) continue;
      expect(at.get(k.replace('|+Inf|', '|count|'))).toBe(inf);
      expect(at.get(k.replace('|+Inf|', '|0.1|'))!).toBeLessThanOrEqual(inf);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('rejects a scrape interval outside 1 s to 60 s with a GenConfigError naming the field', () => {
    expect(() => generateDataset({ ...SMALL, scrapeIntervalMs: 500 })).toThrow(GenConfigError);
    expect(() => generateDataset({ ...SMALL, scrapeIntervalMs: 120_000 })).toThrow(/scrapeIntervalMs/);
  });

  it('rejects zero hosts, a churn fraction above 1 and zero shards', () => {
    expect(() => generateDataset({ ...SMALL, hosts: 0 })).toThrow(/hosts/);
    expect(() => generateDataset({ ...SMALL, churnFraction: 1.5 })).toThrow(/churnFraction/);
    expect(() => generateDataset({ ...SMALL, shards: 0 })).toThrow(/shards/);
  });
});

describe('wide hosts (scale profile)', () => {
  it('gives about 1,000 series a host, with per-CPU cpufreq, softnet and schedstat series and veth interfaces', () => {
    let total = 0;
    for (let h = 0; h < 10; h++) total += new HostModel(h, 0, 42, END, 'wide').seriesCount;
    expect(total / 10).toBeGreaterThan(800);
    expect(total / 10).toBeLessThan(1400);
    const host = new HostModel(0, 0, 42, END, 'wide');
    const names = new Set(host.labels.map((l) => l.find((x) => x.name === '__name__')!.value));
    for (const n of ['node_cpu_scaling_frequency_hertz', 'node_softnet_processed_total', 'node_schedstat_running_seconds_total'])
      expect(names.has(n)).toBe(true);
    expect(host.labels.some((l) => l.some((x) => x.name === 'device' && x.value.startsWith('veth')))).toBe(true);
  });

  it('leaves the small shape the quick and full profiles use unchanged', () => {
    expect(digest(generateDataset({ ...SMALL, hostShape: 'small' }))).toBe(digest(small().d));
  });

  it('makes a churn wave of new instances only, one sample per new series', () => {
    const d = generateDataset({ ...SMALL, hosts: 10, churnFraction: 0 });
    const churn = generateChurn(d, 2, 0.1);
    const seen = new Set(d.activeSeries.map((l) => l.map((x) => `${x.name}=${x.value}`).join(',')));
    const series = churn.shards.flatMap((bodies) => bodies.flatMap((b) => decodeBody(b.data)));
    expect(series.length).toBe(churn.newSeries);
    for (const s of series) expect(seen.has(key(s))).toBe(false);
    expect(new Set(series.map((s) => label(s, 'instance'))).size).toBe(2);
  });
});

describe('remote-write encoding', () => {
  it('writes the staleness marker with its exact bit pattern', () => {
    const b = new WriteRequestBuilder();
    b.add(encodeLabelBlock([{ name: '__name__', value: 'up' }]), 1000, 0, true);
    const raw = snappyUncompress(b.finish().data);
    const hex = Buffer.from(raw).toString('hex');
    expect(hex).toContain('090200000000' + '00f07f');
  });

  it('round-trips label values with UTF-8, quotes and empty strings', () => {
    const labels = [
      { name: '__name__', value: 'm' },
      { name: 'a', value: 'ünïcødé "q" \\' },
      { name: 'b', value: '' },
    ];
    const b = new WriteRequestBuilder();
    b.add(encodeLabelBlock(labels), 1_700_000_000_123, 1.5);
    const [s] = decodeBody(b.finish().data);
    expect(s!.labels).toEqual(labels);
    expect(s!.samples).toEqual([{ value: 1.5, timestamp: 1_700_000_000_123 }]);
  });

  it("encodes negative int64 timestamps as protobuf two's complement varints", () => {
    const w = new ProtoWriter();
    const sample = new ProtoWriter();
    sample.tag(1, 1);
    sample.double(2);
    sample.tag(2, 0);
    sample.int64(-86_400_000_123);
    const series = new ProtoWriter();
    series.tag(2, 2);
    series.varint(sample.length);
    series.raw(sample.view());
    w.tag(1, 2);
    w.varint(series.length);
    w.raw(series.view());
    const [s] = decodeRaw(w.finish());
    expect(s!.samples[0]!.timestamp).toBe(-86_400_000_123);
  });

  it('refuses to varint-encode a fraction or a negative number', () => {
    expect(() => new ProtoWriter().varint(1.5)).toThrow(RangeError);
    expect(() => new ProtoWriter().varint(-1)).toThrow(/non-negative/);
  });
});
