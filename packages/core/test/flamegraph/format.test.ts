import { describe, expect, it } from 'vitest';
import { colorForPackage, formatPercent, formatValue, packageOf } from '@cinder/core';

describe('packageOf', () => {
  it.each([
    ['github.com/x/y.Func', 'github.com/x/y'],
    ['github.com/x/y/z.(*T).Method', 'github.com/x/y/z'],
    ['runtime.mallocgc', 'runtime'],
    ['./app.mjs:fib:12', './app.mjs'],
    ['node:internal/timers:listOnTimeout:580', 'node:internal/timers'],
    ['file:///srv/app/server.js:handle:3', 'file:///srv/app/server.js'],
    ['java/util/HashMap.get', 'java/util'],
    ['java.util.HashMap.get', 'java.util'],
    ['file.py:10 - fn', 'file.py'],
    ['handle (app/views.py:42)', 'app/views.py'],
    ['std::vec::Vec<T>::push', 'std'],
    ['main', 'main'],
  ])('%s → %s', (name, pkg) => {
    expect(packageOf(name)).toBe(pkg);
  });

  it('gives one package one stable colour', () => {
    expect(colorForPackage('runtime')).toBe(colorForPackage('runtime'));
    expect(colorForPackage('runtime')).toMatch(/^hsl\(\d+, \d+%, \d+%\)$/);
  });
});

describe('formatValue', () => {
  it.each([
    [500, 'nanoseconds', '500 ns'],
    [1_500_000, 'nanoseconds', '1.5 ms'],
    [2_340_000_000, 'nanoseconds', '2.34 s'],
    [90e9, 'nanoseconds', '1.5 min'],
    [1500, 'microseconds', '1.5 ms'],
    [512, 'bytes', '512 B'],
    [1536, 'bytes', '1.5 KiB'],
    [5 * 1024 * 1024, 'bytes', '5 MiB'],
    [999, 'count', '999'],
    [12_345, 'count', '12.3k'],
    [2_000_000, 'objects', '2M objects'],
  ])('%d %s → %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });

  it('formats shares', () => {
    expect(formatPercent(0.5)).toBe('50.0%');
    expect(formatPercent(0.0123)).toBe('1.23%');
    expect(formatPercent(0.00001)).toBe('<0.01%');
  });
});
