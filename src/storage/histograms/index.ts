export { HistogramStore, type HistogramStoreOptions, type HistogramStoreStats } from './store.js';
export { HistPart, writeHistPart, BLOCK_ROWS, HIST_PART_VERSION, type HistPartMeta, type SeriesHistograms } from './part.js';
export { encodeHistogramRecord, decodeHistogramRecord, type HistogramRecord } from './wal-record.js';
export { tsdbResetHints } from './reset-hints.js';
