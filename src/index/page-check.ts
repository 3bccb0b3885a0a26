import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A structural check of an LMDB data file (the lmdb-js build of LMDB, data version 2, 64-bit
 * little-endian) that runs before LMDB itself touches the file. LMDB trusts its pages: a flipped
 * byte in a branch page, a node offset or a free-list record makes it read out of bounds, or
 * abort on an assertion (`mp->mp_upper >= mp->mp_lower`) on the next write, taking the process
 * down. Here every page reachable from the newest meta page is read with plain file reads and
 * checked: header, bounds of every node, key order within the separator keys of its parents,
 * overflow runs, page numbers in range and reached once, tree depth and counts, and the free
 * list (never naming a page in use). Nothing here can crash: every read is bounds-checked.
 *
 * `walkIndexFile` also hands every entry of every intact leaf of the named databases to a
 * visitor, which is how a damaged index is salvaged (see salvage.ts).
 */

const PAGE_HEADER = 24;
const NODE_HEADER = 8;
const META_MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const DB_RECORD = 48;
const P_INVALID = 2n ** 64n - 1n;
/** Deeper than any real B-tree of this file (4 KiB pages, 1 TiB map). */
const MAX_DEPTH = 32;

export interface PageCheckResult {
  /** Problems found, empty when the file is sound. */
  readonly problems: string[];
  /** Pages in use by the trees (branch, leaf and overflow) and the two meta pages. */
  readonly pages: number;
  readonly pageSize: number;
  /** The transaction of the snapshot walked (0 when none could be). */
  readonly txnid: bigint;
}

export interface WalkOptions {
  maxProblems?: number;
  /** Walk the snapshot of this meta page (salvage tries both), skipping the checks of the pair. */
  meta?: 0 | 1;
  /** Gets every entry of every intact leaf of the named databases, in key order per database. */
  onEntry?: (db: string, key: Buffer, value: Buffer) => void;
}

interface DbRecord {
  readonly flags: number;
  readonly depth: number;
  readonly branch: bigint;
  readonly leaf: bigint;
  readonly overflow: bigint;
  readonly entries: bigint;
  readonly root: bigint;
}

function readDbRecord(b: Buffer, off: number): DbRecord {
  return {
    flags: b.readUInt16LE(off + 4),
    depth: b.readUInt16LE(off + 6),
    branch: b.readBigUInt64LE(off + 8),
    leaf: b.readBigUInt64LE(off + 16),
    overflow: b.readBigUInt64LE(off + 24),
    entries: b.readBigUInt64LE(off + 32),
    root: b.readBigUInt64LE(off + 40),
  };
}

class Problems extends Error {}

/** Checks the LMDB file at `path`; see the module comment. Never throws for what the file holds. */
export function checkIndexFile(path: string, opts: WalkOptions = {}): PageCheckResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return { problems: [`cannot open ${path}: ${(e as Error).message}`], pages: 0, pageSize: 0, txnid: 0n };
  }
  try {
    return new Walker(fd, fstatSync(fd).size, opts).run();
  } finally {
    closeSync(fd);
  }
}

class Walker {
  private readonly problems: string[] = [];
  private readonly maxProblems: number;
  private pageSize = 4096;
  private lastPage = 0;
  private txnid = 0n;
  private rootTxnid = 0n;
  /** Pages reached so far: each may be reached once. */
  private readonly used = new Set<number>();
  private counts = { branch: 0, leaf: 0, overflow: 0, entries: 0 };

  constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    private readonly opts: WalkOptions,
  ) {
    this.maxProblems = opts.maxProblems ?? 20;
  }

  private report(p: string): void {
    this.problems.push(p);
    if (this.problems.length >= this.maxProblems) throw new Problems();
  }

  private read(offset: number, length: number): Buffer | undefined {
    if (offset < 0 || length < 0 || offset + length > this.fileSize) return undefined;
    const b = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, b, got, length - got, offset + got);
      if (n <= 0) return undefined;
      got += n;
    }
    return b;
  }

  run(): PageCheckResult {
    try {
      this.walk();
    } catch (e) {
      if (!(e instanceof Problems)) this.problems.push(`check stopped: ${(e as Error).message}`);
    }
    return { problems: this.problems, pages: this.used.size + 2, pageSize: this.pageSize, txnid: this.rootTxnid };
  }

  private walk(): void {
    const head = this.read(0, PAGE_HEADER + 144);
    if (!head) return this.report(`file of ${this.fileSize} bytes is too short for a meta page`);
    const psize = head.readUInt32LE(PAGE_HEADER + 24);
    const sane = psize >= 512 && psize <= 65536 && (psize & (psize - 1)) === 0;
    if (!sane && this.opts.meta === undefined) return this.report(`meta page 0 names page size ${psize}`);
    this.pageSize = sane ? psize : 4096;
    const metas = [0, 1].map((i) => this.readMeta(i));
    const valid = metas.filter((m): m is Meta => m !== undefined);
    if (valid.length < 2 && this.opts.meta === undefined) return; // reported by readMeta: LMDB refuses or misreads such a file
    if (this.opts.meta !== undefined && metas[this.opts.meta] === undefined) return;
    // Transaction n writes meta page n mod 2, so the two hold consecutive transactions; and a
    // commit always rewrites the root of the free list or of the main database, so one of those
    // carries the meta's transaction id. A damaged id would make LMDB pick the older snapshot.
    const forced = this.opts.meta;
    const [m0, m1] = metas as [Meta, Meta];
    if (forced === undefined) {
      const diff = m0.txnid > m1.txnid ? m0.txnid - m1.txnid : m1.txnid - m0.txnid;
      if (diff > 1n) return this.report(`meta pages name transactions ${m0.txnid} and ${m1.txnid}, which are not consecutive`);
      for (const m of valid) {
        if (m.txnid !== 0n && (m.txnid & 1n) !== BigInt(m.page))
          return this.report(`meta page ${m.page} names transaction ${m.txnid}, which writes the other meta page`);
        if (!this.rootsMatch(m)) return;
      }
    }
    // LMDB uses the meta page of the newest transaction.
    const meta = forced !== undefined ? metas[forced]! : m0.txnid >= m1.txnid ? m0 : m1;
    // The transaction that wrote the snapshot's roots: unlike the meta's own id, a flipped byte
    // there would have to be in a page header.
    for (const root of [meta.free.root, meta.main.root]) {
      const head = root !== P_INVALID && root < BigInt(this.fileSize) ? this.read(Number(root) * this.pageSize, PAGE_HEADER) : undefined;
      if (head && head.readBigUInt64LE(8) > this.rootTxnid) this.rootTxnid = head.readBigUInt64LE(8);
    }
    if (forced !== undefined) this.lastPage = Math.floor(this.fileSize / this.pageSize) - 1;
    else if (meta.lastPage < 1n || (meta.lastPage + 1n) * BigInt(this.pageSize) > BigInt(this.fileSize)) {
      return this.report(`meta page ${meta.page}: last page ${meta.lastPage} lies past the end of the ${this.fileSize}-byte file`);
    } else this.lastPage = Number(meta.lastPage);
    // Salvage picks a snapshot by what its pages say, so it does not trust the meta's id here.
    this.txnid = forced !== undefined ? P_INVALID : meta.txnid;
    const main = this.tree('main', meta.main, 'main');
    for (const [name, rec] of main) this.tree(name, rec, 'named');
    this.tree('free', meta.free, 'free');
  }

  /** Whether a meta page's roots exist and one of them was written by its transaction. */
  private rootsMatch(m: Meta): boolean {
    if (m.txnid === 0n) return true;
    let newest = -1n;
    for (const root of [m.free.root, m.main.root]) {
      if (root === P_INVALID) continue;
      const head = root <= m.lastPage ? this.read(Number(root) * this.pageSize, PAGE_HEADER) : undefined;
      if (!head || head.readBigUInt64LE(0) !== root)
        return (void this.report(`meta page ${m.page}: root page ${root} is missing or names another page`), false);
      const t = head.readBigUInt64LE(8);
      if (t > newest) newest = t;
    }
    if (newest !== -1n && newest !== m.txnid)
      return (void this.report(`meta page ${m.page}: names transaction ${m.txnid}, its roots were written by ${newest}`), false);
    return true;
  }

  private readMeta(i: number): Meta | undefined {
    const b = this.read(i * this.pageSize, PAGE_HEADER + 144);
    if (!b) return void this.report(`meta page ${i} lies past the end of the file`);
    const flags = b.readUInt16LE(18);
    const m = PAGE_HEADER;
    if (b.readBigUInt64LE(0) !== BigInt(i) || (flags & P_META) === 0) return void this.report(`meta page ${i}: not marked as a meta page`);
    if (b.readUInt32LE(m) !== META_MAGIC) return void this.report(`meta page ${i}: bad magic`);
    if ((b.readUInt32LE(m + 4) & 0xffff) !== DATA_VERSION)
      return void this.report(`meta page ${i}: data version ${b.readUInt32LE(m + 4) & 0xffff}, want ${DATA_VERSION}`);
    if (b.readUInt32LE(m + 24) !== this.pageSize && this.opts.meta === undefined) return void this.report(`meta page ${i}: page size differs from meta page 0`);
    return { page: i, free: readDbRecord(b, m + 24), main: readDbRecord(b, m + 72), lastPage: b.readBigUInt64LE(m + 120), txnid: b.readBigUInt64LE(m + 128) };
  }

  /** Walks one B-tree; for the main database returns the named databases it records. */
  private tree(name: string, rec: DbRecord, kind: 'main' | 'named' | 'free'): Map<string, DbRecord> {
    const named = new Map<string, DbRecord>();
    const before = { ...this.counts };
    this.counts = { branch: 0, leaf: 0, overflow: 0, entries: 0 };
    const ok = (() => {
      if (rec.root === P_INVALID) return rec.depth === 0 && rec.entries === 0n;
      if (rec.depth < 1 || rec.depth > MAX_DEPTH) {
        this.report(`database ${name}: depth ${rec.depth}`);
        return false;
      }
      return this.page(name, rec.root, rec.depth, undefined, undefined, kind, named);
    })();
    if (
      ok &&
      (BigInt(this.counts.branch) !== rec.branch ||
        BigInt(this.counts.leaf) !== rec.leaf ||
        BigInt(this.counts.overflow) !== rec.overflow ||
        BigInt(this.counts.entries) !== rec.entries)
    ) {
      this.report(
        `database ${name}: its record counts ${rec.branch} branch, ${rec.leaf} leaf, ${rec.overflow} overflow pages and ${rec.entries} entries; the tree holds ${this.counts.branch}, ${this.counts.leaf}, ${this.counts.overflow} and ${this.counts.entries}`,
      );
    }
    if (!ok && rec.root === P_INVALID) this.report(`database ${name}: empty but its record says depth ${rec.depth}, ${rec.entries} entries`);
    this.counts = before;
    return named;
  }

  /** Claims page `pgno` (and `n - 1` more) for a tree; false when it cannot be. */
  private claim(db: string, pgno: bigint, n = 1): number | undefined {
    if (pgno < 2n || pgno + BigInt(n) - 1n > BigInt(this.lastPage)) {
      this.report(`database ${db}: page number ${pgno} is out of range (2 … ${this.lastPage})`);
      return undefined;
    }
    const p = Number(pgno);
    for (let k = 0; k < n; k++) {
      if (this.used.has(p + k)) {
        this.report(`database ${db}: page ${p + k} is reached twice`);
        return undefined;
      }
    }
    for (let k = 0; k < n; k++) this.used.add(p + k);
    return p;
  }

  /**
   * Checks the subtree at `pgno`, whose keys must lie in [low, high) (separator keys of its
   * parents), `depth` levels above the leaves inclusive. Returns whether it is intact.
   */
  private page(
    db: string,
    pgno: bigint,
    depth: number,
    low: Buffer | undefined,
    high: Buffer | undefined,
    kind: 'main' | 'named' | 'free',
    named: Map<string, DbRecord>,
  ): boolean {
    const p = this.claim(db, pgno);
    if (p === undefined) return false;
    const psize = this.pageSize;
    const b = this.read(p * psize, psize);
    if (!b) return (void this.report(`database ${db}: page ${p} lies past the end of the file`), false);
    const where = `database ${db}, page ${p}`;
    if (b.readBigUInt64LE(0) !== BigInt(p)) return (void this.report(`${where}: its header names page ${b.readBigUInt64LE(0)}`), false);
    const flags = b.readUInt16LE(18);
    const lower = b.readUInt16LE(20);
    const upper = b.readUInt16LE(22);
    const want = depth > 1 ? P_BRANCH : P_LEAF;
    // A page cannot come from a transaction after the snapshot: LMDB would take it for a page it
    // may modify in place.
    if (b.readBigUInt64LE(8) > this.txnid)
      return (void this.report(`${where}: written by transaction ${b.readBigUInt64LE(8)}, after the snapshot's ${this.txnid}`), false);
    if (flags !== want) return (void this.report(`${where}: flags ${flags.toString(16)}, want a ${depth > 1 ? 'branch' : 'leaf'} page`), false);
    const room = psize - PAGE_HEADER;
    if (lower % 2 !== 0 || lower > upper || upper > room || PAGE_HEADER + lower > psize) {
      return (void this.report(`${where}: free-space bounds lower ${lower}, upper ${upper} are impossible`), false);
    }
    const n = lower >> 1;
    if (n === 0) return (void this.report(`${where}: no entries`), false);
    let prevKey: Buffer | undefined;
    const children: { pgno: bigint; key: Buffer }[] = [];
    for (let i = 0; i < n; i++) {
      const ptr = b.readUInt16LE(PAGE_HEADER + 2 * i);
      const at = PAGE_HEADER + ptr;
      if (ptr < upper || ptr + NODE_HEADER > room) return (void this.report(`${where}: node ${i} at offset ${ptr} lies outside the node area`), false);
      const lo = b.readUInt16LE(at);
      const hi = b.readUInt16LE(at + 2);
      const nflags = b.readUInt16LE(at + 4);
      const ksize = b.readUInt16LE(at + 6);
      const keyStart = at + NODE_HEADER;
      if (keyStart + ksize > psize) return (void this.report(`${where}: node ${i}'s key runs past the page`), false);
      const key = b.subarray(keyStart, keyStart + ksize);
      // The first key of a branch page is not stored (its subtree's lower bound is the parent's).
      if (!(want === P_BRANCH && i === 0)) {
        if (prevKey !== undefined && Buffer.compare(prevKey, key) >= 0) return (void this.report(`${where}: keys out of order at node ${i}`), false);
        if (low !== undefined && Buffer.compare(key, low) < 0)
          return (void this.report(`${where}: node ${i}'s key sorts before its parent's separator`), false);
        if (high !== undefined && Buffer.compare(key, high) >= 0)
          return (void this.report(`${where}: node ${i}'s key sorts after its parent's next separator`), false);
        prevKey = key;
      }
      if (want === P_BRANCH) {
        const child = BigInt(lo) | (BigInt(hi) << 16n) | (BigInt(nflags) << 32n);
        children.push({ pgno: child, key: Buffer.from(key) });
        continue;
      }
      const dsize = lo | (hi << 16);
      if (nflags & ~(F_BIGDATA | F_SUBDATA | F_DUPDATA)) return (void this.report(`${where}: node ${i} has unknown flags ${nflags.toString(16)}`), false);
      if (nflags & F_DUPDATA) return (void this.report(`${where}: node ${i} holds duplicates, which no database here uses`), false);
      let value: Buffer | undefined;
      if (nflags & F_BIGDATA) {
        if (keyStart + ksize + 8 > psize) return (void this.report(`${where}: node ${i}'s overflow page number runs past the page`), false);
        value = this.overflow(db, b.readBigUInt64LE(keyStart + ksize), dsize);
        if (value === undefined) continue; // reported; the rest of the leaf is still good
      } else {
        if (keyStart + ksize + dsize > psize) return (void this.report(`${where}: node ${i}'s value runs past the page`), false);
        value = b.subarray(keyStart + ksize, keyStart + ksize + dsize);
      }
      this.counts.entries++;
      if (kind === 'main') {
        if (nflags & F_SUBDATA) {
          if (dsize !== DB_RECORD) return (void this.report(`${where}: the record of database ${key.toString('latin1')} has ${dsize} bytes`), false);
          // lmdb-js stores a database's name with its C string terminator.
          const end = key.length > 0 && key[key.length - 1] === 0 ? key.length - 1 : key.length;
          named.set(key.toString('utf8', 0, end), readDbRecord(value, 0));
        }
      } else if (kind === 'free') this.freeRecord(where, value);
      else this.opts.onEntry?.(db, Buffer.from(key), Buffer.from(value));
    }
    if (want === P_LEAF) {
      this.counts.leaf++;
      return true;
    }
    this.counts.branch++;
    let intact = true;
    for (let i = 0; i < children.length; i++) {
      const from = i === 0 ? low : children[i]!.key;
      const to = i + 1 < children.length ? children[i + 1]!.key : high;
      if (!this.page(db, children[i]!.pgno, depth - 1, from, to, kind, named)) intact = false;
    }
    return intact;
  }

  private overflow(db: string, pgno: bigint, size: number): Buffer | undefined {
    const psize = this.pageSize;
    if (pgno < 2n || pgno > BigInt(this.lastPage)) return void this.report(`database ${db}: overflow page number ${pgno} is out of range`);
    const head = this.read(Number(pgno) * psize, PAGE_HEADER);
    if (!head) return void this.report(`database ${db}: overflow page ${pgno} lies past the end of the file`);
    const where = `database ${db}, overflow page ${pgno}`;
    if (head.readBigUInt64LE(0) !== pgno || head.readUInt16LE(18) !== P_OVERFLOW || head.readBigUInt64LE(8) > this.txnid)
      return void this.report(`${where}: not marked as an overflow page`);
    const pages = head.readUInt32LE(20);
    const need = Math.floor((PAGE_HEADER - 1 + size) / psize) + 1;
    if (pages !== need) return void this.report(`${where}: spans ${pages} pages, its value needs ${need}`);
    if (this.claim(db, pgno, pages) === undefined) return undefined;
    this.counts.overflow += pages;
    return this.read(Number(pgno) * psize + PAGE_HEADER, size) ?? void this.report(`${where}: runs past the end of the file`);
  }

  /** A free-list record: a count, then page numbers, a non-positive entry -k starting a run of k pages. */
  private freeRecord(where: string, v: Buffer): void {
    if (v.length < 8 || v.length % 8 !== 0) return this.report(`${where}: a free-list record of ${v.length} bytes`);
    const count = v.readBigUInt64LE(0);
    if (count > BigInt(v.length / 8 - 1)) return this.report(`${where}: a free-list record counts ${count} pages in ${v.length} bytes`);
    const n = Number(count);
    for (let i = 1; i <= n; i++) {
      let run = 1n;
      let pg = v.readBigInt64LE(i * 8);
      if (pg <= 0n) {
        if (pg === 0n) continue;
        run = -pg;
        if (++i > n) return this.report(`${where}: a free-list run has no page number`);
        pg = v.readBigInt64LE(i * 8);
      }
      if (pg < 2n || pg + run - 1n > BigInt(this.lastPage)) return this.report(`${where}: free page ${pg} (run of ${run}) is out of range`);
      for (let k = 0n; k < run; k++) {
        if (this.used.has(Number(pg + k))) return this.report(`${where}: page ${pg + k} is both free and in use`);
      }
    }
  }
}

interface Meta {
  readonly page: number;
  readonly free: DbRecord;
  readonly main: DbRecord;
  readonly lastPage: bigint;
  readonly txnid: bigint;
}
