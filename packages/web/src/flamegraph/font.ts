/** The flame graph's label font, here (not in renderer.ts) so the page's start-up script can warm it without loading the renderer. */
export const FLAME_FONT = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

/**
 * Resolves the label font and shapes a label once on a scratch canvas. The first use of a font list
 * looks each family up (fontconfig on Linux: misses for the macOS and Windows names) and the first
 * fillText sets up shaping: 10–30 ms on this 2-core machine, otherwise paid inside the first paint.
 */
export function warmFlameFont(): void {
  if (typeof document === 'undefined') return;
  try {
    const ctx = document.createElement('canvas').getContext('2d');
    if (!ctx) return;
    ctx.font = FLAME_FONT;
    ctx.measureText('0');
    ctx.fillText('main.(*Server).ServeHTTP 0123456789', 0, 0);
  } catch {
    // A warm-up only: the renderer sets the font itself.
  }
}
