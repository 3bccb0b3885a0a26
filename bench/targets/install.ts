/**
 * Finds the VictoriaMetrics and Prometheus binaries, installing the Debian packages when allowed.
 * Debian's postinst would start the services; a policy-rc.d that refuses (exit 101) prevents that,
 * and any server process that still appears during the install is stopped by its PID.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { findExecutable } from './process.js';

const POLICY = '/usr/sbin/policy-rc.d';

function serverPids(binaries: readonly string[]): Set<number> {
  const pids = new Set<number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv0 = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (binaries.some((b) => argv0 === b || argv0.endsWith('/' + b))) pids.add(Number(d));
    } catch {
      // process ended while we looked
    }
  }
  return pids;
}

let attempted = false;
let attemptLog = '';

/** Locates `binary`; when missing and `install` is set, apt-get installs `pkg` (once per run). */
export function ensureBinary(binary: string, pkg: string, install: boolean): { path: string | null; reason: string } {
  const found = findExecutable(binary);
  if (found) return { path: found, reason: '' };
  const hint = `apt-get install -y ${pkg}`;
  if (!install) return { path: null, reason: `${binary} not found (install with: ${hint})` };
  if (process.getuid?.() !== 0) return { path: null, reason: `${binary} not found and not root (install with: sudo ${hint})` };
  if (!findExecutable('apt-get')) return { path: null, reason: `${binary} not found and no apt-get (install package ${pkg})` };
  if (!attempted) {
    attempted = true;
    const before = serverPids(['victoria-metrics', 'prometheus']);
    const ownPolicy = !existsSync(POLICY);
    if (ownPolicy) {
      writeFileSync(POLICY, '#!/bin/sh\n# written by strata bench: keep package installs from starting services\nexit 101\n');
      chmodSync(POLICY, 0o755);
    }
    try {
      console.error('[bench] installing victoria-metrics and prometheus with apt-get (this can take a few minutes)');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' };
      // stdout is discarded (apt's progress can outgrow a pipe buffer); stderr is kept for the reason.
      const io = { env, encoding: 'utf8' as const, stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[], maxBuffer: 64 << 20 };
      const up = spawnSync('apt-get', ['update'], io);
      const inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'victoria-metrics', 'prometheus'], io);
      attemptLog = `${(up.stderr ?? '').slice(-500)}${(inst.stderr ?? '').slice(-500)}`;
      if (inst.status !== 0) console.error(`[bench] apt-get install failed: ${attemptLog}`);
    } finally {
      if (ownPolicy) rmSync(POLICY, { force: true });
    }
    // Whatever the packaging started behind our back is not ours to keep running.
    for (const pid of serverPids(['victoria-metrics', 'prometheus'])) {
      if (before.has(pid)) continue;
      console.error(`[bench] stopping server ${pid} started by the package install`);
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
  const after = findExecutable(binary);
  return after
    ? { path: after, reason: '' }
    : { path: null, reason: `${binary} not found; apt-get install ${pkg} failed ${attemptLog ? `(${attemptLog.trim().split('\n').pop()})` : ''}` };
}

/**
 * First line of `<bin> <args>` output (some print to stderr); Debian's VictoriaMetrics build prints
 * nothing, so the package version is the fallback.
 */
export function versionOf(bin: string, args: readonly string[], pkg: string): string {
  try {
    const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });
    const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim();
    const line = text
      .split('\n')
      .find((l) => l.trim())
      ?.trim();
    if (line) return line;
  } catch {
    // fall through to the package database
  }
  try {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0 && r.stdout.trim()) return `${pkg} ${r.stdout.trim()} (Debian package)`;
  } catch {
    // no dpkg
  }
  return 'unknown';
}
