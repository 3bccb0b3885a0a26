/**
 * AST → PromQL text in Prometheus's `String()` format (promql/parser/printer.go): the canonical
 * form `/api/v1/format_query` returns, and what the conformance runner re-parses for its `@`
 * variants. Printing then parsing yields an equivalent tree.
 */
import type { AtModifier, Duration, Expr, VectorMatching, VectorSelector } from './ast.js';
import type { LabelMatcher } from '../model/index.js';
import { formatDuration } from './duration.js';
import { formatFloatF, formatFloatG, goQuote } from '../go-format/index.js';

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Renders an expression exactly as Prometheus's `Expr.String()` does. */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'NumberLiteral':
      if (e.isDuration) return e.value < 0 ? '-' + formatDuration(Math.round(-e.value * 1000)) : formatDuration(Math.round(e.value * 1000));
      return formatFloatF(e.value);
    case 'StringLiteral':
      return goQuote(e.value);
    case 'VectorSelector':
      return printSelector(e) + printAt(e.at) + (e.modifier ? ' ' + e.modifier : '') + printOffset(e.offset);
    case 'MatrixSelector': {
      const modifier = e.modifier ?? e.vector.modifier;
      return `${printSelector(e.vector)}[${printDuration(e.range)}]${modifier ? ' ' + modifier : ''}${printAt(e.vector.at)}${printOffset(e.vector.offset)}`;
    }
    case 'SubqueryExpr':
      return `${printExpr(e.expr)}[${printDuration(e.range)}:${e.step ? printDuration(e.step) : ''}]${printAt(e.at)}${printOffset(e.offset)}`;
    case 'Call':
      return `${e.func}(${e.args.map(printExpr).join(', ')})`;
    case 'AggregateExpr': {
      let s: string = e.op;
      if (e.without) s += ` without (${printLabelList(e.grouping)}) `;
      else if (e.grouping.length > 0) s += ` by (${printLabelList(e.grouping)}) `;
      s += '(';
      if (e.param) s += printExpr(e.param) + ', ';
      return s + printExpr(e.expr) + ')';
    }
    case 'BinaryExpr':
      return `${printExpr(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${printMatching(e.matching)} ${printExpr(e.rhs)}`;
    case 'UnaryExpr':
      return e.op + printExpr(e.expr);
    case 'ParenExpr':
      return `(${printExpr(e.expr)})`;
  }
}

/** Lines longer than this are split by prettyExpr. */
const MAX_CHARACTERS_PER_LINE = 100;

/**
 * Prometheus's `Pretty()` (promql/parser/prettier.go), used by `/api/v1/format_query`: the
 * String() form when it fits in 100 bytes, otherwise operands, arguments and aggregation bodies
 * go on their own lines, indented two spaces per level.
 */
export function prettyExpr(e: Expr, level = 0): string {
  const text = printExpr(e);
  const fits = Buffer.byteLength(text, 'utf8') <= MAX_CHARACTERS_PER_LINE;
  const pad = '  '.repeat(level);
  switch (e.kind) {
    case 'AggregateExpr': {
      if (fits) return pad + text;
      let head: string = e.op;
      if (e.without) head += ` without (${printLabelList(e.grouping)}) `;
      else if (e.grouping.length > 0) head += ` by (${printLabelList(e.grouping)}) `;
      let out = `${pad}${head}(\n`;
      if (e.param) out += `${prettyExpr(e.param, level + 1)},\n`;
      return `${out}${prettyExpr(e.expr, level + 1)}\n${pad})`;
    }
    case 'BinaryExpr':
      if (fits) return pad + text;
      return `${prettyExpr(e.lhs, level + 1)}\n${pad}${e.op}${e.returnBool ? ' bool' : ''}${printMatching(e.matching)}\n${prettyExpr(e.rhs, level + 1)}`;
    case 'Call':
      if (fits) return pad + text;
      return `${pad}${e.func}(\n${e.args.map((a) => prettyExpr(a, level + 1)).join(',\n')}\n${pad})`;
    case 'ParenExpr':
      if (fits) return pad + text;
      return `${pad}(\n${prettyExpr(e.expr, level + 1)}\n${pad})`;
    case 'SubqueryExpr':
      // Upstream returns the unsplit form without indentation here; kept for identical output.
      if (fits) return text;
      return `${prettyExpr(e.expr, level)}[${printDuration(e.range)}:${e.step ? printDuration(e.step) : ''}]${printAt(e.at)}${printOffset(e.offset)}`;
    case 'UnaryExpr':
      return `${pad}${e.op}${prettyExpr(e.expr, level).trim()}`;
    default:
      return pad + text;
  }
}

/** A range, step or offset: literal durations as `1h30m`, duration expressions as written. */
export function printDuration(d: Duration): string {
  return d.kind === 'DurationLiteral' ? formatDuration(d.ms) : printExpr(d.expr);
}

function printOffset(d: Duration | null): string {
  if (d === null) return '';
  if (d.kind === 'DurationExpr') return ' offset ' + printExpr(d.expr);
  if (d.ms > 0) return ' offset ' + formatDuration(d.ms);
  if (d.ms < 0) return ' offset -' + formatDuration(-d.ms);
  return '';
}

function printAt(at: AtModifier | null): string {
  if (at === null) return '';
  if (at.kind === 'start') return ' @ start()';
  if (at.kind === 'end') return ' @ end()';
  return ' @ ' + (at.ms / 1000).toFixed(3);
}

/** `name{a="b",c=~"d"}`; matchers sorted as rendered text, the name matcher folded into the name. */
function printSelector(vs: VectorSelector): string {
  const name = LEGACY_METRIC.test(vs.name) ? vs.name : '';
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (name !== '' && m.name === '__name__' && m.type === '=' && m.value === name) continue;
    parts.push(printMatcher(m));
  }
  if (parts.length === 0) return name;
  parts.sort();
  return `${name}{${parts.join(',')}}`;
}

export function printMatcher(m: LabelMatcher): string {
  const name = LEGACY_LABEL.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

function printLabelList(labels: readonly string[]): string {
  return labels.map((l) => (LEGACY_LABEL.test(l) ? l : goQuote(l))).join(', ');
}

function printMatching(vm: VectorMatching | null): string {
  if (vm === null) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${printLabelList(vm.matchingLabels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${printLabelList(vm.include)})`;
  const fill = vm.fill;
  if (fill && (fill.left !== null || fill.right !== null)) {
    if (fill.left !== null && fill.right !== null && Object.is(fill.left, fill.right)) {
      s += ` fill (${formatFloatG(fill.left)})`;
    } else {
      if (fill.left !== null) s += ` fill_left (${formatFloatG(fill.left)})`;
      if (fill.right !== null) s += ` fill_right (${formatFloatG(fill.right)})`;
    }
  }
  return s;
}
