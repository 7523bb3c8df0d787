/**
 * Pyroscope flamebearer JSON (what `/pyroscope/render` and Cinder's JSON export write) back into the
 * profile model: every node with self value becomes one sample of its root-first path.
 */
import { CinderError, ErrorCodes } from '../errors.js';
import { ProfileBuilder, type Profile } from '../model.js';

interface FlamebearerFile {
  flamebearer?: { names?: unknown; levels?: unknown; numTicks?: unknown };
  metadata?: { units?: unknown; name?: unknown; format?: unknown };
}

export function isFlamebearerJson(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'flamebearer' in (value as Record<string, unknown>);
}

export function decodeFlamebearer(text: string): Profile {
  let file: FlamebearerFile;
  try {
    file = JSON.parse(text) as FlamebearerFile;
  } catch (error) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `flamebearer file is not valid JSON: ${(error as Error).message}`);
  }
  const names = file.flamebearer?.names;
  const levels = file.flamebearer?.levels;
  if (!Array.isArray(names) || !Array.isArray(levels)) {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, 'not a flamebearer file: "flamebearer.names" and "flamebearer.levels" are required');
  }
  if (file.metadata?.format === 'double') {
    throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, 'this is a diff (format "double") flamebearer; export a single profile instead');
  }
  const sampleType = typeof file.metadata?.name === 'string' && file.metadata.name !== '' ? file.metadata.name : 'samples';
  const unit = typeof file.metadata?.units === 'string' && file.metadata.units !== '' ? file.metadata.units : 'count';
  const builder = new ProfileBuilder([{ type: sampleType, unit: unit === 'samples' ? 'nanoseconds' : unit }]);
  // Rebuild parents from x ranges level by level, as Grafana does.
  let previous: { start: number; end: number; path: string[] }[] = [];
  for (const [depth, rawLevel] of (levels as unknown[]).entries()) {
    if (!Array.isArray(rawLevel) || rawLevel.length % 4 !== 0) {
      throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `flamebearer level ${depth} is not groups of 4 numbers`);
    }
    const current: typeof previous = [];
    let end = 0;
    let parentCursor = 0;
    for (let i = 0; i < rawLevel.length; i += 4) {
      const [delta, total, self, nameIndex] = rawLevel.slice(i, i + 4) as number[];
      const start = end + Number(delta);
      const name = names[Number(nameIndex)];
      if (typeof name !== 'string') throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `flamebearer level ${depth} names index ${nameIndex}, which does not exist`);
      let path: string[] = [];
      if (depth > 0) {
        while (parentCursor < previous.length - 1 && previous[parentCursor]!.end <= start) parentCursor++;
        const parent = previous[parentCursor];
        if (!parent) throw new CinderError(ErrorCodes.INGEST_MALFORMED_JSON, `flamebearer level ${depth} has a node with no parent`);
        path = [...parent.path, name];
        if (Number(self) > 0) builder.addSample(path, [Number(self)]);
      }
      current.push({ start, end: start + Number(total), path });
      end = start + Number(total);
    }
    previous = current;
  }
  return builder.build();
}
