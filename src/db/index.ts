export { Database, LimitError, type DatabaseOptions, type DbQuerier, type WriteResult } from './database.js';
export { SnapshotNotFoundError, type Snapshots } from './snapshots.js';
