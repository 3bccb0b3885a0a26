import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, Labels } from '../../src/model/index.js';

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
