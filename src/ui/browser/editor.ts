/**
 * The PromQL editor: CodeMirror 6 with Prometheus's own language support (completion from this
 * server, linting while typing). Loaded as its own chunk so the page never waits for it.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, completionStatus } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, syntaxHighlighting, defaultHighlightStyle, HighlightStyle } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { syntaxTree } from '@codemirror/language';
import type { SyntaxNode } from '@lezer/common';
import { COMPLETION_LIMIT, completionClient } from './completion-client.js';

export interface EditorOptions {
  value: string;
  onChange(value: string): void;
  onRun(): void;
  /** Ctrl+↑ (-1) / Ctrl+↓ (+1): the text to show instead, or null to keep the current one. */
  onHistory(direction: -1 | 1, current: string): string | null;
}

export interface EditorHandle {
  setValue(v: string): void;
  focus(): void;
  destroy(): void;
  /** The parse tree of the current text, for the Explain view. */
  tree(): ExplainNode | null;
}

export interface ExplainNode {
  readonly type: string;
  readonly text: string;
  readonly children: ExplainNode[];
}

const promql = new PromQLExtension().setComplete({ remote: completionClient, maxMetricsMetadata: COMPLETION_LIMIT });

const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--hl-keyword)' },
  { tag: tags.function(tags.variableName), color: 'var(--hl-function)' },
  { tag: tags.string, color: 'var(--hl-string)' },
  { tag: tags.number, color: 'var(--hl-number)' },
  { tag: tags.labelName, color: 'var(--hl-label)' },
  { tag: tags.operator, color: 'var(--hl-operator)' },
  { tag: tags.comment, color: 'var(--muted)', fontStyle: 'italic' },
]);

const theme = EditorView.theme({
  '&': { backgroundColor: 'var(--input-bg)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: '4px' },
  '&.cm-focused': { outline: '2px solid var(--accent)' },
  '.cm-content': { fontFamily: 'var(--mono)', caretColor: 'var(--fg)', padding: '6px 0' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: 'var(--accent)', color: '#fff' },
  '.cm-completionDetail': { color: 'var(--muted)', marginLeft: '0.5em' },
  '.cm-completionInfo': { maxWidth: '400px' },
});

function toExplain(node: SyntaxNode, doc: string): ExplainNode {
  const children: ExplainNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) children.push(toExplain(c, doc));
  return { type: node.name, text: doc.slice(node.from, node.to), children };
}

export function createEditor(host: HTMLElement, opts: EditorOptions): EditorHandle {
  // CodeMirror puts its styles in a <style> element in a document, which `style-src 'self'`
  // forbids; inside a shadow root it uses a constructed style sheet, which CSP allows.
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  const parent = document.createElement('div');
  root.appendChild(parent);
  const runKeys = Prec.highest(
    keymap.of([
      // Enter picks a completion while the list is open, and runs the query otherwise.
      { key: 'Enter', run: (v) => (completionStatus(v.state) === 'active' ? false : (opts.onRun(), true)) },
      { key: 'Shift-Enter', run: () => false },
      {
        key: 'Ctrl-ArrowUp',
        mac: 'Cmd-ArrowUp',
        run: (v) => replaceFromHistory(v, opts.onHistory(-1, v.state.doc.toString())),
      },
      {
        key: 'Ctrl-ArrowDown',
        mac: 'Cmd-ArrowDown',
        run: (v) => replaceFromHistory(v, opts.onHistory(1, v.state.doc.toString())),
      },
    ]),
  );
  const view = new EditorView({
    parent,
    root,
    state: EditorState.create({
      doc: opts.value,
      extensions: [
        runKeys,
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion({ activateOnTyping: true }),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
        syntaxHighlighting(highlight),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder('Expression (press Enter to run, Shift+Enter for a new line)'),
        EditorView.lineWrapping,
        theme,
        promql.asExtension(),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    setValue(v) {
      if (v !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: v } });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
    tree() {
      const doc = view.state.doc.toString();
      const top = syntaxTree(view.state).topNode;
      return doc.trim() ? toExplain(top, doc) : null;
    },
  };
}

function replaceFromHistory(view: EditorView, text: string | null): boolean {
  if (text === null) return true;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length } });
  return true;
}
