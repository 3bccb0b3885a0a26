export { exposeGc } from './gc.js';
export { DataDirLockedError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
