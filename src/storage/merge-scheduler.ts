import * as fs from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { JobRunner } from './job-runner.js';
import type { Job, JobResult } from './jobs.js';
import { LIFECYCLE_CHECK_MS, REMERGE_GAP_MS, mergeDeflates, needsLifecycleMerge, pickMergeWindow, type StorageLifecycle } from './merge-policy.js';
import type { Part } from './part.js';
import { tmpName } from './part-writer.js';
import { spanOf, type Partition, type PartitionSet } from './partition.js';
import type { TombstoneSet } from './tombstones.js';

/**
 * Runs merges: one at a time, on the merge runner's thread, over the windows merge-policy.ts
 * picks (or every part of a partition, for force_merge and lifecycle re-merges), and installs
 * their output in place of their inputs.
 */

/** What the scheduler needs of the storage it merges for. */
export interface MergeHost {
  readonly partitions: PartitionSet;
  readonly tombstones: TombstoneSet;
  readonly runner: JobRunner;
  readonly dedupIntervalMs: number;
  readonly lifecycle: StorageLifecycle | undefined;
  /** Whether series `id` is deleted; with anyDeleted, see StorageOptions. */
  readonly isDeleted: ((id: number) => boolean) | undefined;
  readonly anyDeleted: (() => boolean) | undefined;
  now(): number;
  minValidT(): number;
  nextPartName(): string;
  /** A flush is running: it may be writing into a partition's directory. */
  flushRunning(): boolean;
  closed(): boolean;
}

export interface MergeCounters {
  merges: number;
  mergeSeconds: number;
  lastMergeSeconds: number;
  mergedRows: number;
}

export class MergeScheduler {
  private running: Promise<void> | null = null;
  /** force_merges waiting: background merging stops after its current merge, since a force_merge rewrites everything anyway. */
  private forcing = 0;
  private lastLifecycleCheck = 0;
  /** The running background merge's stop flag (MergeJob.cancel); null when none runs. */
  private stopBackground: Int32Array | null = null;
  readonly counters: MergeCounters = { merges: 0, mergeSeconds: 0, lastMergeSeconds: 0, mergedRows: 0 };

  constructor(private readonly host: MergeHost) {}

  /** The merge run in progress, if any. */
  get merging(): Promise<void> | null {
    return this.running;
  }

  /** Resolves once no merge runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
  }

  private exclusive(work: () => Promise<void>): Promise<void> {
    const run = work().finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  /** Merges the windows the policy picks, partition by partition, until none is left. */
  maybeMerge(): Promise<void> {
    if (this.running || this.host.closed() || this.forcing > 0) return this.running ?? Promise.resolve();
    return this.exclusive(async () => {
      for (;;) {
        let did = false;
        for (const p of [...this.host.partitions.values()]) {
          const w = pickMergeWindow(p.parts);
          if (!w) continue;
          await this.mergeWindow(p, p.parts.slice(w[0], w[0] + w[1]));
          did = true;
          if (this.host.closed() || this.forcing > 0) return;
        }
        if (!did) return;
      }
    });
  }

  /** Merges every partition down to one part, applying dedup, retention, deletions and rules. */
  async forceMerge(): Promise<void> {
    this.forcing++;
    try {
      // A background merge would only produce a part that is merged again at once.
      if (this.stopBackground) Atomics.store(this.stopBackground, 0, 1);
      await this.idle();
      await this.exclusive(() => this.mergeAll());
    } finally {
      this.forcing--;
    }
  }

  private async mergeAll(): Promise<void> {
    const h = this.host;
    const minValid = h.minValidT();
    for (const p of [...h.partitions.values()]) {
      const parts = p.parts;
      if (parts.length === 0) continue;
      const only = parts[0]!;
      const clean =
        parts.length === 1 &&
        // A lone flush part is rewritten all the same: merged parts are the deflated ones.
        only.meta.type === 'big' &&
        only.meta.deflated !== false &&
        only.meta.dedupIntervalMs === h.dedupIntervalMs &&
        only.meta.minT >= minValid &&
        h.tombstones.over(spanOf(only)).length === 0 &&
        !needsLifecycleMerge(only, h.lifecycle, h.now(), 0) &&
        (!h.isDeleted || h.anyDeleted?.() === false);
      if (clean) continue;
      await this.mergeWindow(p, parts, true);
    }
  }

  /** Merges again the partitions where data crossed a lifecycle threshold (downsampling runs there). */
  async applyLifecycle(): Promise<void> {
    const h = this.host;
    const now = h.now();
    if (!h.lifecycle || this.running || now - this.lastLifecycleCheck < LIFECYCLE_CHECK_MS) return;
    this.lastLifecycleCheck = now;
    const due = [...h.partitions.values()].filter((p) => p.parts.some((x) => needsLifecycleMerge(x, h.lifecycle, now, REMERGE_GAP_MS)));
    if (due.length === 0) return;
    await this.exclusive(async () => {
      for (const p of due) if (h.partitions.isLive(p) && p.parts.length > 0) await this.mergeWindow(p, p.parts, true);
    });
  }

  /** `final`: a force_merge, whose output is the partition's one part (always deflated). */
  private async mergeWindow(p: Partition, inputs: readonly Part[], final = false): Promise<void> {
    const h = this.host;
    for (const x of inputs) x.ref();
    try {
      const started = performance.now();
      const lc = h.lifecycle;
      const anyDeleted = !!h.isDeleted && h.anyDeleted?.() !== false;
      const ids = lc || anyDeleted ? await idsIn(inputs) : [];
      const deleted = anyDeleted ? Float64Array.from(ids.filter((id) => h.isDeleted!(id))) : new Float64Array(0);
      const now = h.now();
      const job: Job = {
        kind: 'merge',
        partitionDir: p.dir,
        inputs: inputs.map((x) => x.dir),
        partName: h.nextPartName(),
        dedupIntervalMs: h.dedupIntervalMs,
        minValidT: h.minValidT(),
        deletedIds: deleted,
        tombstones: inputs.flatMap((x) => h.tombstones.over(spanOf(x))).filter((t, i, all) => all.indexOf(t) === i),
        deflate: mergeDeflates(inputs, final),
        rules: lc ? lc.rulesFor(ids, now) : null,
        ...(lc ? { policy: { at: now, signature: lc.signature } } : {}),
        ...(final ? {} : { cancel: new Int32Array(new SharedArrayBuffer(4)) }),
      };
      this.stopBackground = job.cancel ?? null;
      let result: JobResult;
      try {
        result = await h.runner.run(job);
      } catch (e) {
        fs.rmSync(join(p.dir, tmpName(job.partName)), { recursive: true, force: true });
        throw e;
      } finally {
        this.stopBackground = null;
      }
      if (result.cancelled) return;
      if (!h.partitions.isLive(p)) {
        // The partition was dropped by retention while we merged.
        fs.rmSync(join(p.dir, job.partName), { recursive: true, force: true });
        return;
      }
      h.partitions.install(result, inputs);
      // Every row expired (a retention filter, downsampling's :0s): the partition goes whole. Only
      // while no flush runs, since a flush may be writing into its directory.
      if (!h.flushRunning()) h.partitions.removeIfEmpty(p);
      if (h.tombstones.size > 0) h.tombstones.prune(h.partitions.allParts().map(spanOf));
      for (const b of result.lostBlocks ?? []) h.partitions.badBlock(p.name, job.partName, b, true);
      const secs = (performance.now() - started) / 1000;
      this.counters.merges++;
      this.counters.mergeSeconds += secs;
      this.counters.lastMergeSeconds = secs;
      this.counters.mergedRows += result.rowsIn;
    } finally {
      for (const x of inputs) x.unref();
    }
  }
}

/** Every series id in these parts, ascending. */
async function idsIn(parts: readonly Part[]): Promise<number[]> {
  const ids = new Set<number>();
  for (const part of parts) {
    part.idsInRange(-Infinity, Infinity, ids);
    await yieldToLoop();
  }
  return [...ids].sort((a, b) => a - b);
}
