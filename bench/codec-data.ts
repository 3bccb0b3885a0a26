/**
 * node_exporter-like series for the codec benchmark: counters, gauges and classic histogram
 * buckets, scraped every 1 s or 15 s with millisecond jitter. Deterministic (seeded) so the table
 * is reproducible run to run.
 */
export interface BenchSeries {
  readonly name: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly intervalMs: number;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Scrape times: a fixed phase plus a few ms of jitter per scrape, as Prometheus stamps them. */
function scrapeTimes(n: number, intervalMs: number, jitterMs: number, r: () => number): Float64Array {
  const ts = new Float64Array(n);
  const start = 1_700_000_000_000 + Math.floor(r() * intervalMs);
  for (let i = 0; i < n; i++) ts[i] = start + i * intervalMs + Math.round((r() * 2 - 1) * jitterMs);
  return ts;
}

const round = (x: number, decimals: number): number => Math.round(x * 10 ** decimals) / 10 ** decimals;

function poisson(lambda: number, r: () => number): number {
  // Normal approximation is fine for the rates used here and keeps the generator O(1) per sample.
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * (r() + r() + r() - 1.5) * 2));
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  const u = r();
  while (u > cdf && k < 200) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/** The series of one host scraped at intervalMs, n samples each. */
export function hostSeries(n: number, intervalMs: number, seed: number): BenchSeries[] {
  const r = rng(seed);
  const sec = intervalMs / 1000;
  const jitter = intervalMs >= 10_000 ? 10 : 3;
  const out: BenchSeries[] = [];
  const add = (name: string, kind: BenchSeries['kind'], f: (i: number) => number): void => {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = f(i);
    out.push({ name, kind, intervalMs, timestamps: scrapeTimes(n, intervalMs, jitter, r), values });
  };

  // Counters.
  for (const mode of ['idle', 'user', 'system']) {
    const share = mode === 'idle' ? 0.85 : mode === 'user' ? 0.1 : 0.04;
    let c = round(r() * 1e6, 2);
    add(`node_cpu_seconds_total{mode="${mode}"}`, 'counter', () => (c = round(c + sec * share * (0.8 + 0.4 * r()), 2)));
  }
  let rx = Math.floor(r() * 1e12);
  add('node_network_receive_bytes_total', 'counter', () => (rx += Math.floor(sec * 200_000 * r() * r())));
  let ctx = Math.floor(r() * 1e9);
  add('node_context_switches_total', 'counter', () => (ctx += Math.floor(sec * 4000 * (0.7 + 0.6 * r()))));
  let io = round(r() * 1e5, 3);
  add('node_disk_io_time_seconds_total', 'counter', () => (io = round(io + sec * 0.02 * r(), 3)));
  let reqs = Math.floor(r() * 1e6);
  add('http_requests_total', 'counter', () => (reqs += poisson(sec * 5, r)));

  // Gauges.
  let mem = 8_000_000_000 - (Math.floor(r() * 100_000) << 12);
  add('node_memory_MemAvailable_bytes', 'gauge', () => (mem += Math.round((r() - 0.5) * 2000) * 4096));
  let load = 1 + r();
  add('node_load1', 'gauge', () => round((load = Math.max(0, load * 0.95 + r() * 0.1 * (1 + load))), 2));
  let fs = 50_000_000_000 - (Math.floor(r() * 1000) << 12);
  add('node_filesystem_avail_bytes', 'gauge', () => (r() < 0.05 ? (fs -= Math.floor(r() * 100) * 4096) : fs));
  let temp = 45 + r() * 10;
  add('node_hwmon_temp_celsius', 'gauge', () => round((temp += (r() - 0.5) * 0.4), 1));
  add('node_scrape_collector_duration_seconds', 'gauge', () => 0.0005 + r() * 0.003);
  add('up', 'gauge', () => 1);

  // Classic histogram: cumulative buckets, _sum, _count.
  const les = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const buckets = new Float64Array(les.length + 1).fill(Math.floor(r() * 1e5));
  const perScrape: Float64Array[] = [];
  const sums = new Float64Array(n);
  let sum = r() * 1e4;
  for (let i = 0; i < n; i++) {
    const k = poisson(sec * 20, r);
    for (let j = 0; j < k; j++) {
      const d = Math.exp(Math.log(0.002) + r() * r() * Math.log(2000)); // log-skewed latencies
      sum += d;
      for (let b = 0; b < les.length; b++) if (d <= les[b]!) buckets[b]!++;
      buckets[les.length]!++;
    }
    perScrape.push(buckets.slice());
    sums[i] = sum;
  }
  for (let b = 0; b <= les.length; b++) {
    const le = b < les.length ? String(les[b]) : '+Inf';
    add(`http_request_duration_seconds_bucket{le="${le}"}`, 'histogram', (i) => perScrape[i]![b]!);
  }
  add('http_request_duration_seconds_sum', 'histogram', (i) => sums[i]!);
  add('http_request_duration_seconds_count', 'histogram', (i) => perScrape[i]![les.length]!);
  return out;
}
