import * as fs from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { DAMAGE_FILE, DamageLog, type DamageEntry } from './damage.js';
import { PartCorruptError, StorageError } from './errors.js';
import type { JobResult } from './jobs.js';
import { MANIFEST, readManifest, writeManifest } from './manifest.js';
import { Part } from './part.js';
import type { PartType } from './part-format.js';
import { TOMBSTONES_FILE, type PartSpan } from './tombstones.js';

/**
 * Partitions: one directory per UTC calendar month under `<data>/data`, each with a manifest of
 * its live parts (docs/format/manifest.md). This module names them, loads them, installs the
 * parts flushes and merges write, takes damaged parts out of service, and drops whole months
 * past retention.
 */

/**
 * Timestamps storage can place: JavaScript's Date range (±8.64e15 ms, about ±273,790 years), so
 * every storable row has a calendar month and so a partition. Ingestion refuses rows outside it.
 */
export const MIN_STORABLE_T = -8.64e15;
export const MAX_STORABLE_T = 8.64e15;

/** UTC midnight of the first day of month `m` (0-based, may overflow into the next year) of year `y`; any year, 0–99 included. */
function monthStart(y: number, m: number): number {
  const d = new Date(0);
  d.setUTCFullYear(y, m, 1);
  return d.getTime();
}

/**
 * Partition directory name for a timestamp: its UTC calendar month, `YYYY_MM`. Years past 9999
 * take more digits and years before 0 a minus sign, so any storable time has a name that
 * partitionRange reads back (one far-future row once made every flush fail).
 */
export function partitionKey(t: number): string {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  if (Number.isNaN(y)) throw new RangeError(`timestamp ${t} is outside the storable range`);
  const year = (y < 0 ? '-' : '') + String(Math.abs(y)).padStart(4, '0');
  return `${year}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** [start, end) in ms of the month a timestamp falls in. */
export function monthRange(t: number): [number, number] {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return clampMonth(monthStart(y, m), monthStart(y, m + 1));
}

/** The first and last months are cut by the Date range: their bounds are that range's ends. */
function clampMonth(start: number, end: number): [number, number] {
  return [Number.isNaN(start) ? MIN_STORABLE_T : start, Number.isNaN(end) ? MAX_STORABLE_T + 1 : end];
}

export const PARTITION_RE = /^(-?\d{4,6})_(\d{2})$/;

/** [start, end) in ms of a partition named by partitionKey. */
export function partitionRange(name: string): [number, number] {
  const m = PARTITION_RE.exec(name);
  if (!m) throw new Error(`not a partition name: ${name}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return clampMonth(monthStart(y, mo), monthStart(y, mo + 1));
}

export interface Partition {
  readonly name: string;
  readonly dir: string;
  readonly start: number;
  readonly end: number;
  /** Live parts, oldest data first; replaced (never mutated) so readers can hold on to one. */
  parts: readonly Part[];
}

/** A bad part's or block's location and reason, as damage is recorded. */
export interface BadBlock {
  seriesId: number;
  minT: number;
  maxT: number;
  reason?: string;
  message?: string;
}

export interface PartitionTotals {
  rowsByPartType: Record<PartType, number>;
  partsByType: Record<PartType, number>;
  diskBytes: number;
}

/** The live partitions of one data directory, and the damage found in them. */
export class PartitionSet {
  private readonly map = new Map<string, Partition>();
  private readonly quarantineDir: string;
  readonly damage: DamageLog;
  quarantinedParts = 0;
  damagedBlocks = 0;
  /**
   * Parts that left without a successor listing their series (series-listing.ts): quarantined,
   * dropped with their partition, or replaced by a merge that wrote nothing or could not read
   * every input's series table.
   */
  seriesTablesLost = 0;

  constructor(
    readonly dataDir: string,
    private readonly report: (err: Error) => void,
  ) {
    this.quarantineDir = join(dataDir, 'quarantine');
    this.damage = DamageLog.load(dataDir);
  }

  /**
   * Opens every partition's listed parts, quarantining those that fail to open, and deletes
   * leftovers of interrupted flushes and merges. Returns the next free part sequence number.
   */
  load(verifyData: boolean): number {
    let nextSeq = 1;
    for (const name of fs.readdirSync(this.dataDir)) {
      if (!PARTITION_RE.test(name)) continue;
      const dir = join(this.dataDir, name);
      const [start, end] = partitionRange(name);
      const listed = readManifest(dir)?.parts ?? [];
      const parts: Part[] = [];
      for (const pn of listed) {
        try {
          parts.push(Part.open(join(dir, pn), pn, { verifyData }));
        } catch (e) {
          if (!(e instanceof PartCorruptError)) throw e;
          this.quarantine(name, pn, e);
        }
        nextSeq = Math.max(nextSeq, parseInt(pn, 16) + 1);
      }
      // Anything else in the directory is a leftover of an interrupted flush or merge.
      const keep = new Set(parts.map((p) => p.name));
      for (const entry of fs.readdirSync(dir)) {
        if (entry === MANIFEST || keep.has(entry)) continue;
        fs.rmSync(join(dir, entry), { recursive: true, force: true });
        if (/^[0-9a-f]{16}$/.test(entry)) nextSeq = Math.max(nextSeq, parseInt(entry, 16) + 1);
      }
      if (parts.length !== listed.length)
        writeManifest(
          dir,
          parts.map((p) => p.name),
        );
      this.map.set(name, { name, dir, start, end, parts });
    }
    return nextSeq;
  }

  get size(): number {
    return this.map.size;
  }

  values(): IterableIterator<Partition> {
    return this.map.values();
  }

  names(): IterableIterator<string> {
    return this.map.keys();
  }

  /** Whether `p` is still the live partition of its name (retention may have dropped it). */
  isLive(p: Partition): boolean {
    return this.map.get(p.name) === p;
  }

  /** Partitions whose month overlaps [minT, maxT]. */
  overlapping(minT: number, maxT: number): Partition[] {
    const out: Partition[] = [];
    for (const p of this.map.values()) if (p.end > minT && p.start <= maxT) out.push(p);
    return out;
  }

  /** Every live part of every partition. */
  allParts(): Part[] {
    return [...this.map.values()].flatMap((p) => p.parts);
  }

  private partitionFor(name: string): Partition {
    let p = this.map.get(name);
    if (!p) {
      const [start, end] = partitionRange(name);
      p = { name, dir: join(this.dataDir, name), start, end, parts: [] };
      this.map.set(name, p);
    }
    return p;
  }

  private setParts(p: Partition, parts: readonly Part[]): void {
    writeManifest(
      p.dir,
      parts.map((x) => x.name),
    );
    p.parts = parts;
  }

  /** Opens freshly written parts and commits them to manifests, replacing `inputs` if given. */
  install(result: JobResult, inputs: readonly Part[]): void {
    for (const w of result.parts) {
      const p = this.partitionFor(w.partition);
      const dir = join(p.dir, w.name);
      const fresh = w.meta.rows > 0 ? Part.open(dir, w.name, { verifyData: false }) : null;
      if (!fresh) fs.rmSync(dir, { recursive: true, force: true });
      if (inputs.length > 0 && (!fresh || result.seriesTablesIncomplete)) this.seriesTablesLost++;
      if (inputs.length === 0) {
        if (fresh) this.setParts(p, [...p.parts, fresh]);
        continue;
      }
      // The merged part takes the place of the newest input still listed, so newer parts still
      // win ties (an input may have been quarantined meanwhile; its rows were merged anyway).
      let lastAt = -1;
      p.parts.forEach((x, i) => {
        if (inputs.includes(x)) lastAt = i;
      });
      const next: Part[] = [];
      p.parts.forEach((x, i) => {
        if (!inputs.includes(x)) next.push(x);
        if (i === lastAt && fresh) next.push(fresh);
      });
      if (lastAt < 0 && fresh) next.push(fresh);
      this.setParts(p, next);
      for (const x of inputs) {
        x.onRelease = () => fs.rmSync(x.dir, { recursive: true, force: true });
        x.retire();
      }
    }
  }

  /** Removes a partition left without parts (every row expired in a merge). */
  removeIfEmpty(p: Partition): void {
    if (p.parts.length > 0 || this.map.get(p.name) !== p) return;
    this.map.delete(p.name);
    this.seriesTablesLost++;
    fs.rmSync(p.dir, { recursive: true, force: true });
  }

  /** Drops whole partitions that lie entirely before `minValidT` (retention). */
  dropBefore(minValidT: number): void {
    for (const p of [...this.map.values()]) {
      if (p.end > minValidT) continue;
      this.map.delete(p.name);
      this.seriesTablesLost++;
      for (const part of p.parts) part.retire();
      // Open readers keep their file descriptors; on POSIX the data stays readable for them.
      fs.rmSync(p.dir, { recursive: true, force: true });
    }
    if (this.damage.size > 0) this.damage.retain(new Set(this.map.keys()));
  }

  /** Moves a bad part out of the way (kept for inspection) and says so. */
  private quarantine(partition: string, partName: string, err: PartCorruptError, range?: { minT: number; maxT: number }): void {
    this.quarantinedParts++;
    // Without readable metadata the part's time range is unknown: its whole month is suspect.
    const [start, end] = partitionRange(partition);
    this.damage.record({
      partition,
      part: partName,
      kind: 'part',
      seriesId: null,
      minT: range?.minT ?? start,
      maxT: range?.maxT ?? end - 1,
      reason: err.message,
      lost: false,
    });
    fs.mkdirSync(this.quarantineDir, { recursive: true });
    const dest = join(this.quarantineDir, `${partition}_${partName}_${Date.now()}`);
    try {
      fs.renameSync(join(this.dataDir, partition, partName), dest);
    } catch {
      // Already gone: nothing left to move.
    }
    this.report(new StorageError(`${err.message}; quarantined to ${dest} and no longer served`));
  }

  /** Records a damaged block (once) and says so; `lost`: a merge left it out for good. */
  badBlock(partition: string, partName: string, e: BadBlock, lost: boolean): void {
    const reason = e.reason ?? e.message ?? 'damaged';
    const fresh = this.damage.record({ partition, part: partName, kind: 'block', seriesId: e.seriesId, minT: e.minT, maxT: e.maxT, reason, lost });
    if (!fresh) return;
    this.damagedBlocks++;
    this.report(
      new StorageError(
        `partition ${partition}: ${lost ? 'merge dropped' : 'not serving'} a damaged block of series ${e.seriesId} (${new Date(e.minT).toISOString()} to ${new Date(e.maxT).toISOString()}): ${reason}`,
      ),
    );
  }

  /** Takes a part found corrupt out of its manifest; it is quarantined once no reader holds it. */
  dropCorruptPart(partition: string, part: Part, err: PartCorruptError): void {
    const p = this.map.get(partition);
    if (!p || !p.parts.includes(part)) return;
    this.seriesTablesLost++;
    this.setParts(
      p,
      p.parts.filter((x) => x !== part),
    );
    part.onRelease = () => this.quarantine(partition, part.name, err, part.meta);
    part.retire();
  }

  /**
   * Recomputes the checksums of every live part's files (for `strata verify`); corrupt parts are
   * quarantined as on open. Returns what was checked and what was taken out of service.
   */
  async verifyParts(): Promise<{ checked: number; quarantined: string[] }> {
    const quarantined: string[] = [];
    let checked = 0;
    for (const p of [...this.map.values()]) {
      for (const part of [...p.parts]) {
        part.ref();
        try {
          part.verifyData();
        } catch (e) {
          if (!(e instanceof PartCorruptError)) throw e;
          quarantined.push(part.dir);
          this.dropCorruptPart(p.name, part, e);
        } finally {
          part.unref();
        }
        checked++;
        await yieldToLoop();
      }
    }
    return { checked, quarantined };
  }

  /**
   * Hard-links every file of every live part under `destDataDir/<partition>/<part>/`, writes each
   * partition's manifest there and copies the tombstones and damage log; returns the paths made,
   * relative to `destDataDir`. Runs without yielding: merges install their output and delete
   * retired parts, and retention drops partitions, only on this thread, so the set linked is
   * exactly one moment's manifests and no file can vanish between reading a manifest and linking
   * its parts.
   */
  linkLiveParts(destDataDir: string): string[] {
    const made: string[] = [];
    fs.mkdirSync(destDataDir, { recursive: true });
    for (const p of this.map.values()) {
      const dest = join(destDataDir, p.name);
      fs.mkdirSync(dest, { recursive: true });
      for (const part of p.parts) {
        const partDest = join(dest, part.name);
        fs.mkdirSync(partDest);
        for (const f of fs.readdirSync(part.dir)) {
          fs.linkSync(join(part.dir, f), join(partDest, f));
          made.push(`${p.name}/${part.name}/${f}`);
        }
      }
      writeManifest(
        dest,
        p.parts.map((x) => x.name),
      );
      made.push(`${p.name}/${MANIFEST}`);
    }
    // Ranged deletions name the parts they cover, and the damage log what those parts lack.
    for (const f of [TOMBSTONES_FILE, DAMAGE_FILE]) {
      if (!fs.existsSync(join(this.dataDir, f))) continue;
      fs.copyFileSync(join(this.dataDir, f), join(destDataDir, f));
      made.push(f);
    }
    return made;
  }

  /** What is known to be unservable in [minT, maxT] (for query warnings). */
  damageIn(minT: number, maxT: number): DamageEntry[] {
    return this.damage.size === 0 ? [] : this.damage.overlapping(minT, maxT);
  }

  totals(): PartitionTotals {
    const rowsByPartType: Record<PartType, number> = { small: 0, big: 0 };
    const partsByType: Record<PartType, number> = { small: 0, big: 0 };
    let diskBytes = 0;
    for (const part of this.allParts()) {
      rowsByPartType[part.type] += part.meta.rows;
      partsByType[part.type]++;
      for (const f of Object.values(part.meta.files)) diskBytes += f.size;
    }
    return { rowsByPartType, partsByType, diskBytes };
  }

  /** Retires every part (close). */
  retireAll(): void {
    for (const part of this.allParts()) part.retire();
  }
}

/** A part as tombstones see it: sequence number (its name, in hex) and time range. */
export function spanOf(part: Part): PartSpan {
  return { seq: parseInt(part.name, 16), minT: part.meta.minT, maxT: part.meta.maxT };
}
