/** The rollup result cache for range queries (issue 17): the store and the query path through it. */
export { RollupResultCache, type CacheEntry, type CachedSeries, type RollupCacheStats } from './rollup-cache.js';
export { cachedRangeQuery, type RangeQuery } from './cached-range-query.js';
export { isCacheable } from './cacheable.js';
