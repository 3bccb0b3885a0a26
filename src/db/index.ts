export { Database, LimitError, type DatabaseOptions, type DbQuerier, type ExportOptions, type WriteResult } from './database.js';
export { SnapshotNotFoundError, type Snapshots } from './snapshots.js';
