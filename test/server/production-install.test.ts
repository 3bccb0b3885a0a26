/**
 * Does what the Docker image does, since no Docker engine runs here: `npm pack`, a production-only
 * install of the tarball in an empty directory, and the installed `strata` binary serving /health.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startStrata, tempDir } from '../helpers/strata-process.js';

describe('production install (what the Dockerfile does)', () => {
  it('installs from the packed tarball without dev dependencies and serves /health', async () => {
    const packDir = tempDir('strata-pack-');
    execFileSync('npm', ['pack', '--pack-destination', packDir], { cwd: ROOT, stdio: 'ignore' });
    const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'))!;
    const installDir = tempDir('strata-install-');
    writeFileSync(join(installDir, 'package.json'), '{"name":"strata-image","private":true}');
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', join(packDir, tgz)], { cwd: installDir, stdio: 'ignore' });

    const pkgDir = join(installDir, 'node_modules', 'strata');
    expect(existsSync(join(pkgDir, 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(join(installDir, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(installDir, 'node_modules', 'typescript'))).toBe(false);

    const s = await startStrata({ cli: join(installDir, 'node_modules', '.bin', 'strata') });
    try {
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      // The web UI ships prebuilt inside dist/: no bundler or UI library is installed.
      const ui = await fetch(`${s.url}/vmui/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('<script type="module"');
      expect(existsSync(join(installDir, 'node_modules', 'esbuild'))).toBe(false);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 240_000);
});
