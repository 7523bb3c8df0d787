/** The families the page's text is set in (styles.css: the page's own, and `code`'s). */
export const PAGE_TEXT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
export const PAGE_MONOSPACE_FAMILY = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

/** The flame graph's label font, here (not in renderer.ts) so the page's start-up script can warm it without loading the renderer. */
export const FLAME_FONT = `11px ${PAGE_MONOSPACE_FAMILY}`;
/**
 * The explorer's and the Profiling page's text faces: [weight, size in css px] of the page's text font,
 * and the sizes of its monospace one (the top table's names). The pages' e2e test checks that every
 * face their text uses is here (screenshots.e2e.test.ts); each face warmed costs ~1.5 ms of the page's
 * start-up, so the list is the pages' faces, not every size and weight styles.css could give.
 */
export const PAGE_TEXT_FACES: ReadonlyArray<readonly [weight: number, sizeCssPx: number]> = [
  [400, 14],
  [700, 14],
  [400, 12],
  [400, 11],
  [400, 13.5],
  [400, 12.6],
  [600, 15],
  [600, 22],
  [700, 12],
  [400, 13],
  [700, 13],
  [400, 11.7],
  [400, 10.8],
  [600, 12],
  [600, 11],
];
export const PAGE_MONOSPACE_SIZES_CSS_PX: readonly number[] = [12];

/** A face of the page's text: what a thread looks up once (family list, size and weight). */
export interface PageFace {
  weight: number;
  sizeCssPx: number;
  family: string;
}

/** The explorer's and the Profiling page's faces (PAGE_TEXT_FACES, PAGE_MONOSPACE_SIZES_CSS_PX). */
export function pageFaces(): PageFace[] {
  return [
    ...PAGE_TEXT_FACES.map(([weight, sizeCssPx]) => ({ weight, sizeCssPx, family: PAGE_TEXT_FAMILY })),
    ...PAGE_MONOSPACE_SIZES_CSS_PX.map((sizeCssPx) => ({ weight: 400, sizeCssPx, family: PAGE_MONOSPACE_FAMILY })),
  ];
}

/** The names in a CSS font-family list, unquoted (each is looked up on its own, misses included). */
export function familyNames(list: string): string[] {
  return list.split(',').map((name) => name.trim().replace(/["']/g, ''));
}

/**
 * The page's fonts as canvas font strings: its faces and the label font. A thread's first use of a
 * family, size and weight looks it up (FontCache::GetFontPlatformData: fontconfig and an IPC to the
 * browser on Linux), and each thread has its own cache: the worker's warm-up does not serve the page.
 * Traced, that was 12 of the explorer's first 13.6 ms Layout (217 boxes, 16 lookups), inside the frame
 * that first shows the page.
 */
export function pageFonts(): string[] {
  return [...pageFaces().map(({ weight, sizeCssPx, family }) => `${weight} ${sizeCssPx}px ${family}`), FLAME_FONT];
}

/**
 * Looks `fonts` up on this thread, one per idle period: while the browser is starting, one lookup
 * took up to ~6 ms here (a batch of nine made a 61 ms task), and with the machine's other core busy,
 * lookups in ordinary tasks held the page's own code back (the explorer painted ~100 ms later than
 * without them). In idle periods they only use the gaps while the page waits for its code and its
 * answer; a page that has none left before its first layout looks the rest up there, as without this.
 * A measure is enough: nothing is drawn.
 */
export function warmPageFonts(
  fonts: readonly string[],
  options: { done?: () => boolean; ctx?: Pick<CanvasRenderingContext2D, 'font' | 'measureText'> | null; later?: (next: () => void) => void } = {},
): void {
  const { done = () => false, later = whenIdle } = options;
  // Made in the first idle period, not in the caller's task (the page's entry, already the longest).
  let ctx: Pick<CanvasRenderingContext2D, 'font' | 'measureText'> | null | undefined = options.ctx;
  const warmFrom = (index: number): void => {
    // `done`: the layout the warm-up is for has come (the rest would only take idle time from input).
    if (index >= fonts.length || done()) return;
    if (ctx === undefined) ctx = scratchContext();
    if (!ctx) return;
    try {
      ctx.font = fonts[index]!;
      ctx.measureText('Cinder 0123');
    } catch {
      // A warm-up only.
    }
    later(() => warmFrom(index + 1));
  };
  later(() => warmFrom(0));
}

function whenIdle(next: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => next());
  else setTimeout(next, 0);
}

function scratchContext(): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null {
  try {
    if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(1, 1).getContext('2d');
    if (typeof document !== 'undefined') return document.createElement('canvas').getContext('2d');
  } catch {
    // No canvas here (a test's DOM without one): nothing to warm.
  }
  return null;
}

type LabelContext = Pick<CanvasRenderingContext2D, 'font' | 'measureText' | 'fillText' | 'getImageData'>;

/** Every printable ASCII character: the glyphs of nearly every frame name. */
const WARM_TEXT = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
/** Room for the whole line (glyphs outside the canvas would not be drawn at all). */
const WARM_WIDTH_CSS_PX = 800;
const WARM_HEIGHT_CSS_PX = 16;

/**
 * Resolves the label font and draws its glyphs once on a scratch canvas. The first use of a font list
 * looks each family up (fontconfig on Linux: misses for the macOS and Windows names), and the first
 * fillText sets up shaping and rasterizes glyphs: 10–60 ms on this loaded 2-core machine, otherwise
 * paid inside the first paint. The flame-graph worker does it on an OffscreenCanvas as it starts: the
 * rasterized glyphs are the process's, which the page's canvas then finds warm (~2 ms instead of 5–17
 * in a probe of fresh headless Chromiums), so the page's main thread only does it where workers
 * cannot. The font lookups themselves are per thread: the page's are warmPageFonts'.
 */
export function warmFlameFont(): void {
  try {
    if (typeof OffscreenCanvas !== 'undefined') {
      const ctx = new OffscreenCanvas(WARM_WIDTH_CSS_PX, WARM_HEIGHT_CSS_PX).getContext('2d');
      if (ctx) warmOn(ctx);
    } else if (typeof document !== 'undefined') {
      const canvas = document.createElement('canvas');
      canvas.width = WARM_WIDTH_CSS_PX;
      canvas.height = WARM_HEIGHT_CSS_PX;
      const ctx = canvas.getContext('2d');
      if (ctx) warmOn(ctx);
    }
  } catch {
    // A warm-up only: the renderer sets the font itself.
  }
}

/** Whether the page's main thread must warm the font itself (no worker canvas to do it). */
export function mainThreadMustWarmFont(): boolean {
  return typeof Worker === 'undefined' || typeof OffscreenCanvas === 'undefined';
}

function warmOn(ctx: LabelContext): void {
  ctx.font = FLAME_FONT;
  ctx.measureText('0');
  ctx.fillText(WARM_TEXT, 0, 12);
  // Drawing is deferred until read: reading a pixel rasterizes the glyphs (into the process's glyph cache).
  ctx.getImageData(0, 0, 1, 1);
}
