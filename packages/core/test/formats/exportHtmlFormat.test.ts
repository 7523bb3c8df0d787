import { describe, expect, it } from 'vitest';
import { colorForFrameName, decodeLevels, formatValue, frameName, selfContainedHtml, type FlameGraphData } from '../../src/index.js';

/**
 * The HTML export reads like the app: its inline number formatter is formatValue line for line, and
 * without explicit colours every frame gets the app's package colour (not one flat hue per file).
 */
const data: FlameGraphData = {
  names: ['total', 'java/lang/Thread.run', 'com/example/Something.run', 'runtime.mcall'],
  levels: [[0, 300, 0, 0], [0, 200, 0, 1, 0, 100, 100, 3], [0, 200, 200, 2]],
  total: 300,
  maxSelf: 200,
};

/** The file's own `fmt(v)` (and its `trim`), run with the file's `d.unit`. */
function fileFormatter(html: string, unit: string): (value: number) => string {
  const trim = /function trim\(v\) \{.*?\n/.exec(html)![0];
  const fmt = /function fmt\(v\) \{[\s\S]*?\n  \}\n/.exec(html)![0];
  return new Function('d', `${trim}${fmt}return fmt;`)({ unit }) as (value: number) => string;
}

describe('HTML export formats and colours', () => {
  const values = [0, 1, 7.25, 999, 1000, 12_345, 999_999, 1e6, 2.5e8, 1e9, 59e9, 60e9, 273_362.3e6, 3600e9, 7.2e12, 1023, 1024, 1_500_000, 5e9, 3e12, -4200];
  it.each(['nanoseconds', 'microseconds', 'milliseconds', 'seconds', 'bytes', 'count', '', 'objects'])('unit "%s": the file formats every value as the app does', (unit) => {
    const format = fileFormatter(selfContainedHtml(data, 't', unit), unit);
    for (const value of values) expect(format(value), `${value} ${unit}`).toBe(formatValue(value, unit));
  });
  it('"273362.3 ms" of CPU time reads "4.56 min"', () => {
    expect(fileFormatter(selfContainedHtml(data, 't', 'nanoseconds'), 'nanoseconds')(273_362.3e6)).toBe('4.56 min');
  });
  it('default colours are the app’s package colours, frame by frame', () => {
    const payload = JSON.parse(/<script id="data" type="application\/json">(.*?)<\/script>/s.exec(selfContainedHtml(data, 't', 'nanoseconds'))![1]!) as { colors: string[] };
    const frames = decodeLevels(data);
    expect(payload.colors).toEqual(Array.from({ length: frames.count }, (_, i) => colorForFrameName(frameName(frames, i))));
    expect(new Set(payload.colors).size).toBeGreaterThan(2);
  });
});
