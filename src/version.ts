/** Build information read once from the package manifest that ships with dist/. */
import { readFileSync } from 'node:fs';

interface Manifest {
  name: string;
  version: string;
}

function readManifest(): Manifest {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const m = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as Manifest;
      if (m.name === 'strata') return m;
    } catch {
      // try the next candidate: src/ and dist/ sit at the same depth, tests may not
    }
  }
  return { name: 'strata', version: '0.0.0' };
}

export const manifest: Manifest = readManifest();

export const buildInfo = {
  version: manifest.version,
  revision: 'unknown',
  branch: 'main',
  buildUser: 'strata',
  buildDate: 'unknown',
  goVersion: `node${process.versions.node}`,
} as const;
