export { exposeGc } from './gc.js';
export { DataDirLockedError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
export { canTrimMalloc, trimMalloc } from './malloc-trim.js';
export { readGeneratedFile } from './generated-file.js';
