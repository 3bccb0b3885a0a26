export { SNAPSHOT_FILE, SNAPSHOT_FORMAT_VERSION, SnapshotFormatError, hashFile, readSnapshotInfo } from './format.js';
export type { SnapshotFile, SnapshotInfo } from './format.js';
export { isSnapshotName, newSnapshotName, snapshotTime } from './names.js';
export { HalfRestoredError, RESTORE_MARKER, assertNotHalfRestored } from './restore-marker.js';
