import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataStore } from '../../src/db/metadata-store.js';

const file = (): string => join(mkdtempSync(join(tmpdir(), 'strata-md-')), 'metadata.json');
const up = { metricFamilyName: 'up', type: 'gauge', help: 'Target is up.', unit: '' } as const;

describe('metric metadata store', () => {
  it('keeps metadata per tenant across close and reopen', () => {
    const path = file();
    const a = MetadataStore.open(path, 0);
    a.set('0:0', up);
    a.set('1:0', { ...up, help: 'other tenant' });
    a.close();
    const b = MetadataStore.open(path, 0);
    expect([...b.get('0:0').values()]).toEqual([up]);
    expect(b.get('1:0').get('up')?.help).toBe('other tenant');
    expect(b.get('2:0').size).toBe(0);
    b.close();
  });

  it('replaces a family whose metadata changed', () => {
    const s = MetadataStore.open(file(), 0);
    s.set('0:0', up);
    s.set('0:0', { ...up, type: 'counter' });
    expect(s.get('0:0').get('up')?.type).toBe('counter');
  });

  it('does not rewrite the file when nothing changed', () => {
    const path = file();
    const s = MetadataStore.open(path, 0);
    s.set('0:0', up);
    s.save();
    writeFileSync(path, JSON.stringify({ version: 1, tenants: {} }));
    s.set('0:0', { ...up });
    s.save();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, tenants: {} });
  });

  it('starts empty from a damaged file instead of failing', () => {
    const path = file();
    writeFileSync(path, '{"version":1,"tenants":{"0:0":[{"metricFamilyName":');
    const s = MetadataStore.open(path, 0);
    expect(s.get('0:0').size).toBe(0);
    s.set('0:0', up);
    s.close();
    expect(MetadataStore.open(path, 0).get('0:0').get('up')).toEqual(up);
  });

  it('skips entries with an unknown type or missing fields', () => {
    const path = file();
    writeFileSync(path, JSON.stringify({ version: 1, tenants: { '0:0': [up, { ...up, metricFamilyName: 'x', type: 'bogus' }, { metricFamilyName: 'y' }] } }));
    expect([...MetadataStore.open(path, 0).get('0:0').keys()]).toEqual(['up']);
  });
});
