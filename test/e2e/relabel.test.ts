/** --relabelConfig applies Prometheus relabel_configs on ingest and is reloaded on SIGHUP. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { instant, series, writeV1 } from './client.js';

const now = Math.floor(Date.now() / 1000) * 1000;

describe('relabeling on ingest', () => {
  let s: StrataProcess;
  let file: string;
  beforeAll(async () => {
    file = join(tempDir('strata-relabel-'), 'relabel.yml');
    writeFileSync(file, "- source_labels: [__name__]\n  regex: 'go_.*'\n  action: drop\n- target_label: env\n  replacement: prod\n");
    s = await startStrata({ args: [`--relabelConfig=${file}`] });
  });
  afterAll(() => s.stop());

  it('drops and rewrites series as the config says', async () => {
    const r = await writeV1(s.url, [series('go_goroutines', { job: 'a' }, [now], [10]), series('kept_metric', { job: 'a' }, [now], [1])]);
    expect(r.status).toBe(204);
    expect(await instant(s.url, 'go_goroutines', now / 1000)).toHaveLength(0);
    expect((await instant(s.url, 'kept_metric', now / 1000))[0]!.metric).toEqual({ __name__: 'kept_metric', env: 'prod', job: 'a' });
  });

  it('reloads the config on SIGHUP', async () => {
    writeFileSync(file, '- target_label: env\n  replacement: staging\n');
    s.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect(s.stderr()).toContain('relabel config reloaded');
    await writeV1(s.url, [series('go_goroutines', { job: 'b' }, [now], [10])]);
    expect((await instant(s.url, 'go_goroutines', now / 1000))[0]!.metric).toEqual({ __name__: 'go_goroutines', env: 'staging', job: 'b' });
  });

  it('keeps the old config when the new file is broken', async () => {
    writeFileSync(file, '- action: nonsense\n');
    s.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect(s.stderr()).toContain('relabel config reload failed');
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });
});
