export { Storage, pickWindow } from './storage.js';
export { MAX_STORABLE_T, MIN_STORABLE_T } from './part-format.js';
export { damageWarnings, type DamageEntry } from './damage.js';
export type { AppendResult, StorageLifecycle, StorageOptions, StorageStats } from './storage.js';
export type { DownsampleMode, MergeRules, RuleGroup, SeriesRule } from './downsample.js';
export type { WalFsync } from './wal.js';
export { InvalidRowsError, PartCorruptError, StorageClosedError, StorageError } from './errors.js';
export { setBlockCacheBytes, blockCacheBytes } from './part.js';
export { ChunkPool, ReadAbandonedError, SampleArena, readChunkPool } from './samples.js';
