export { BACKUP_FLAG_NAMES, registerBackupCommands } from './commands.js';
export { runBackup, type BackupOptions } from './backup.js';
export { runRestore, type RestoreOptions } from './restore.js';
export { runVerify, type VerifyOptions } from './verify.js';
export { decidePrune, type KeepRules, type PruneDecision } from './retention.js';
export { BackupError, IntegrityError, RefusedError, TransferError, UsageError, exitCodeOf } from './errors.js';
