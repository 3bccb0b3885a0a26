import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The bytes of a build artifact of `src/<folder>/generated/` (a WASM module), read from the first
 * place it is found. From dist/ it sits beside the compiled module; tests and the bench's build/
 * run the TypeScript from elsewhere and find it in the source tree, two or three levels up.
 * `moduleUrl` is the caller's `import.meta.url`, `folder` its folder under src/. Null when absent.
 */
export function readGeneratedFile(moduleUrl: string, folder: string, name: string): Uint8Array | null {
  for (const rel of [`./generated/${name}`, `../../../src/${folder}/generated/${name}`, `../../src/${folder}/generated/${name}`]) {
    try {
      return readFileSync(fileURLToPath(new URL(rel, moduleUrl)));
    } catch {
      // try the next place
    }
  }
  return null;
}
