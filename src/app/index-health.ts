/**
 * The label index's damage as the server reports it: a log line naming the table and key of each
 * damaged entry when first found, metrics, and the reason /health and /-/ready give while the
 * index is damaged and not rebuilt (see src/index/index-damage.ts).
 */
import { IndexDamage, type SalvageResult } from '../index/index.js';
import { log } from '../logger.js';
import type { CollectedMetric } from '../metrics.js';

export function indexDamageRecord(): IndexDamage {
  const damage = new IndexDamage();
  damage.onDamage = (e) =>
    log.error(e.key === '' ? 'label index file damaged' : 'label index entry damaged: quarantined, not served', {
      table: e.table,
      key: e.key,
      reason: e.reason,
    });
  return damage;
}

export function logSalvage(r: SalvageResult): void {
  log.error('label index was damaged: LMDB was not let near it; its intact entries were copied to a fresh file', {
    kept: r.kept,
    dropped: r.dropped,
    damagedFile: r.damagedFile,
    fix: 'strata index rebuild --storageDataPath=<dir> (with the server stopped)',
  });
}

export function indexDamageMetrics(damage: IndexDamage): CollectedMetric[] {
  const counts = damage.counts();
  return [
    {
      name: 'strata_index_damaged',
      help: 'The label index is known to be damaged and not rebuilt (1) or not (0); /health answers 503 meanwhile.',
      type: 'gauge',
      samples: [{ value: damage.damaged ? 1 : 0 }],
    },
    {
      name: 'strata_index_damaged_entries_total',
      help: 'Damaged label index entries found (quarantined, never served), by LMDB table; `file` counts structural problems of data.mdb.',
      type: 'counter',
      samples: [...counts].map(([table, n]) => ({ labels: { table }, value: n })),
    },
  ];
}
