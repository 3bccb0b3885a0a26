/**
 * How far one destination has been sent: a position in the WAL, saved (fsynced) after each
 * answered request, so a crash repeats at most the last request (delivery is at least once).
 * Format: docs/format/forward.md.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { WalLog } from '../storage/index.js';
import type { Position } from './segments.js';

export class CursorFile {
  readonly path: string;

  /** The samples' log keeps the name it had before histograms were forwarded: `<hash>.cursor`. */
  constructor(dir: string, url: string, log: WalLog = 'samples') {
    // Named by a hash of the URL: credentials in it never reach a file name.
    const hash = createHash('sha256').update(url).digest('hex').slice(0, 16);
    this.path = join(dir, log === 'samples' ? `${hash}.cursor` : `${hash}.${log}.cursor`);
  }

  load(): Position | null {
    try {
      const o = JSON.parse(fs.readFileSync(this.path, 'utf8')) as { seq?: unknown; off?: unknown };
      if (typeof o.seq === 'number' && typeof o.off === 'number' && o.seq >= 0 && o.off >= 0) return { seq: o.seq, off: o.off };
    } catch {
      // Missing or unreadable: start from the oldest data still in the WAL.
    }
    return null;
  }

  save(p: Position, shownUrl: string): void {
    const tmp = this.path + '.tmp';
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ url: shownUrl, seq: p.seq, off: p.off }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.path);
    const d = fs.openSync(dirname(this.path), 'r');
    try {
      fs.fsyncSync(d);
    } catch {
      // Some filesystems refuse fsync on directories.
    } finally {
      fs.closeSync(d);
    }
  }
}
