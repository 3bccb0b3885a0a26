export { arithmetic, compare, isComparison, isSetOp } from './ops.js';
export { vectorScalarBinop, vectorVectorBinop, setOperation, mergeSameLabels, hasDuplicateLabels, sortByLabels } from './vector-binop.js';
