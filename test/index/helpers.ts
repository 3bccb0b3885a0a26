import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { LabelIndex } from '../../src/index/index.js';
import type { Label, LabelMatcher, Labels } from '../../src/model/index.js';

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `strata-index-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `ls('up', {job: 'x'})` → sorted labels with __name__. */
export function ls(name: string, rest: Record<string, string> = {}): Labels {
  const out: Label[] = [{ name: '__name__', value: name }];
  for (const [k, v] of Object.entries(rest)) out.push({ name: k, value: v });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const DAY = 86_400_000;

/** A matcher, shortly: `matcher('job', '=~', 'n.*')`. */
export const matcher = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });

export interface IndexFixture {
  /** The index of the running test. */
  readonly idx: LabelIndex;
  /** Closes the index and opens it again from disk (no in-memory state survives). */
  reopen(): LabelIndex;
}

/** A fresh index in its own temporary directory for each test of the calling file. */
export function useTempIndex(tag: string): IndexFixture {
  let work: { dir: string; cleanup: () => void };
  let idx: LabelIndex;
  beforeEach(() => {
    work = tempDir(tag);
    idx = LabelIndex.open(work.dir);
  });
  afterEach(() => {
    idx.close();
    work.cleanup();
  });
  return {
    get idx() {
      return idx;
    },
    reopen() {
      idx.close();
      idx = LabelIndex.open(work.dir);
      return idx;
    },
  };
}
