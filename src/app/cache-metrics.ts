import type { CollectedMetric } from '../metrics.js';
import type { Database } from '../db/index.js';
import type { RollupResultCache } from '../query-cache/index.js';
import { blockCacheBytes } from '../storage/index.js';

/**
 * What each query cache holds now, by the caches' own accounting (as VictoriaMetrics'
 * `vm_cache_size_bytes{type}`), so resident memory can be told apart from cached data.
 */
export function cacheMetrics(db: Database, rollupCache: RollupResultCache): CollectedMetric[] {
  return [
    {
      name: 'strata_cache_size_bytes',
      help: 'Bytes a query cache holds (its own estimate): decoded part blocks, decoded label blocks, rollup results.',
      type: 'gauge',
      samples: [
        { labels: { type: 'storage/blocks' }, value: blockCacheBytes() },
        { labels: { type: 'index/labelBlocks' }, value: db.index.labelBlockCacheBytes },
        { labels: { type: 'query/rollupResult' }, value: rollupCache.stats().bytes },
      ],
    },
  ];
}
