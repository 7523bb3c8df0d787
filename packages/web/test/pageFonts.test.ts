import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { FLAME_FONT, PAGE_MONOSPACE_FAMILY, PAGE_TEXT_FAMILY, familyNames, pageFonts, warmPageFonts } from '../src/flamegraph/font.js';

/**
 * Issue 13: the page's fonts are looked up on its main thread before its first layout, one per idle task
 * (font.ts). Its families must follow styles.css; its faces are checked against the pages themselves
 * (screenshots.e2e.test.ts).
 */
const css = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8');
const declared = (property: string): string[] => [...css.matchAll(new RegExp(`(?:^|[;{\\s])${property}:\\s*([^;}]+)`, 'g'))].map((m) => m[1]!.trim());
const sameFamilies = (a: string, b: string): boolean => familyNames(a).join(',') === familyNames(b).join(',');

describe("the page's fonts", () => {
  it('name every family styles.css uses (a lookup is per name in a list, misses included)', () => {
    const families = declared('font-family');
    expect(families.some((family) => sameFamilies(family, PAGE_TEXT_FAMILY))).toBe(true);
    expect(families.some((family) => sameFamilies(family, PAGE_MONOSPACE_FAMILY))).toBe(true);
    const warmed = new Set([...familyNames(PAGE_TEXT_FAMILY), ...familyNames(PAGE_MONOSPACE_FAMILY)]);
    for (const family of families) for (const name of familyNames(family)) expect(warmed).toContain(name);
  });

  it('are looked up one per idle task (none in the calling task), all of them, the label font included', () => {
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
    warmPageFonts(pageFonts(), { ctx, later: (next) => queued.push(next) });
    // Nothing in the caller's task.
    expect(set).toHaveLength(0);
    let tasks = 0;
    while (queued.length > 0) {
      queued.shift()!();
      tasks++;
      expect(set.length).toBeLessThanOrEqual(tasks);
    }
    expect(set).toEqual(pageFonts());
    expect(set).toContain(FLAME_FONT);
    expect(set).toContain(`700 14px ${PAGE_TEXT_FAMILY}`);
  });

  it('make their canvas in the first idle task, not in the calling one (the entry of the page)', () => {
    const made: number[] = [];
    const fontsSet: string[] = [];
    class CountingCanvas {
      constructor() {
        made.push(1);
      }
      getContext(): object {
        return { set font(font: string) { fontsSet.push(font); }, measureText: () => ({ width: 1 }) };
      }
    }
    vi.stubGlobal('OffscreenCanvas', CountingCanvas);
    try {
      const queued: Array<() => void> = [];
      warmPageFonts(pageFonts(), { later: (next) => queued.push(next) });
      expect(made).toHaveLength(0);
      queued.shift()!();
      expect(made).toHaveLength(1);
      while (queued.length > 0) queued.shift()!();
      expect(made).toHaveLength(1);
      expect(fontsSet).toEqual(pageFonts());
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('stop once the layout they are for has come', () => {
    const set: string[] = [];
    const ctx = { font: '', measureText: () => ({ width: 1 }) as TextMetrics };
    Object.defineProperty(ctx, 'font', { set: (font: string) => void set.push(font), get: () => set.at(-1) ?? '' });
    const queued: Array<() => void> = [];
    let rendered = false;
    warmPageFonts(pageFonts(), { ctx, later: (next) => queued.push(next), done: () => rendered });
    queued.shift()!();
    queued.shift()!();
    expect(set).toHaveLength(2);
    rendered = true;
    while (queued.length > 0) queued.shift()!();
    expect(set).toHaveLength(2);
  });
});
