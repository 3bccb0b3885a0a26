/** Query history for Ctrl+↑/↓, newest last, kept in localStorage so it survives a reload. */
const KEY = 'strata.history';
const MAX = 100;

export function loadHistory(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function remember(expr: string): void {
  const e = expr.trim();
  if (!e) return;
  const h = loadHistory().filter((x) => x !== e);
  h.push(e);
  localStorage.setItem(KEY, JSON.stringify(h.slice(-MAX)));
}
