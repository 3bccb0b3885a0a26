export * from './labels.js';
export * from './label-sort.js';
export * from './tenant.js';
export * from './matcher.js';
export * from './sample.js';
export * from './querier.js';
export * from './histogram.js';
export * from './errors.js';
