export { exposeGc } from './gc.js';
