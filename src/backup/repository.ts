/**
 * The backup repository layout (docs/format/backup.md), the same in a directory and a bucket:
 *   objects/<2 hex>/<sha256>          file contents, stored once whatever backups share them
 *   <name>/manifest.json              the backup: its files with size and sha256, written first
 *   <name>/backup_complete.ignore     written last; removed when a run starts
 *   <name>/lock.json                  present while the backup is locked against prune
 */
import type { Destination } from './destination.js';
import { IntegrityError, TransferError } from './errors.js';
import { OBJECTS_DIR } from './location.js';

export const MANIFEST_KEY = 'manifest.json';
export const COMPLETE_MARKER = 'backup_complete.ignore';
export const LOCK_KEY = 'lock.json';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly formatVersion: typeof BACKUP_FORMAT_VERSION;
  readonly name: string;
  /** When the backup ran (prune's buckets are taken from this). */
  readonly createdAt: string;
  readonly snapshot: { readonly name: string; readonly createdAt: string; readonly formats: Readonly<Record<string, string | number>> };
  readonly origin?: string;
  readonly files: readonly BackupFile[];
}

export function objectKey(sha256: string): string {
  return `${OBJECTS_DIR}/${sha256.slice(0, 2)}/${sha256}`;
}

export function hashOfObjectKey(key: string): string | null {
  const m = /^objects\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(key);
  return m ? m[1]! : null;
}

export interface BackupEntry {
  readonly name: string;
  readonly manifest: BackupManifest | null;
  readonly complete: boolean;
  readonly locked: boolean;
}

export class Repository {
  constructor(readonly dest: Destination) {}

  async readManifest(name: string): Promise<BackupManifest | null> {
    const raw = await this.dest.readSmall(`${name}/${MANIFEST_KEY}`);
    if (!raw) return null;
    let m: BackupManifest;
    try {
      m = JSON.parse(raw.toString('utf8')) as BackupManifest;
    } catch (e) {
      throw new IntegrityError(`${this.dest.url}/${name}/${MANIFEST_KEY} is not JSON: ${(e as Error).message}`);
    }
    if (m.formatVersion !== BACKUP_FORMAT_VERSION || !Array.isArray(m.files)) {
      throw new IntegrityError(`${this.dest.url}/${name}/${MANIFEST_KEY} is not a Strata backup manifest (formatVersion ${BACKUP_FORMAT_VERSION})`);
    }
    return m;
  }

  async writeManifest(m: BackupManifest): Promise<void> {
    const body = Buffer.from(JSON.stringify(m, null, 1) + '\n');
    await this.dest.write(`${m.name}/${MANIFEST_KEY}`, body, body.length);
  }

  async isComplete(name: string): Promise<boolean> {
    return (await this.dest.size(`${name}/${COMPLETE_MARKER}`)) !== null;
  }

  async markComplete(name: string): Promise<void> {
    const body = Buffer.from(`${new Date().toISOString()}\n`);
    await this.dest.write(`${name}/${COMPLETE_MARKER}`, body, body.length);
  }

  async markIncomplete(name: string): Promise<void> {
    await this.dest.delete([`${name}/${COMPLETE_MARKER}`]);
  }

  async setLocked(name: string, locked: boolean): Promise<void> {
    if ((await this.readManifest(name)) === null) throw new TransferError(`no backup ${JSON.stringify(name)} in ${this.dest.url}`);
    if (locked) {
      const body = Buffer.from(JSON.stringify({ lockedAt: new Date().toISOString() }) + '\n');
      await this.dest.write(`${name}/${LOCK_KEY}`, body, body.length);
    } else {
      await this.dest.delete([`${name}/${LOCK_KEY}`]);
    }
  }

  /** Stored objects by hash, with their sizes. */
  async objects(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const o of await this.dest.list(`${OBJECTS_DIR}/`)) {
      const h = hashOfObjectKey(o.key);
      if (h) out.set(h, o.size);
    }
    return out;
  }

  /** Every backup in the repository (anything with a manifest, marker or lock), by name. */
  async backups(): Promise<BackupEntry[]> {
    const byName = new Map<string, Set<string>>();
    for (const o of await this.dest.list('')) {
      const slash = o.key.indexOf('/');
      if (slash < 0) continue;
      const name = o.key.slice(0, slash);
      if (name === OBJECTS_DIR) continue;
      let files = byName.get(name);
      if (!files) byName.set(name, (files = new Set()));
      files.add(o.key.slice(slash + 1));
    }
    const out: BackupEntry[] = [];
    for (const [name, files] of [...byName].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const manifest = files.has(MANIFEST_KEY) ? await this.readManifest(name) : null;
      out.push({ name, manifest, complete: files.has(COMPLETE_MARKER), locked: files.has(LOCK_KEY) });
    }
    return out;
  }

  async deleteBackup(name: string): Promise<void> {
    // The marker goes first: a half-deleted backup must not look complete.
    await this.dest.delete([`${name}/${COMPLETE_MARKER}`, `${name}/${MANIFEST_KEY}`, `${name}/${LOCK_KEY}`]);
  }
}
