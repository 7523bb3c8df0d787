/** The flame graph's label font, here (not in renderer.ts) so the page's start-up script can warm it without loading the renderer. */
export const FLAME_FONT = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

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
 * lookups fill the process's font caches, which the page's canvas then finds warm (~2 ms instead of
 * 5–17 in a probe of fresh headless Chromiums), so the page's main thread only does it where workers
 * cannot.
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
