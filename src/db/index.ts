export { Database, LimitError, type DatabaseOptions, type WriteResult } from './database.js';
