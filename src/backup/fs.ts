/**
 * A destination in a local directory (`fs:///abs/path`). Objects are written to a temporary file
 * beside their final name, fsynced and renamed, so a killed backup leaves only `*.tmp-*` files,
 * which cleanupIncomplete removes.
 */
import * as fs from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Destination, StoredObject } from './destination.js';
import { BackupError, TransferError } from './errors.js';

const TMP_MARK = '.tmp-';

function ioError(what: string, e: unknown): TransferError {
  return new TransferError(`${what}: ${(e as Error).message}`);
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await fs.promises.open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsDestination implements Destination {
  readonly url: string;

  constructor(private readonly root: string) {
    this.url = `fs://${root}`;
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw ioError(`cannot list ${dir}`, e);
      }
      for (const ent of entries) {
        const abs = join(dir, ent.name);
        const key = relative(this.root, abs).split(sep).join('/');
        if (ent.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(key + '/')) await walk(abs);
        } else if (ent.isFile() && key.startsWith(prefix) && !ent.name.includes(TMP_MARK)) {
          out.push({ key, size: (await fs.promises.stat(abs)).size });
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await fs.promises.stat(this.path(key))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError(`cannot stat ${this.path(key)}`, e);
    }
  }

  async read(key: string): Promise<Readable> {
    const path = this.path(key);
    try {
      const fh = await fs.promises.open(path, 'r');
      return fh.createReadStream({ highWaterMark: 1 << 20 });
    } catch (e) {
      throw ioError(`cannot read ${path}`, e);
    }
  }

  async readSmall(key: string): Promise<Buffer | null> {
    try {
      return await fs.promises.readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError(`cannot read ${this.path(key)}`, e);
    }
  }

  async write(key: string, body: Readable | Buffer, size: number): Promise<void> {
    const path = this.path(key);
    const tmp = `${path}${TMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      await fs.promises.mkdir(dirname(path), { recursive: true });
      const src = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(src, fs.createWriteStream(tmp));
      await fsyncFile(tmp);
      const written = (await fs.promises.stat(tmp)).size;
      if (written !== size) throw new Error(`wrote ${written} bytes, expected ${size}`);
      await fs.promises.rename(tmp, path);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      if (e instanceof BackupError) throw e;
      throw ioError(`cannot write ${path}`, e);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      try {
        await fs.promises.rm(this.path(k), { force: true });
      } catch (e) {
        throw ioError(`cannot delete ${this.path(k)}`, e);
      }
    }
  }

  async cleanupIncomplete(): Promise<number> {
    let n = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const ent of entries) {
        const abs = join(dir, ent.name);
        if (ent.isDirectory()) await walk(abs);
        else if (ent.name.includes(TMP_MARK)) {
          await fs.promises.rm(abs, { force: true });
          n++;
        }
      }
    };
    await walk(this.root);
    return n;
  }

  close(): void {}
}
