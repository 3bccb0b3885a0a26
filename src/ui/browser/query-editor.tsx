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

// Parsing the editor chunk takes the main thread for a few hundred ms on a slow machine, so a
// page opened from a /graph link draws its graph first: the editor is loaded once the first
// results are on screen, when the plain field gets focus, or after EDITOR_DELAY_MS at the latest.
const EDITOR_DELAY_MS = 1500;
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
  setTimeout(resolve, EDITOR_DELAY_MS);
});
export const allowEditor = (): void => openGate();

export function QueryEditor(props: QueryEditorProps) {
  const box = useRef<HTMLDivElement>(null);
  const handle = useRef<EditorHandle | null>(null);
  const [ready, setReady] = useState(false);
  const latest = useRef(props);
  latest.current = props;
  const historyPos = useRef<number | null>(null);
  const fallback = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let gone = false;
    void gate.then(loadEditor).then((m) => {
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
      const hadFocus = document.activeElement === fallback.current;
      setReady(true);
      if (hadFocus) handle.current.focus();
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
          ref={fallback}
          onFocus={allowEditor}
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
