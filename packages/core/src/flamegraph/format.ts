/**
 * Display helpers for flame graphs: package derivation and colours, value formatting by unit,
 * and human names for profile types. Pure (no DOM) so the renderer, tooltips and tests agree.
 */

/**
 * The "package" a frame belongs to, used to colour frames so one library reads as one hue.
 * Recognised shapes:
 * - Go: `github.com/x/y.Func`, `github.com/x/y/z.(*T).M` → `github.com/x/y`, `github.com/x/y/z`; `runtime.mallocgc` → `runtime`
 * - Node (@pyroscope/nodejs `file:function:line`): `./app.mjs:fib:12` → `./app.mjs`
 * - Java: `java/util/HashMap.get` → `java/util`; `java.util.HashMap.get` → `java.util`
 * - Python (py-spy / pyroscope-io): `file.py:10 - fn` → `file.py`; `fn (file.py:10)` → `file.py`
 * - Rust / C++: `std::vec::Vec<T>::push` → `std`
 */
export function packageOf(name: string): string {
  let match = /^(.+?):\d+ - /.exec(name);
  if (match) return match[1]!;
  match = /\(([^()]+?):\d+\)$/.exec(name);
  if (match) return match[1]!;
  match = /^(.*):[^:]*:\d+$/.exec(name);
  if (match && match[1] !== '') return match[1]!;
  const colons = name.indexOf('::');
  if (colons > 0) return name.slice(0, colons);
  const lastSlash = name.lastIndexOf('/');
  if (lastSlash >= 0) {
    const tail = name.slice(lastSlash + 1);
    // Java classes are capitalised; Go package path segments are not.
    if (/^[A-Z]/.test(tail)) return name.slice(0, lastSlash);
    const dot = tail.indexOf('.');
    return dot >= 0 ? name.slice(0, lastSlash + 1 + dot) : name;
  }
  const parts = name.split('.');
  if (parts.length > 1) {
    const classAt = parts.findIndex((part) => /^[A-Z]/.test(part));
    if (classAt > 0) return parts.slice(0, classAt).join('.');
    return parts[0]!;
  }
  return name;
}

function hash32(text: string): number {
  // FNV-1a: stable across runs and machines so a package keeps its colour in screenshots and links.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A warm flame colour (hue 0–60°) per package; lightness varies a little so neighbours differ. */
export function colorForPackage(pkg: string): string {
  const h = hash32(pkg);
  const hue = h % 55;
  const saturation = 62 + ((h >>> 8) % 20);
  const lightness = 48 + ((h >>> 16) % 14);
  return `hsl(${hue}, ${saturation}%, ${lightness}%)`;
}

export function colorForFrameName(name: string): string {
  if (name === 'total') return 'hsl(0, 0%, 45%)';
  if (name === 'other') return 'hsl(0, 0%, 38%)';
  return colorForPackage(packageOf(name));
}

export const DIMMED_COLOR = 'hsl(0, 0%, 24%)';
export const MATCH_COLOR = 'hsl(290, 70%, 62%)';
export const MERGED_COLOR = 'hsl(0, 0%, 32%)';

function trimNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const fixed = value.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** Formats a value in a profile unit for people: ns → µs/ms/s/min/h, bytes → KiB/MiB/GiB, counts → k/M/G. */
export function formatValue(value: number, unit: string): string {
  const abs = Math.abs(value);
  switch (unit) {
    case 'nanoseconds':
    case 'microseconds':
    case 'milliseconds':
    case 'seconds': {
      const toNs = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 }[unit];
      const ns = value * toNs;
      const absNs = abs * toNs;
      if (absNs < 1e3) return `${trimNumber(ns)} ns`;
      if (absNs < 1e6) return `${trimNumber(ns / 1e3)} µs`;
      if (absNs < 1e9) return `${trimNumber(ns / 1e6)} ms`;
      if (absNs < 60e9) return `${trimNumber(ns / 1e9)} s`;
      if (absNs < 3600e9) return `${trimNumber(ns / 60e9)} min`;
      return `${trimNumber(ns / 3600e9)} h`;
    }
    case 'bytes': {
      const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let scaled = value;
      let step = 0;
      while (Math.abs(scaled) >= 1024 && step < steps.length - 1) {
        scaled /= 1024;
        step++;
      }
      return `${trimNumber(scaled)} ${steps[step]}`;
    }
    default: {
      const suffix = unit === 'count' || unit === '' ? '' : ` ${unit}`;
      if (abs < 1e3) return `${trimNumber(value)}${suffix}`;
      if (abs < 1e6) return `${trimNumber(value / 1e3)}k${suffix}`;
      if (abs < 1e9) return `${trimNumber(value / 1e6)}M${suffix}`;
      return `${trimNumber(value / 1e9)}G${suffix}`;
    }
  }
}

export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  const percent = share * 100;
  if (percent !== 0 && Math.abs(percent) < 0.01) return '<0.01%';
  return `${percent >= 10 ? percent.toFixed(1) : percent.toFixed(2)}%`;
}

/** Parts of `name:sample_type:sample_unit:period_type:period_unit`. */
export interface ProfileTypeParts {
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
}

export function parseProfileTypeId(id: string): ProfileTypeParts {
  const [name = '', sampleType = '', sampleUnit = '', periodType = '', periodUnit = ''] = id.split(':');
  return { name, sampleType, sampleUnit, periodType, periodUnit };
}

/** Unit of a profile type's values (ID part 3). */
export function profileTypeUnit(id: string): string {
  return parseProfileTypeId(id).sampleUnit;
}
