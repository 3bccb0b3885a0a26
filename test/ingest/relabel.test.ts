import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaNAt } from '../../src/model/index.js';
import {
  RelabelConfigError,
  Relabeler,
  applyRelabel,
  canonicalKey,
  decodeRemoteWriteV1,
  encodeRemoteWriteV1,
  parseRelabelConfigs,
} from '../../src/ingest/index.js';

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
const relabel = (yaml: string, labels: Record<string, string>) => {
  const out = applyRelabel(parseRelabelConfigs(yaml), L(labels));
  return out === null ? null : Object.fromEntries(out.map((l) => [l.name, l.value]));
};

describe('relabel actions', () => {
  it('replace: copies with capture groups into a templated target', () => {
    expect(
      relabel(
        `- source_labels: [instance]
  regex: '(.*):(\\d+)'
  target_label: host_\${2}
  replacement: h-$1`,
        { __name__: 'up', instance: 'web1:9100' },
      ),
    ).toEqual({ __name__: 'up', instance: 'web1:9100', host_9100: 'h-web1' });
  });

  it('replace: uses defaults (regex (.*), replacement $1, separator ;)', () => {
    expect(relabel(`- source_labels: [a, b]\n  target_label: ab`, { __name__: 'x', a: '1', b: '2' })).toEqual({ __name__: 'x', a: '1', b: '2', ab: '1;2' });
  });

  it('replace: does nothing when the anchored regex does not match', () => {
    expect(relabel(`- source_labels: [job]\n  regex: nod\n  target_label: t\n  replacement: y`, { __name__: 'x', job: 'node' })).toEqual({
      __name__: 'x',
      job: 'node',
    });
  });

  it('replace: an empty result deletes the target label', () => {
    expect(relabel(`- source_labels: [missing]\n  target_label: job`, { __name__: 'x', job: 'node' })).toEqual({ __name__: 'x' });
  });

  it('replace: $1x names a group that does not exist, as in Go, while ${1}x works', () => {
    expect(relabel(`- source_labels: [a]\n  regex: (.)\n  target_label: t\n  replacement: $1x-\${1}x-$$`, { __name__: 'x', a: 'q' })).toEqual({
      __name__: 'x',
      a: 'q',
      t: '-qx-$',
    });
  });

  it('replace: supports named groups written the RE2 way', () => {
    expect(relabel(`- source_labels: [a]\n  regex: '(?P<first>\\w)\\w*'\n  target_label: t\n  replacement: $first`, { __name__: 'x', a: 'hello' })).toEqual({
      __name__: 'x',
      a: 'hello',
      t: 'h',
    });
  });

  it('keep and drop filter on the joined source values', () => {
    const yaml = `- source_labels: [__name__]\n  regex: 'go_.*'\n  action: drop`;
    expect(relabel(yaml, { __name__: 'go_goroutines' })).toBeNull();
    expect(relabel(yaml, { __name__: 'up' })).toEqual({ __name__: 'up' });
    const keep = `- source_labels: [env]\n  regex: prod|staging\n  action: keep`;
    expect(relabel(keep, { __name__: 'up', env: 'dev' })).toBeNull();
    expect(relabel(keep, { __name__: 'up', env: 'prod' })).toEqual({ __name__: 'up', env: 'prod' });
  });

  it('keepequal and dropequal compare source values with the target label', () => {
    const keep = `- source_labels: [a]\n  target_label: b\n  action: keepequal`;
    expect(relabel(keep, { __name__: 'x', a: '1', b: '1' })).not.toBeNull();
    expect(relabel(keep, { __name__: 'x', a: '1', b: '2' })).toBeNull();
    const drop = `- source_labels: [a]\n  target_label: b\n  action: dropequal`;
    expect(relabel(drop, { __name__: 'x', a: '1', b: '1' })).toBeNull();
  });

  it('hashmod matches Prometheus (md5, last 8 bytes, modulus)', () => {
    const out = relabel(`- source_labels: [instance]\n  modulus: 10\n  target_label: shard\n  action: hashmod`, { __name__: 'x', instance: 'web1:9100' });
    expect(out!['shard']).toMatch(/^\d$/);
    const again = relabel(`- source_labels: [instance]\n  modulus: 10\n  target_label: shard\n  action: hashmod`, { __name__: 'x', instance: 'web1:9100' });
    expect(again!['shard']).toBe(out!['shard']);
    // md5("foo") = acbd18db4cc2f85c edef654fccc4a4d8: Prometheus takes the second half.
    expect(relabel(`- source_labels: [a]\n  modulus: 1000000\n  target_label: s\n  action: hashmod`, { a: 'foo' })!['s']).toBe('28696');
  });

  it('labelmap copies matching labels under new names', () => {
    expect(relabel(`- regex: '__meta_(.+)'\n  action: labelmap`, { __name__: 'x', __meta_zone: 'eu', a: 'b' })).toEqual({
      __name__: 'x',
      __meta_zone: 'eu',
      a: 'b',
      zone: 'eu',
    });
  });

  it('labeldrop and labelkeep remove labels by name', () => {
    expect(relabel(`- regex: 'tmp_.*'\n  action: labeldrop`, { __name__: 'x', tmp_a: '1', keep: '2' })).toEqual({ __name__: 'x', keep: '2' });
    expect(relabel(`- regex: '__name__|job'\n  action: labelkeep`, { __name__: 'x', job: 'j', other: 'o' })).toEqual({ __name__: 'x', job: 'j' });
  });

  it('lowercase and uppercase', () => {
    expect(relabel(`- source_labels: [a]\n  target_label: a\n  action: lowercase`, { __name__: 'x', a: 'MiXeD' })).toEqual({ __name__: 'x', a: 'mixed' });
    expect(relabel(`- source_labels: [a]\n  target_label: b\n  action: uppercase`, { __name__: 'x', a: 'MiXeD' })).toEqual({
      __name__: 'x',
      a: 'MiXeD',
      b: 'MIXED',
    });
  });

  it('drops a series left without labels', () => {
    expect(relabel(`- regex: '.*'\n  action: labeldrop`, { __name__: 'x' })).toBeNull();
  });

  it('applies (?i) as a case-insensitive flag', () => {
    expect(relabel(`- source_labels: [a]\n  regex: '(?i)abc'\n  action: drop`, { __name__: 'x', a: 'ABC' })).toBeNull();
  });
});

describe('relabel config validation', () => {
  it('rejects unknown actions, missing target_label, zero modulus and bad regexes with clear messages', () => {
    expect(() => parseRelabelConfigs('- action: explode')).toThrow(/unknown action "explode"/);
    expect(() => parseRelabelConfigs('- source_labels: [a]')).toThrow(/action replace requires 'target_label'/);
    expect(() => parseRelabelConfigs('- source_labels: [a]\n  target_label: b\n  action: hashmod')).toThrow(/non-zero 'modulus'/);
    expect(() => parseRelabelConfigs("- source_labels: [a]\n  regex: '(('\n  action: keep")).toThrow(/invalid regex/);
    expect(() => parseRelabelConfigs('- source_labels: [a]\n  tagret_label: b')).toThrow(/unknown field "tagret_label"/);
    expect(() => parseRelabelConfigs('a: [')).toThrow(RelabelConfigError);
    expect(() => parseRelabelConfigs('just a string')).toThrow(/want a list/);
  });

  it('accepts a relabel_configs mapping and an empty file', () => {
    expect(parseRelabelConfigs('relabel_configs:\n  - action: labeldrop\n    regex: x').length).toBe(1);
    expect(parseRelabelConfigs('')).toEqual([]);
  });
});

describe('Relabeler on decoded batches', () => {
  const batch = () => {
    const stale = new Float64Array(1);
    stale[0] = STALE_NAN;
    return decodeRemoteWriteV1(
      encodeRemoteWriteV1([
        { labels: L({ __name__: 'go_goroutines', job: 'a' }), timestamps: [1, 2], values: [1, 2] },
        { labels: L({ __name__: 'up', job: 'a', tmp: '1' }), timestamps: [3], values: stale },
        { labels: L({ __name__: 'up', job: 'a', tmp: '2' }), timestamps: [4], values: [5] },
      ]),
    );
  };

  it('drops, rewrites and merges series, keeping sample bits', () => {
    const r = new Relabeler(parseRelabelConfigs("- source_labels: [__name__]\n  regex: 'go_.*'\n  action: drop\n- regex: tmp\n  action: labeldrop"));
    const out = r.relabelBatch(batch());
    expect(out.seriesCount).toBe(1);
    expect(out.keys[0]).toBe(canonicalKey(L({ __name__: 'up', job: 'a' })));
    expect(out.labels(0)).toEqual(L({ __name__: 'up', job: 'a' }));
    expect([...out.timestamps]).toEqual([3, 4]);
    expect(isStaleNaNAt(out.values, 0)).toBe(true);
    expect(out.values[1]).toBe(5);
    expect(r.droppedSeries).toBe(1);
    expect(r.droppedSamples).toBe(2);
  });

  it('returns the batch untouched without configs', () => {
    const b = batch();
    expect(new Relabeler([]).relabelBatch(b)).toBe(b);
  });

  it('loads from a file and reloads it (as on SIGHUP), keeping the old config when the new one is broken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-relabel-'));
    const file = join(dir, 'relabel.yml');
    writeFileSync(file, "- source_labels: [__name__]\n  regex: 'go_.*'\n  action: drop\n");
    const r = new Relabeler(file);
    expect(r.relabelBatch(batch()).seriesCount).toBe(2);
    writeFileSync(file, '- regex: tmp\n  action: labeldrop\n');
    r.reload();
    expect(r.relabelBatch(batch()).seriesCount).toBe(2); // go_goroutines kept, the two up series merged
    writeFileSync(file, '- action: explode\n');
    expect(() => r.reload()).toThrow(/unknown action/);
    expect(r.relabelBatch(batch()).seriesCount).toBe(2);
  });

  it('reloads on SIGHUP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-relabel-'));
    const file = join(dir, 'relabel.yml');
    writeFileSync(file, '');
    const r = new Relabeler(file);
    expect(r.active).toBe(false);
    writeFileSync(file, '- regex: tmp\n  action: labeldrop\n');
    const done = new Promise<Error | null>((resolve) => {
      const off = r.watchSighup((err) => {
        off();
        resolve(err);
      });
    });
    process.kill(process.pid, 'SIGHUP');
    expect(await done).toBeNull();
    expect(r.active).toBe(true);
  });
});
