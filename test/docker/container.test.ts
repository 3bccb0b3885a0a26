/**
 * The Docker image as users run it, under a real container runtime (rootful podman with runc,
 * which builds and runs the Dockerfile unchanged): built from the Dockerfile, run with a named
 * volume and a published port, written to through the API and by a real Prometheus 2.42 running
 * deploy/prometheus.yml for a minute, stopped with SIGTERM, and started again as a new container
 * on the same volume, which must hold every acknowledged sample.
 *
 * No image registry is reachable on CI machines: when node:20-bookworm-slim is not in podman's
 * store, ../shared/tools/node-base-image.sh builds a local stand-in under that name. Every
 * container, volume and image this suite makes carries a unique name and is removed afterwards,
 * also when a test fails. Runs with STRATA_SLOW_TESTS=1 (.ci/run installs podman, runc and
 * Prometheus, and writes the containers.conf).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, runCli, tempDir } from '../helpers/strata-process.js';
import { series, writeV1 } from '../e2e/client.js';
import { freePort, metricValue, waitForOk } from '../helpers/net.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const enabled = !!process.env.STRATA_SLOW_TESTS && has('podman') && has('prometheus') && has('prometheus-node-exporter');
const PROM_SECONDS = Number(process.env.STRATA_DOCKER_PROM_SECONDS ?? 60);
const BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';
const BASE_IMAGE_SCRIPT = join(ROOT, '..', 'shared', 'tools', 'node-base-image.sh');
const DEPLOY = join(ROOT, 'deploy');

const unique = `strata-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const IMAGE = `localhost/${unique}:latest`;
const VOLUME = `${unique}-data`;
const FIRST = `${unique}-first`;
const SECOND = `${unique}-second`;
const BAD_FLAG = `${unique}-bad-flag`;
const OTHER_PORT = `${unique}-other-port`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let containersConf = process.env.CONTAINERS_CONF ?? '';

function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    const env = containersConf ? { ...process.env, CONTAINERS_CONF: containersConf } : process.env;
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const podman = (args: string[], timeoutMs?: number) => run('podman', args, timeoutMs);

async function podmanOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout.trim();
}

async function startContainer(name: string, port: number): Promise<string> {
  await podmanOk(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:8428`, '-v', `${VOLUME}:/data`, IMAGE]);
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/health`, 30_000);
  return url;
}

const seriesKey = (metric: Record<string, string>) =>
  Object.entries(metric)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');

/** Values as text: Prometheus sends strings, Strata's export bare numbers (NaN and ±Inf included). */
const sameValue = (a: string, b: string) => a === b || Number(a) === Number(b) || (a === 'NaN' && b === 'NaN');

/** Series key → timestamp (ms) → value, from Strata's /api/v1/export. */
async function exported(url: string, match: string): Promise<Map<string, Map<number, string>>> {
  const r = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match, start: '0' })}`);
  if (r.status !== 200) throw new Error(`export ${match}: ${r.status} ${await r.text()}`);
  const out = new Map<string, Map<number, string>>();
  for (const line of (await r.text()).split('\n')) {
    if (!line) continue;
    // VictoriaMetrics' export format writes NaN and infinities as bare words.
    const o = JSON.parse(line.replace(/([[,])(NaN|[+-]Inf)(?=[,\]])/g, '$1"$2"')) as {
      metric: Record<string, string>;
      values: Array<number | string>;
      timestamps: number[];
    };
    const m = new Map<number, string>();
    o.timestamps.forEach((t, i) => m.set(t, String(o.values[i]).replace('+Inf', 'Infinity').replace('-Inf', '-Infinity')));
    out.set(seriesKey(o.metric), m);
  }
  return out;
}

async function promQuery(
  url: string,
  query: string,
  time: number,
): Promise<Array<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }>> {
  const r = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query, time: String(time) }),
  });
  const body = (await r.json()) as { status: string; error?: string; data: { resultType: string; result: unknown } };
  if (body.status !== 'success') throw new Error(`${url} ${query}: ${body.error}`);
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data.result as Array<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }>;
}

async function stopChild(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The dashboard's PromQL, with Grafana's variables filled in as Grafana would for this setup. */
function dashboardQueries(instance: string): string[] {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana/dashboards/node-exporter.json'), 'utf8')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  return dash.panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll('$instance', instance).replaceAll('$__rate_interval', '30s')));
}

describe.skipIf(!enabled)('the Docker image under podman', () => {
  let dir = '';
  let firstUrl = '';
  let exporter: ChildProcess | undefined;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let nodeInstance = '';
  /** Evaluation time (s): behind what Prometheus reported as sent, off the whole-second grid. */
  let evalTime = 0;
  /** Request sequence numbers answered 204 by the first container. */
  const acked: number[] = [];
  const API_REQUESTS = 40;
  const API_SERIES = 10;
  const API_POINTS = 30;
  const apiBase = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  /** What Prometheus held at evalTime: series key → timestamp → value. */
  let promSamples = new Map<string, Map<number, string>>();

  beforeAll(async () => {
    dir = tempDir('strata-docker-');
    if (!containersConf) {
      // Rootful podman inside an unprivileged container: no ulimit changes, no systemd cgroups.
      containersConf = join(dir, 'containers.conf');
      writeFileSync(containersConf, '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n');
    }
    if ((await podman(['image', 'exists', BASE_IMAGE])).code !== 0 && existsSync(BASE_IMAGE_SCRIPT)) {
      const r = await run('bash', [BASE_IMAGE_SCRIPT], 600_000);
      if (r.code !== 0) throw new Error(`${BASE_IMAGE_SCRIPT} exited ${r.code}: ${r.stderr}`);
    }
    // --layers=false: no intermediate images are kept, so removing IMAGE removes everything built.
    await podmanOk(['build', '--format', 'docker', '--layers=false', '-t', IMAGE, '-f', join(ROOT, 'Dockerfile'), ROOT], 900_000);
    await podmanOk(['volume', 'create', VOLUME]);
    firstUrl = await startContainer(FIRST, await freePort());
  }, 1_200_000);

  afterAll(async () => {
    await stopChild(prom);
    await stopChild(exporter);
    // -v: the bad-flag container got an anonymous volume for VOLUME /data.
    for (const c of [FIRST, SECOND, BAD_FLAG, OTHER_PORT]) await podman(['rm', '-f', '-v', '-t', '10', c]);
    await podman(['volume', 'rm', '-f', VOLUME]);
    await podman(['rmi', '-f', IMAGE]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('declares VOLUME /data, EXPOSE 8428 and a HEALTHCHECK, and runs as a non-root user', async () => {
    const [image] = JSON.parse(await podmanOk(['image', 'inspect', IMAGE])) as Array<{
      Config: { User: string; Volumes: Record<string, unknown>; ExposedPorts: Record<string, unknown>; Env: string[] };
      Healthcheck?: { Test: string[] };
    }>;
    const cfg = image!.Config;
    expect(Object.keys(cfg.Volumes)).toEqual(['/data']);
    expect(Object.keys(cfg.ExposedPorts)).toEqual(['8428/tcp']);
    expect(image!.Healthcheck?.Test).toEqual(['CMD', 'node', '/opt/strata/dist/healthcheck.js']);
    expect(cfg.Env).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    expect(cfg.User).toBe('strata');
    expect(await podmanOk(['exec', FIRST, 'id', '-u'])).not.toBe('0');
  });

  it('exits 2 on a bad flag with the same one-line message as outside a container', async () => {
    const inside = await podman(['run', '--name', BAD_FLAG, IMAGE, '--retentionPeriod=forever']);
    const outside = await runCli(['serve', '--retentionPeriod=forever']);
    expect(outside.code).toBe(2);
    expect(inside.code).toBe(2);
    // The container's own stderr, without podman's messages about itself.
    const logged = await podman(['logs', BAD_FLAG]);
    expect(logged.stderr).toBe(outside.stderr);
    expect(outside.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('passes its HEALTHCHECK', async () => {
    expect((await podman(['healthcheck', 'run', FIRST])).code).toBe(0);
  });

  it('passes its HEALTHCHECK when --httpListenAddr after the image name moves the port', async () => {
    const port = await freePort();
    await podmanOk(['run', '-d', '--name', OTHER_PORT, '-p', `127.0.0.1:${port}:9000`, IMAGE, '--httpListenAddr=:9000']);
    await waitForOk(`http://127.0.0.1:${port}/health`, 30_000);
    expect((await podman(['healthcheck', 'run', OTHER_PORT])).code).toBe(0);
    await podmanOk(['rm', '-f', '-v', '-t', '10', OTHER_PORT]);
  });

  it(
    `takes writes through the API and from a real Prometheus running deploy/prometheus.yml for ${PROM_SECONDS} s`,
    async () => {
      for (let seq = 0; seq < API_REQUESTS; seq++) {
        const ts = Array.from({ length: API_POINTS }, (_, i) => apiBase + (seq * API_POINTS + i) * 1000);
        const batch = Array.from({ length: API_SERIES }, (_, j) =>
          series(
            'docker_test',
            { s: String(j) },
            ts,
            ts.map((_, i) => seq * 1000 + i),
          ),
        );
        if ((await writeV1(firstUrl, batch)).status === 204) acked.push(seq);
      }
      expect(acked.length).toBe(API_REQUESTS);

      // deploy/prometheus.yml as compose runs it, pointed at what runs here: the host's node_exporter
      // and Prometheus on free ports, the container's published port; 1 s scrapes fill the minute.
      const nePort = await freePort();
      const promPort = await freePort();
      exporter = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
      const cfg = parseYaml(readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8')) as {
        global: Record<string, string>;
        scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
        remote_write: Array<{ url: string }>;
      };
      const hosts: Record<string, string> = {
        'localhost:9090': `127.0.0.1:${promPort}`,
        'node-exporter:9100': `127.0.0.1:${nePort}`,
        'strata:8428': firstUrl.slice('http://'.length),
      };
      cfg.global.scrape_interval = '1s';
      for (const sc of cfg.scrape_configs) for (const s of sc.static_configs) s.targets = s.targets.map((t) => hosts[t] ?? t);
      for (const rw of cfg.remote_write) rw.url = rw.url.replace(/\/\/([^/]+)/, (_, h: string) => `//${hosts[h] ?? h}`);
      expect(cfg.remote_write[0]!.url).toBe(`${firstUrl}/api/v1/write`);
      nodeInstance = `127.0.0.1:${nePort}`;
      const cfgFile = join(dir, 'prometheus.yml');
      writeFileSync(cfgFile, JSON.stringify(cfg));
      promUrl = `http://127.0.0.1:${promPort}`;
      prom = spawn('prometheus', [`--config.file=${cfgFile}`, `--storage.tsdb.path=${join(dir, 'prometheus')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
        stdio: 'ignore',
      });
      await waitForOk(`${promUrl}/-/ready`, 30_000);
      await new Promise((r) => setTimeout(r, PROM_SECONDS * 1000));

      // Samples up to evalTime count as acknowledged once Prometheus reports having sent past it by
      // more than its batch deadline (5 s), whichever shard they went through.
      evalTime = Math.floor(Date.now() / 1000) - 10 + 0.25;
      const sentBy = Date.now() + 60_000;
      while ((await metricValue(promUrl, 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds')) < evalTime + 6) {
        if (Date.now() > sentBy) throw new Error('Prometheus did not send samples past the comparison time within 60 s');
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(await metricValue(promUrl, 'prometheus_remote_storage_samples_failed_total')).toBe(0);
      expect(await metricValue(promUrl, 'prometheus_remote_storage_samples_dropped_total')).toBe(0);

      const matrix = await promQuery(promUrl, `{job=~"prometheus|node"}[${PROM_SECONDS + 60}s]`, evalTime);
      promSamples = new Map(matrix.map((s) => [seriesKey(s.metric), new Map((s.values ?? []).map(([t, v]) => [Math.round(t * 1000), v]))]));
      const total = [...promSamples.values()].reduce((n, m) => n + m.size, 0);
      expect(total).toBeGreaterThan(10_000);
    },
    PROM_SECONDS * 1000 + 120_000,
  );

  it('answers every query of the provisioned Grafana dashboard with the series Prometheus returns', async () => {
    const r = await fetch(`${firstUrl}/api/v1/label/instance/values?${new URLSearchParams({ 'match[]': 'node_uname_info' })}`);
    expect(((await r.json()) as { data: string[] }).data).toContain(nodeInstance);
    const differing: string[] = [];
    let nonEmpty = 0;
    const queries = dashboardQueries(nodeInstance);
    for (const q of queries) {
      const [p, s] = await Promise.all([promQuery(promUrl, q, evalTime), promQuery(firstUrl, q, evalTime)]);
      const [pk, sk] = [p.map((x) => seriesKey(x.metric)).sort(), s.map((x) => seriesKey(x.metric)).sort()];
      if (JSON.stringify(pk) !== JSON.stringify(sk)) differing.push(`${q}\n  prometheus: ${pk.join(' | ')}\n  strata:     ${sk.join(' | ')}`);
      if (s.length > 0) nonEmpty++;
    }
    expect(differing, differing.join('\n')).toEqual([]);
    // Some panels (disks, swap) may be empty on a given host, but not the dashboard as a whole.
    expect(nonEmpty).toBeGreaterThan(queries.length / 2);
  });

  it('exits 0 when stopped with SIGTERM (podman stop)', async () => {
    // Prometheus first, while Strata still answers: it flushes its queue on SIGTERM.
    await stopChild(prom);
    await stopChild(exporter);
    await podmanOk(['stop', '-t', '20', FIRST], 60_000);
    expect(await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', FIRST])).toBe('0');
  });

  describe('a new container on the same volume', () => {
    let secondUrl = '';
    beforeAll(async () => {
      secondUrl = await startContainer(SECOND, await freePort());
    });

    it('has every sample acknowledged through the API', async () => {
      const got = await exported(secondUrl, 'docker_test');
      const missing: string[] = [];
      let checked = 0;
      for (const seq of acked) {
        for (let j = 0; j < API_SERIES; j++) {
          const m = got.get(seriesKey({ __name__: 'docker_test', s: String(j) }));
          for (let i = 0; i < API_POINTS; i++) {
            const t = apiBase + (seq * API_POINTS + i) * 1000;
            checked++;
            if (m?.get(t) !== String(seq * 1000 + i) && missing.length < 5) missing.push(`s=${j} t=${t}`);
          }
        }
      }
      expect(checked).toBe(API_REQUESTS * API_SERIES * API_POINTS);
      expect(missing).toEqual([]);
    });

    it('has every sample Prometheus sent', async () => {
      expect(promSamples.size).toBeGreaterThan(0);
      const got = await exported(secondUrl, '{job=~"prometheus|node"}');
      const missing: string[] = [];
      let checked = 0;
      for (const [key, samples] of promSamples) {
        const m = got.get(key);
        for (const [t, v] of samples) {
          checked++;
          const have = m?.get(t);
          if ((have === undefined || !sameValue(v, have)) && missing.length < 5) missing.push(`${key} t=${t} want ${v} got ${have}`);
        }
      }
      expect(checked).toBeGreaterThan(10_000);
      expect(missing).toEqual([]);
    });

    it('passes its HEALTHCHECK', async () => {
      expect((await podman(['healthcheck', 'run', SECOND])).code).toBe(0);
    });
  });
});

describe('deploy/compose.yaml', () => {
  interface Service {
    build?: { context: string } | string;
    image?: string;
    ports?: string[];
    volumes?: string[];
    depends_on?: string[];
  }
  const compose = parseYaml(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const mounts = (s: Service) => new Map((s.volumes ?? []).map((v) => [v.split(':')[1]!, v.split(':')[0]!]));

  it('builds Strata from this repository’s Dockerfile and keeps its data on a named volume', () => {
    const strata = compose.services.strata!;
    const context = typeof strata.build === 'string' ? strata.build : strata.build!.context;
    expect(existsSync(join(DEPLOY, context, 'Dockerfile'))).toBe(true);
    expect(strata.ports).toContain('8428:8428');
    const data = mounts(strata).get('/data')!;
    expect(Object.keys(compose.volumes)).toContain(data);
  });

  it('gives Prometheus deploy/prometheus.yml, which scrapes itself and node_exporter and remote-writes to Strata', () => {
    const prom = compose.services.prometheus!;
    expect(mounts(prom).get('/etc/prometheus/prometheus.yml')).toBe('./prometheus.yml');
    const cfg = parseYaml(readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
      remote_write: Array<{ url: string }>;
    };
    const targets = cfg.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual(expect.arrayContaining(['localhost:9090', 'node-exporter:9100']));
    expect(Object.keys(compose.services)).toContain('node-exporter');
    expect(cfg.remote_write.map((r) => r.url)).toEqual(['http://strata:8428/api/v1/write']);
  });

  it('provisions Grafana with Strata as its Prometheus data source and the node_exporter dashboard', () => {
    const grafana = mounts(compose.services.grafana!);
    const provisioning = join(DEPLOY, grafana.get('/etc/grafana/provisioning')!);
    const sources = parseYaml(readFileSync(join(provisioning, 'datasources/strata.yaml'), 'utf8')) as {
      datasources: Array<{ type: string; url: string; uid: string }>;
    };
    expect(sources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://strata:8428' })]);
    const providers = parseYaml(readFileSync(join(provisioning, 'dashboards/strata.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const dashboards = join(DEPLOY, grafana.get(providers.providers[0]!.options.path)!);
    const dash = JSON.parse(readFileSync(join(dashboards, 'node-exporter.json'), 'utf8')) as {
      panels: Array<{ datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    };
    expect(dash.panels.length).toBeGreaterThan(5);
    for (const p of dash.panels) expect(p.datasource.uid).toBe(sources.datasources[0]!.uid);
  });
});
