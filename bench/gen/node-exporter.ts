/**
 * A node_exporter-like host: the metric families, label fan-out (per CPU, per disk, per NIC, per
 * filesystem, classic histogram buckets) and value dynamics of a real Linux box being scraped.
 * Counters only grow (by rates that drift and burst), gauges random-walk within bounds, constants
 * stay constant, and values are rounded the way node_exporter reports them, because codecs
 * compress real data very differently from uniform noise.
 */
import { sortLabels, type Label, type Labels } from '../../src/model/index.js';
import { Rng } from './rng.js';

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'] as const;
/** Share of busy CPU time by mode (idle excluded), roughly what a busy web host shows. */
const BUSY_SHARE: Readonly<Record<string, number>> = {
  iowait: 0.05,
  irq: 0.01,
  nice: 0.02,
  softirq: 0.03,
  steal: 0.04,
  system: 0.25,
  user: 0.6,
};
const MEMINFO = [
  'Active_bytes',
  'Buffers_bytes',
  'Cached_bytes',
  'Committed_AS_bytes',
  'Dirty_bytes',
  'HugePages_Total',
  'Inactive_bytes',
  'Mapped_bytes',
  'MemAvailable_bytes',
  'MemFree_bytes',
  'MemTotal_bytes',
  'PageTables_bytes',
  'SReclaimable_bytes',
  'Shmem_bytes',
  'Slab_bytes',
  'SwapFree_bytes',
  'SwapTotal_bytes',
  'Writeback_bytes',
] as const;
const COLLECTORS = ['cpu', 'diskstats', 'filesystem', 'loadavg', 'meminfo', 'netdev', 'stat', 'time', 'uname', 'vmstat'] as const;
const HANDLERS = [
  { path: '/api/v1/query', rate: 20, medianSec: 0.04 },
  { path: '/api/v1/write', rate: 50, medianSec: 0.008 },
  { path: '/metrics', rate: 0.2, medianSec: 0.003 },
  { path: '/-/healthy', rate: 1, medianSec: 0.0005 },
] as const;
/** Classic histogram bucket bounds, Prometheus client defaults. */
export const HISTOGRAM_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, Infinity] as const;
const DISK_NAMES = ['nvme0n1', 'sda', 'sdb', 'sdc'] as const;
const NIC_NAMES = ['lo', 'eth0', 'eth1', 'docker0'] as const;
/** Extra block devices of a wide host: a second NVMe, device-mapper volumes, more SCSI disks. */
const WIDE_DISK_NAMES = ['nvme1n1', 'dm-0', 'dm-1', 'dm-2', 'sdd', 'sde'] as const;
/** Per-CPU families a big host exposes beyond cpu seconds (cpufreq, softnet, schedstat). */
const PER_CPU_COUNTERS = [
  'node_softnet_processed_total',
  'node_softnet_dropped_total',
  'node_softnet_times_squeezed_total',
  'node_schedstat_running_seconds_total',
  'node_schedstat_waiting_seconds_total',
  'node_schedstat_timeslices_total',
] as const;
const PER_CPU_FREQ = ['node_cpu_scaling_frequency_hertz', 'node_cpu_scaling_frequency_max_hertz', 'node_cpu_scaling_frequency_min_hertz'] as const;

/**
 * `small`: ~250 series a host (the quick and full profiles). `wide`: ~1,000 series a host, what
 * node_exporter 1.5 exposes on a 16–64-CPU server running containers: per-CPU cpufreq, softnet and
 * schedstat series, more block devices, a veth interface per container.
 */
export type HostShape = 'small' | 'wide';
const FILESYSTEMS = [
  { device: '/dev/nvme0n1p2', fstype: 'ext4', mountpoint: '/' },
  { device: '/dev/nvme0n1p1', fstype: 'vfat', mountpoint: '/boot/efi' },
  { device: '/dev/sda1', fstype: 'xfs', mountpoint: '/var/lib/data' },
  { device: 'tmpfs', fstype: 'tmpfs', mountpoint: '/run' },
] as const;
const KERNELS = ['5.10.0-28-amd64', '6.1.0-18-amd64', '6.1.0-21-amd64'] as const;

const GiB = 1024 ** 3;

/** The instance label of a host; a restart (churn) gives the host a new address, as pods get. */
export function instanceName(hostIndex: number, generation: number): string {
  const base = `host-${String(hostIndex).padStart(4, '0')}`;
  return generation === 0 ? `${base}:9100` : `${base}-r${generation}:9100`;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** Standard normal CDF (Abramowitz–Stegun 7.1.26), enough to split requests across buckets. */
function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export class HostModel {
  /** Sorted label set of every series of this host, in a fixed order. */
  readonly labels: Labels[] = [];
  /** Current value of every series, same order as `labels`. */
  readonly values: Float64Array;
  readonly instance: string;
  readonly cpus: number;
  private readonly updaters: ((dtSec: number, tMs: number) => void)[] = [];
  /** Derived initial values, computed once `values` exists. */
  private readonly inits: (() => void)[] = [];
  private readonly rng: Rng;
  /** Host-wide CPU utilisation in [0.02, 0.98], a mean-reverting random walk. */
  private util: number;

  constructor(
    readonly hostIndex: number,
    readonly generation: number,
    seed: number,
    startMs: number,
    shape: HostShape = 'small',
  ) {
    this.rng = new Rng((seed ^ Math.imul(hostIndex + 1, 0x27d4eb2f) ^ Math.imul(generation + 1, 0x165667b1)) >>> 0);
    const rng = this.rng;
    this.instance = instanceName(hostIndex, generation);
    const wide = shape === 'wide';
    this.cpus = wide ? rng.pick([16, 24, 32, 32, 48, 64]) : rng.pick([2, 4, 4, 8, 8, 16]);
    this.util = 0.1 + 0.5 * rng.next();
    const common: Label[] = [
      { name: 'job', value: 'node' },
      { name: 'instance', value: this.instance },
      { name: 'dc', value: `dc${hostIndex % 3}` },
    ];
    const initial: number[] = [];
    const add = (name: string, extra: readonly Label[], v0: number): number => {
      this.labels.push(sortLabels([{ name: '__name__', value: name }, ...common, ...extra]));
      initial.push(v0);
      return initial.length - 1;
    };
    const v = (): Float64Array => this.values;

    // CPU seconds per CPU and mode: busy time follows host utilisation with per-CPU imbalance.
    const uptimeSec = 3600 * (1 + rng.int(24 * 30));
    for (let c = 0; c < this.cpus; c++) {
      const idx: number[] = [];
      for (const mode of CPU_MODES) {
        const share = mode === 'idle' ? 1 - this.util : this.util * BUSY_SHARE[mode]!;
        idx.push(
          add(
            'node_cpu_seconds_total',
            [
              { name: 'cpu', value: String(c) },
              { name: 'mode', value: mode },
            ],
            round2(uptimeSec * share),
          ),
        );
      }
      const bias = 0.7 + 0.6 * rng.next();
      this.updaters.push((dt) => {
        const busy = clamp(this.util * bias * (1 + 0.15 * rng.normal()), 0, 1);
        for (let m = 0; m < CPU_MODES.length; m++) {
          const mode = CPU_MODES[m]!;
          const share = mode === 'idle' ? 1 - busy : busy * BUSY_SHARE[mode]! * (0.8 + 0.4 * rng.next());
          const i = idx[m]!;
          v()[i] = round2(v()[i]! + dt * share);
        }
      });
      for (const mode of ['nice', 'user'])
        add(
          'node_cpu_guest_seconds_total',
          [
            { name: 'cpu', value: String(c) },
            { name: 'mode', value: mode },
          ],
          0,
        );
      if (!wide) continue;
      const cpu = [{ name: 'cpu', value: String(c) }];
      const maxHz = rng.pick([2.4e9, 3.0e9, 3.5e9]);
      const freq = add(PER_CPU_FREQ[0], cpu, maxHz / 2);
      add(PER_CPU_FREQ[1], cpu, maxHz);
      add(PER_CPU_FREQ[2], cpu, 8e8);
      const counters = PER_CPU_COUNTERS.map((name) => add(name, cpu, name.endsWith('seconds_total') ? round2(uptimeSec * 0.3) : rng.int(1e9)));
      this.updaters.push((dt) => {
        const busy = this.util * bias;
        v()[freq] = Math.round(clamp(maxHz * (0.3 + busy * (0.8 + 0.4 * rng.next())), 8e8, maxHz) / 1e6) * 1e6;
        const per = [
          rng.poisson(5000 * dt * busy),
          rng.next() < 0.001 ? 1 : 0,
          rng.next() < 0.01 ? rng.int(3) : 0,
          dt * busy,
          dt * busy * 0.05 * rng.next(),
          rng.poisson(200 * dt * (0.2 + busy)),
        ];
        for (let k = 0; k < counters.length; k++) {
          const i = counters[k]!;
          v()[i] = k === 3 || k === 4 ? Math.round((v()[i]! + per[k]!) * 1e9) / 1e9 : v()[i]! + per[k]!;
        }
      });
    }

    // Memory: a working set that drifts, with page cache filling what is left.
    const memTotal = rng.pick([8, 16, 32, 64]) * GiB - 400 * 1024 * 1024;
    const swapTotal = rng.next() < 0.5 ? 0 : 2 * GiB;
    let used = memTotal * (0.2 + 0.4 * rng.next());
    const mem = new Map<string, number>();
    for (const m of MEMINFO) mem.set(m, add(`node_memory_${m}`, [], 0));
    const setMem = (): void => {
      const page = (x: number): number => Math.round(x / 4096) * 4096;
      const cached = (memTotal - used) * 0.7;
      const free = memTotal - used - cached;
      const put = (k: string, x: number): void => {
        v()[mem.get(k)!] = x;
      };
      put('MemTotal_bytes', memTotal);
      put('MemFree_bytes', page(free));
      put('MemAvailable_bytes', page(free + cached * 0.9));
      put('Cached_bytes', page(cached));
      put('Buffers_bytes', page(cached * 0.05));
      put('Active_bytes', page(used * 0.6 + cached * 0.3));
      put('Inactive_bytes', page(used * 0.2 + cached * 0.6));
      put('Dirty_bytes', page(rng.logNormal(2e6, 1)));
      put('Writeback_bytes', rng.next() < 0.9 ? 0 : page(rng.logNormal(1e5, 1)));
      put('Mapped_bytes', page(used * 0.1));
      put('Shmem_bytes', page(used * 0.02));
      put('Slab_bytes', page(used * 0.05));
      put('SReclaimable_bytes', page(used * 0.03));
      put('PageTables_bytes', page(used * 0.004));
      put('Committed_AS_bytes', page(used * 1.6));
      put('SwapTotal_bytes', swapTotal);
      put('SwapFree_bytes', swapTotal === 0 ? 0 : page(swapTotal * 0.97));
      put('HugePages_Total', 0);
    };
    this.updaters.push(() => {
      used = clamp(used * (1 + 0.01 * rng.normal()), memTotal * 0.05, memTotal * 0.95);
      setMem();
    });

    // Load averages: exponentially damped run queue, as the kernel computes them.
    const load = [add('node_load1', [], 0), add('node_load5', [], 0), add('node_load15', [], 0)];
    const loadState = [this.util * this.cpus, this.util * this.cpus, this.util * this.cpus];
    this.updaters.push((dt) => {
      this.util = clamp(this.util + 0.03 * rng.normal() + 0.02 * (0.35 - this.util), 0.02, 0.98);
      const runnable = Math.max(0, this.util * this.cpus * (1 + 0.3 * rng.normal()));
      const windows = [60, 300, 900];
      for (let k = 0; k < 3; k++) {
        const a = Math.exp(-dt / windows[k]!);
        loadState[k] = loadState[k]! * a + runnable * (1 - a);
        v()[load[k]!] = round2(loadState[k]!);
      }
    });

    // Disks: bursty IOPS with per-device typical request sizes.
    const disks: string[] = DISK_NAMES.slice(0, 1 + rng.int(3));
    if (wide) disks.push(...DISK_NAMES.slice(disks.length), ...WIDE_DISK_NAMES.slice(0, 2 + rng.int(5)));
    for (const device of disks) {
      const d = [{ name: 'device', value: device }];
      const reads = add('node_disk_reads_completed_total', d, rng.int(1e7));
      const writes = add('node_disk_writes_completed_total', d, rng.int(1e7));
      const rbytes = add('node_disk_read_bytes_total', d, 512 * rng.int(1e9));
      const wbytes = add('node_disk_written_bytes_total', d, 512 * rng.int(1e9));
      const rtime = add('node_disk_read_time_seconds_total', d, round2(rng.next() * 1e5));
      const wtime = add('node_disk_write_time_seconds_total', d, round2(rng.next() * 1e5));
      const iotime = add('node_disk_io_time_seconds_total', d, round2(rng.next() * 1e5));
      const ionow = add('node_disk_io_now', d, 0);
      const baseIops = rng.logNormal(80, 1);
      const sectors = rng.pick([8, 16, 32, 128]);
      this.updaters.push((dt) => {
        const burst = rng.next() < 0.05 ? 10 : 1;
        const r = rng.poisson(baseIops * 0.4 * burst * dt * rng.logNormal(1, 0.3));
        const w = rng.poisson(baseIops * 0.6 * burst * dt * rng.logNormal(1, 0.3));
        v()[reads] = v()[reads]! + r;
        v()[writes] = v()[writes]! + w;
        v()[rbytes] = v()[rbytes]! + r * 512 * sectors;
        v()[wbytes] = v()[wbytes]! + w * 512 * (sectors + rng.int(8));
        v()[rtime] = round2(v()[rtime]! + r * 0.0004);
        v()[wtime] = round2(v()[wtime]! + w * 0.0009);
        v()[iotime] = round2(v()[iotime]! + Math.min(dt, (r + w) * 0.0005));
        v()[ionow] = rng.poisson(0.2 * burst);
      });
    }

    // Network: bytes and packets follow a per-NIC rate; errors and drops are rare events.
    const nics: string[] = NIC_NAMES.slice(0, 2 + rng.int(3));
    // A container host has one veth per container.
    if (wide) for (let k = 0, n = 8 + rng.int(17); k < n; k++) nics.push(`veth${(hostIndex * 7919 + k * 104729).toString(16).slice(-7)}`);
    for (const device of nics) {
      const d = [{ name: 'device', value: device }];
      const names = [
        'receive_bytes',
        'transmit_bytes',
        'receive_packets',
        'transmit_packets',
        'receive_errs',
        'transmit_errs',
        'receive_drop',
        'transmit_drop',
      ];
      const idx = names.map((n) => add(`node_network_${n}_total`, d, n.endsWith('bytes') ? rng.int(1e12) : n.endsWith('packets') ? rng.int(1e9) : rng.int(10)));
      add('node_network_up', d, device === 'lo' ? 0 : 1);
      add('node_network_mtu_bytes', d, device === 'lo' ? 65536 : 1500);
      let pps = rng.logNormal(device === 'lo' ? 50 : 2000, 1);
      const avgPacket = device === 'lo' ? 300 : 900;
      this.updaters.push((dt) => {
        pps = clamp(pps * Math.exp(0.1 * rng.normal()), 1, 1e6);
        const rx = rng.poisson(pps * dt);
        const tx = rng.poisson(pps * dt * 0.8);
        const inc = [
          rx * Math.round(avgPacket * rng.logNormal(1, 0.1)),
          tx * Math.round(avgPacket * 0.7 * rng.logNormal(1, 0.1)),
          rx,
          tx,
          rng.next() < 0.001 ? 1 : 0,
          0,
          rng.next() < 0.01 ? rng.int(5) : 0,
          0,
        ];
        for (let k = 0; k < idx.length; k++) v()[idx[k]!] = v()[idx[k]!]! + inc[k]!;
      });
    }

    // Filesystems: fixed sizes, slowly filling, with occasional cleanups.
    const fss = FILESYSTEMS.slice(0, 2 + rng.int(3));
    for (const fs of fss) {
      const d = [
        { name: 'device', value: fs.device },
        { name: 'fstype', value: fs.fstype },
        { name: 'mountpoint', value: fs.mountpoint },
      ];
      const size = rng.pick([1, 50, 200, 1000]) * GiB;
      const files = Math.round(size / 16384);
      add('node_filesystem_size_bytes', d, size);
      const freeI = add('node_filesystem_free_bytes', d, 0);
      const availI = add('node_filesystem_avail_bytes', d, 0);
      add('node_filesystem_files', d, files);
      const filesFreeI = add('node_filesystem_files_free', d, 0);
      add('node_filesystem_readonly', d, 0);
      let usedBytes = size * (0.1 + 0.7 * rng.next());
      const fill = rng.logNormal(20000, 1);
      const set = (): void => {
        const free = Math.round((size - usedBytes) / 4096) * 4096;
        v()[freeI] = free;
        v()[availI] = Math.max(0, free - Math.round((size * 0.05) / 4096) * 4096);
        v()[filesFreeI] = Math.round(files - usedBytes / 65536);
      };
      this.inits.push(set);
      this.updaters.push((dt) => {
        usedBytes += fill * dt * rng.logNormal(1, 0.5);
        if (usedBytes > size * 0.9 || rng.next() < 0.0005) usedBytes = size * (0.1 + 0.3 * rng.next());
        set();
      });
    }

    // Kernel counters and gauges.
    const ctxt = add('node_context_switches_total', [], rng.int(1e10));
    const intr = add('node_intr_total', [], rng.int(1e10));
    const forks = add('node_forks_total', [], rng.int(1e7));
    const running = add('node_procs_running', [], 1);
    const blocked = add('node_procs_blocked', [], 0);
    add('node_boot_time_seconds', [], Math.floor(startMs / 1000) - uptimeSec);
    const timeI = add('node_time_seconds', [], startMs / 1000);
    const entropy = add('node_entropy_available_bits', [], 256);
    const filefd = add('node_filefd_allocated', [], 2000 + rng.int(5000));
    const estab = add('node_netstat_Tcp_CurrEstab', [], rng.int(500));
    const timex = add('node_timex_offset_seconds', [], 0);
    this.updaters.push((dt, tMs) => {
      v()[ctxt] = v()[ctxt]! + rng.poisson(this.cpus * 3000 * dt * (0.5 + this.util));
      v()[intr] = v()[intr]! + rng.poisson(this.cpus * 2000 * dt * (0.5 + this.util));
      v()[forks] = v()[forks]! + rng.poisson(5 * dt);
      v()[running] = 1 + rng.poisson(this.util * this.cpus);
      v()[blocked] = rng.poisson(0.1);
      // node_exporter reports wall time with sub-ms jitter: scrapes never land exactly on the grid.
      v()[timeI] = (tMs + rng.int(400)) / 1000 + rng.next() * 1e-6;
      v()[entropy] = 256;
      v()[filefd] = clamp(v()[filefd]! + Math.round(20 * rng.normal()), 500, 1e6);
      v()[estab] = clamp(v()[estab]! + Math.round(5 * rng.normal()), 0, 1e5);
      v()[timex] = 1e-6 * rng.normal() * 50;
    });

    // The exporter's own view of itself: full-precision durations are the hard case for codecs.
    for (const collector of COLLECTORS) {
      const c = [{ name: 'collector', value: collector }];
      const dur = add('node_scrape_collector_duration_seconds', c, 0);
      add('node_scrape_collector_success', c, 1);
      const median = rng.logNormal(0.0005, 1);
      this.updaters.push(() => {
        v()[dur] = rng.logNormal(median, 0.3);
      });
    }
    add(
      'node_uname_info',
      [
        { name: 'machine', value: 'x86_64' },
        { name: 'nodename', value: `node-${String(hostIndex).padStart(4, '0')}` },
        { name: 'release', value: rng.pick(KERNELS) },
        { name: 'sysname', value: 'Linux' },
      ],
      1,
    );
    add('up', [], 1);
    const scrapeDur = add('scrape_duration_seconds', [], 0.01);
    const scraped = add('scrape_samples_scraped', [], 0);

    // An application's classic histogram: buckets are cumulative counters that grow together.
    for (const h of HANDLERS) {
      const lbl = [
        { name: 'code', value: '200' },
        { name: 'handler', value: h.path },
        { name: 'method', value: h.path === '/api/v1/write' ? 'POST' : 'GET' },
      ];
      const sigma = 0.9;
      const mu = Math.log(h.medianSec * rng.logNormal(1, 0.3));
      const probs = HISTOGRAM_BOUNDS.map((b, k) => {
        const upper = b === Infinity ? 1 : normalCdf((Math.log(b) - mu) / sigma);
        const lower = k === 0 ? 0 : normalCdf((Math.log(HISTOGRAM_BOUNDS[k - 1]!) - mu) / sigma);
        return Math.max(0, upper - lower);
      });
      const buckets = HISTOGRAM_BOUNDS.map((b) =>
        add('http_request_duration_seconds_bucket', [...lbl, { name: 'le', value: b === Infinity ? '+Inf' : String(b) }], 0),
      );
      const sumI = add('http_request_duration_seconds_sum', lbl, 0);
      const countI = add('http_request_duration_seconds_count', lbl, 0);
      const rate = h.rate * rng.logNormal(1, 0.5);
      const meanLatency = Math.exp(mu + (sigma * sigma) / 2);
      this.updaters.push((dt) => {
        let cumulative = 0;
        for (let k = 0; k < buckets.length; k++) {
          cumulative += rng.poisson(rate * dt * probs[k]! * (0.5 + this.util));
          v()[buckets[k]!] = v()[buckets[k]!]! + cumulative;
        }
        v()[countI] = v()[buckets[buckets.length - 1]!]!;
        v()[sumI] = v()[sumI]! + cumulative * meanLatency * rng.logNormal(1, 0.05);
      });
    }

    this.values = Float64Array.from(initial);
    this.values[scraped] = this.values.length;
    this.updaters.push(() => {
      v()[scrapeDur] = rng.logNormal(0.02, 0.3);
    });
    this.inits.push(setMem);
    for (const init of this.inits) init();
  }

  get seriesCount(): number {
    return this.labels.length;
  }

  /** Advances every series to the scrape at `tMs`, `dtSec` after the previous one. */
  advance(dtSec: number, tMs: number): void {
    for (const u of this.updaters) u(dtSec, tMs);
  }
}
