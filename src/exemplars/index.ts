export { ExemplarStore, type ExemplarAddStats, type SeriesExemplars } from './exemplar-store.js';
export type { StoredExemplar } from './ring.js';
