import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAME_FONT, PAGE_FONT_SIZES_CSS_PX, PAGE_FONT_WEIGHTS, PAGE_MONOSPACE_FAMILY, PAGE_TEXT_FAMILY, pageFonts, warmPageFonts } from '../src/flamegraph/font.js';

/**
 * Issue 13: the page's fonts are looked up on its main thread before its first layout, one per task
 * (font.ts). The list must follow styles.css, or the first layout looks up what the list missed.
 */
const css = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8');
const declared = (property: string): string[] => [...css.matchAll(new RegExp(`(?:^|[;{\\s])${property}:\\s*([^;}]+)`, 'g'))].map((m) => m[1]!.trim());
const sameFamilies = (a: string, b: string): boolean => a.replace(/["']/g, '') === b.replace(/["']/g, '');

describe("the page's fonts", () => {
  it('cover every size, weight and family styles.css sets', () => {
    const rootSizeCssPx = 14;
    const sizes = declared('font-size').map((size) => (size.endsWith('em') ? Math.round(parseFloat(size) * rootSizeCssPx * 10) / 10 : parseFloat(size)));
    expect(sizes.length).toBeGreaterThan(5);
    for (const size of sizes) expect(PAGE_FONT_SIZES_CSS_PX).toContain(size);
    const weights = declared('font-weight').map((weight) => (weight === 'normal' ? 400 : weight === 'bold' ? 700 : Number(weight)));
    for (const weight of weights) expect(PAGE_FONT_WEIGHTS).toContain(weight);
    // th and strong are bold by the browser's own stylesheet.
    expect(PAGE_FONT_WEIGHTS).toContain(700);
    const families = declared('font-family');
    expect(families.some((family) => sameFamilies(family, PAGE_TEXT_FAMILY))).toBe(true);
    expect(families.some((family) => sameFamilies(family, PAGE_MONOSPACE_FAMILY))).toBe(true);
    // A lookup is per name in a list (each miss is cached too): every name styles.css uses is warmed.
    const names = (list: string): string[] => list.split(',').map((name) => name.trim().replace(/["']/g, ''));
    const warmed = new Set([...names(PAGE_TEXT_FAMILY), ...names(PAGE_MONOSPACE_FAMILY)]);
    for (const family of families) for (const name of names(family)) expect(warmed).toContain(name);
  });

  it('are looked up one per task, all of them, the label font included', () => {
    const set: string[] = [];
    const ctx = {
      get font(): string {
        return set.at(-1) ?? '';
      },
      set font(font: string) {
        set.push(font);
      },
      measureText: () => ({ width: 1 }) as TextMetrics,
    };
    const queued: Array<() => void> = [];
    warmPageFonts(pageFonts(), ctx, (next) => queued.push(next));
    expect(set).toHaveLength(1);
    let tasks = 1;
    while (queued.length > 0) {
      queued.shift()!();
      tasks++;
      expect(set.length).toBeLessThanOrEqual(tasks);
    }
    expect(set).toEqual(pageFonts());
    expect(set).toContain(FLAME_FONT);
    expect(set).toContain(`700 14px ${PAGE_TEXT_FAMILY}`);
  });
});
