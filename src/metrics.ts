/**
 * Self-monitoring in Prometheus exposition format at /metrics. Components register counters and
 * gauges here (or a collect callback for values they already keep) so nothing is computed twice.
 */
import { memoryUsage, cpuUsage, uptime } from 'node:process';
import { readdirSync } from 'node:fs';

type LabelValues = Readonly<Record<string, string>>;

function seriesKey(labels: LabelValues): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  return '{' + names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',') + '}';
}

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' = 'counter',
  ) {}
  inc(labels: LabelValues = {}, by = 1): void {
    const k = seriesKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  set(labels: LabelValues, value: number): void {
    this.values.set(seriesKey(labels), value);
  }
  get(labels: LabelValues = {}): number {
    return this.values.get(seriesKey(labels)) ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
    for (const [k, v] of this.values) out.push(`${this.name}${k} ${formatValue(v)}`);
  }
}

/** A sample produced at scrape time by a component that already tracks the number. */
export interface CollectedMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: ReadonlyArray<{ labels?: LabelValues; value: number }>;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Counter>();
  private readonly collectors: Array<() => CollectedMetric[]> = [];

  counter(name: string, help: string): Counter {
    return this.get(name, help, 'counter');
  }
  gauge(name: string, help: string): Counter {
    return this.get(name, help, 'gauge');
  }
  private get(name: string, help: string, type: 'counter' | 'gauge'): Counter {
    let m = this.metrics.get(name);
    if (!m) {
      m = new Counter(name, help, type);
      this.metrics.set(name, m);
    }
    return m;
  }
  addCollector(fn: () => CollectedMetric[]): void {
    this.collectors.push(fn);
  }

  render(): string {
    const out: string[] = [];
    for (const m of processMetrics()) renderCollected(m, out);
    for (const m of this.metrics.values()) m.render(out);
    for (const c of this.collectors) for (const m of c()) renderCollected(m, out);
    return out.join('\n') + '\n';
  }
}

function renderCollected(m: CollectedMetric, out: string[]): void {
  out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
  for (const s of m.samples) out.push(`${m.name}${seriesKey(s.labels ?? {})} ${formatValue(s.value)}`);
}

function openFileDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0; // not Linux
  }
}

function processMetrics(): CollectedMetric[] {
  const mem = memoryUsage();
  const cpu = cpuUsage();
  return [
    { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: [{ value: mem.rss }] },
    {
      name: 'process_cpu_seconds_total',
      help: 'Total user and system CPU time spent in seconds.',
      type: 'counter',
      samples: [{ value: (cpu.user + cpu.system) / 1e6 }],
    },
    { name: 'process_cpu_user_seconds_total', help: 'User CPU time spent in seconds.', type: 'counter', samples: [{ value: cpu.user / 1e6 }] },
    { name: 'process_cpu_system_seconds_total', help: 'System CPU time spent in seconds.', type: 'counter', samples: [{ value: cpu.system / 1e6 }] },
    {
      name: 'process_start_time_seconds',
      help: 'Start time of the process since unix epoch in seconds.',
      type: 'gauge',
      samples: [{ value: Math.round(Date.now() / 1000 - uptime()) }],
    },
    { name: 'nodejs_heap_used_bytes', help: 'V8 heap in use.', type: 'gauge', samples: [{ value: mem.heapUsed }] },
    { name: 'nodejs_heap_total_bytes', help: 'V8 heap reserved.', type: 'gauge', samples: [{ value: mem.heapTotal }] },
    {
      name: 'nodejs_external_memory_bytes',
      help: 'Memory of C++ objects bound to JS objects (buffers, typed arrays).',
      type: 'gauge',
      samples: [{ value: mem.external }],
    },
    { name: 'process_open_fds', help: 'Number of open file descriptors.', type: 'gauge', samples: [{ value: openFileDescriptors() }] },
  ];
}
