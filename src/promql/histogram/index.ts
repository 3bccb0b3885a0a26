export * from './float-histogram.js';
export * from './stats.js';
export * from './trim.js';
export * from './kahan-sum.js';
