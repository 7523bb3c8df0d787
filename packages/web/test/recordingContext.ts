import type { Canvas2DLike } from '../src/flamegraph/renderer.js';

export type DrawCall =
  | { op: 'fillRect'; x: number; y: number; w: number; h: number; fillStyle: string }
  | { op: 'strokeRect'; x: number; y: number; w: number; h: number; strokeStyle: string }
  | { op: 'fillText'; text: string; x: number; y: number; fillStyle: string }
  | { op: 'clearRect'; x: number; y: number; w: number; h: number }
  | { op: 'setTransform'; scale: number };

/** A canvas context that logs what would be drawn; monospace text is `charWidthCssPx` per char. */
export class RecordingContext implements Canvas2DLike {
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  lineWidth = 1;
  font = '';
  textBaseline: CanvasTextBaseline = 'alphabetic';
  readonly calls: DrawCall[] = [];

  constructor(private readonly charWidthCssPx = 6) {}

  setTransform(a: number): void {
    this.calls.push({ op: 'setTransform', scale: a });
  }
  clearRect(x: number, y: number, w: number, h: number): void {
    this.calls.push({ op: 'clearRect', x, y, w, h });
  }
  fillRect(x: number, y: number, w: number, h: number): void {
    this.calls.push({ op: 'fillRect', x, y, w, h, fillStyle: String(this.fillStyle) });
  }
  strokeRect(x: number, y: number, w: number, h: number): void {
    this.calls.push({ op: 'strokeRect', x, y, w, h, strokeStyle: String(this.strokeStyle) });
  }
  fillText(text: string, x: number, y: number): void {
    this.calls.push({ op: 'fillText', text, x, y, fillStyle: String(this.fillStyle) });
  }
  measureText(text: string): { width: number } {
    return { width: text.length * this.charWidthCssPx };
  }

  rects(): Extract<DrawCall, { op: 'fillRect' }>[] {
    return this.calls.filter((c): c is Extract<DrawCall, { op: 'fillRect' }> => c.op === 'fillRect');
  }
  texts(): string[] {
    return this.calls.filter((c): c is Extract<DrawCall, { op: 'fillText' }> => c.op === 'fillText').map((c) => c.text);
  }
}
