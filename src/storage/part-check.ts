import { loadCodec } from './block-codec.js';
import { PartCorruptError } from './errors.js';
import { Part } from './part.js';

/**
 * Opens a part directory as the server would (metadata, file sizes, index and metaindex
 * checksums), optionally checks the column files' checksums too, and walks every block header.
 * Returns the series ids the part holds; throws PartCorruptError saying what is wrong.
 */
export async function inspectPart(dir: string, name: string, verifyData: boolean): Promise<Set<number>> {
  await loadCodec();
  const part = Part.open(dir, name, { verifyData });
  try {
    const ids = new Set<number>();
    part.idsInRange(-Infinity, Infinity, ids);
    return ids;
  } catch (e) {
    if (e instanceof PartCorruptError) throw e;
    throw new PartCorruptError(dir, (e as Error).message);
  } finally {
    part.retire();
  }
}
