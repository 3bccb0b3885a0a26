/**
 * The public face of the PromQL module: the engine, and parse, print and type information.
 */
export type * from './ast.js';
export {
  parseExpr,
  parseSeriesSelector,
  ParseError,
  formatPosition,
  exprType,
  documentedType,
  compileLabelRegex,
  matcherMatchesEmpty,
  RegexError,
  unquoteString,
  parseNumber,
} from './parser.js';
export { extractSelectors } from './selectors.js';
export { printExpr, prettyExpr, printDuration, printMatcher } from './printer.js';
export { formatFloatF, formatFloatG, goQuote } from '../go-format/index.js';
export { parseDuration, formatDuration, DurationError, resolveDuration, type DurationContext } from './duration.js';
export { FUNCTIONS, getFunction, type FunctionSignature, type FunctionName } from './function-signatures.js';
export { allBuckets, type BucketWithBounds } from './histogram/index.js';
export {
  Engine,
  PromQLError,
  type EngineOptions,
  type QueryResult,
  type Value,
  type VectorSample,
  type MatrixSeries,
  type Annotation,
  type PromQLErrorType,
} from './engine.js';
