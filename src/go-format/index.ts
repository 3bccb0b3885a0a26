/** Go's `strconv` formatting of floats and strings, as Prometheus's texts use it. */
export { formatFloatF, formatFloatG, formatFloatGPrecision } from './float.js';
export { goQuote } from './quote.js';
