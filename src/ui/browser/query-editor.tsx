/** One query's input: a plain field at once, replaced by the CodeMirror editor when its chunk arrives. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EditorHandle } from './editor.js';
import { loadHistory } from './history.js';

export interface QueryEditorProps {
  /** The text being edited (shown by the plain field until the editor arrives). */
  value: string;
  /**
   * The committed query from the URL. The editor text is replaced only when this changes (Back,
   * reload): pushing every draft back in would race with fast typing and undo keystrokes.
   */
  committed: string;
  onChange(v: string): void;
  onRun(): void;
  onHandle?(h: EditorHandle | null): void;
}

let editorModule: Promise<typeof import('./editor.js')> | null = null;
export const loadEditor = () => (editorModule ??= import('./editor.js'));

export function QueryEditor(props: QueryEditorProps) {
  const box = useRef<HTMLDivElement>(null);
  const handle = useRef<EditorHandle | null>(null);
  const [ready, setReady] = useState(false);
  const latest = useRef(props);
  latest.current = props;
  const historyPos = useRef<number | null>(null);

  useEffect(() => {
    let gone = false;
    void loadEditor().then((m) => {
      if (gone || !box.current) return;
      handle.current = m.createEditor(box.current, {
        value: latest.current.value,
        onChange: (v) => latest.current.onChange(v),
        onRun: () => {
          historyPos.current = null;
          latest.current.onRun();
        },
        onHistory: (dir) => {
          const h = loadHistory();
          if (h.length === 0) return null;
          let pos = historyPos.current ?? h.length;
          pos = Math.min(h.length, Math.max(0, pos + dir));
          historyPos.current = pos;
          return pos === h.length ? '' : h[pos]!;
        },
      });
      setReady(true);
      latest.current.onHandle?.(handle.current);
    });
    return () => {
      gone = true;
      handle.current?.destroy();
      handle.current = null;
      latest.current.onHandle?.(null);
    };
  }, []);

  useEffect(() => handle.current?.setValue(props.committed), [props.committed]);

  return (
    <div class="query-editor" ref={box}>
      {!ready && (
        <input
          class="mono fallback-input"
          value={props.value}
          placeholder="Expression (loading editor…)"
          onInput={(e) => props.onChange((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === 'Enter' && props.onRun()}
        />
      )}
    </div>
  );
}
