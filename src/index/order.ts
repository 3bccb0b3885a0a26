/**
 * Orders strings by their UTF-8 bytes, as Go's sort.Strings (and so Prometheus) does, and as LMDB
 * orders keys. JavaScript's `<` compares UTF-16 code units, which disagrees only when a surrogate
 * (an astral character) meets a code unit in U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Shift so that surrogates sort above U+E000..U+FFFF, as their code points (≥ U+10000) do.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

export function sortUtf8(values: string[]): string[] {
  return values.sort(compareUtf8);
}
