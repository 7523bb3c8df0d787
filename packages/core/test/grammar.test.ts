import { describe, expect, it } from 'vitest';
import {
  CinderError,
  ErrorCodes,
  formatSelector,
  matchesLabels,
  parseDurationMs,
  parseSelector,
  parseTimeParam,
  pprofMetricName,
  profileTypeId,
  textProfileType,
  validateProfileTypeId,
} from '@cinder/core';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return error instanceof CinderError ? error.code : String(error);
  }
  return 'ok';
}

describe('label selectors', () => {
  const labels = new Map([
    ['service_name', 'checkout'],
    ['region', 'eu-west-1'],
    ['service.version', '1.2'],
  ]);
  it.each([
    ['{}', true],
    ['', true],
    ['{service_name="checkout"}', true],
    ['{service_name="cart"}', false],
    ['{service_name!="cart"}', true],
    ['{region=~"eu-.*"}', true],
    ['{region=~"eu"}', false], // anchored
    ['{region!~"us-.*", service_name="checkout"}', true],
    ['{missing=""}', true], // a missing label is the empty string
    ['{missing!=""}', false],
    ['{"service.version"="1.2"}', true],
    ["{service_name='checkout'}", true],
    ['{ service_name = "checkout" , }', true],
    ['{service_name="che\\"ckout"}', false],
  ])('%s → %s', (text, matches) => {
    expect(matchesLabels(parseSelector(text), labels)).toBe(matches);
  });

  it.each(['{service_name=}', '{service_name"x"}', 'service_name="x"', '{1abc="x"}', '{a="x"', '{a=~"("}', '{a="x"} extra', '{a~="x"}'])('%s is rejected with a clear message', (text) => {
    expect(code(() => parseSelector(text))).toBe(ErrorCodes.QUERY_INVALID_SELECTOR);
    try {
      parseSelector(text);
    } catch (error) {
      expect((error as Error).message).toMatch(/selector|regular expression/);
    }
  });

  it('formats back to a parseable selector', () => {
    const selector = parseSelector('{a="x", "b.c"=~"y|z"}');
    expect(parseSelector(formatSelector(selector))).toEqual(selector);
  });
});

describe('time parameters', () => {
  const nowMs = Date.UTC(2026, 10, 25, 12, 0, 0);
  it.each([
    ['now', nowMs],
    ['now-1h', nowMs - 3_600_000],
    ['now-30m', nowMs - 1_800_000],
    ['now-7d', nowMs - 7 * 86_400_000],
    ['1700000000', 1_700_000_000_000],
    ['1700000000000', 1_700_000_000_000],
    ['1700000000000000000', 1_700_000_000_000],
    ['20261125', Date.UTC(2026, 10, 25)],
    ['2026-11-25T10:00:00Z', Date.UTC(2026, 10, 25, 10)],
  ])('%s', (text, expectedMs) => {
    expect(parseTimeParam(text, nowMs)).toBe(expectedMs);
  });
  it('gives NaN for nonsense', () => {
    expect(parseTimeParam('yesterday', nowMs)).toBeNaN();
    expect(parseTimeParam('now-1x', nowMs)).toBeNaN();
    expect(parseDurationMs('15d')).toBe(15 * 86_400_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('soon')).toBeNaN();
  });
});

describe('profile types', () => {
  it('builds IDs with empty period parts when there is no period type', () => {
    expect(profileTypeId('memory', { type: 'inuse_space', unit: 'bytes' }, null)).toBe('memory:inuse_space:bytes::');
    expect(validateProfileTypeId('process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta').sampleType).toBe('cpu');
    expect(code(() => validateProfileTypeId('process_cpu:cpu'))).toBe(ErrorCodes.QUERY_INVALID_PROFILE_TYPE);
  });

  it('derives __name__ of pprof uploads (spec §3)', () => {
    const st = (...types: string[]) => types.map((type) => ({ type, unit: 'count' }));
    expect(pprofMetricName(st('samples', 'cpu'), null)).toBe('process_cpu');
    expect(pprofMetricName(st('samples', 'wall'), null)).toBe('wall');
    expect(pprofMetricName(st('alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'), null)).toBe('memory');
    expect(pprofMetricName(st('objects', 'space'), null)).toBe('memory');
    expect(pprofMetricName(st('goroutine'), null)).toBe('goroutines');
    expect(pprofMetricName(st('contentions', 'delay'), null)).toBe('mutex');
    expect(pprofMetricName(st('contentions', 'delay'), { contentions: { 'display-name': 'block_count' }, delay: { 'display-name': 'block_duration' } })).toBe('block');
    expect(pprofMetricName(st('cpu', 'alloc_samples', 'exception'), null)).toBe('process_cpu');
  });

  it.each([
    ['app', 100, 'app', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 10_000_000],
    ['app.cpu', 0, 'app', 'process_cpu:samples:count::', 1],
    ['app.wall', 100, 'app', 'wall:wall:nanoseconds:cpu:nanoseconds', 10_000_000],
    ['app.milliseconds', 100, 'app', 'wall:wall:nanoseconds:cpu:nanoseconds', 10_000_000],
    ['app.alloc_space', 100, 'app', 'memory:alloc_space:bytes::', 1],
    ['app.inuse_objects', 100, 'app', 'memory:inuse_objects:count::', 1],
    ['app.goroutines', 100, 'app', 'goroutine:goroutines:count::', 1],
    ['app.mutex_duration', 100, 'app', 'mutex:delay:nanoseconds::', 1],
    ['app.block_count', 100, 'app', 'block:contentions:count::', 1],
    ['app.exceptions', 100, 'app', 'exceptions:samples:count::', 1],
    ['my.app.cpu', 250, 'my.app', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 4_000_000],
  ])('text upload %s (sampleRate %d) → %s %s', (name, rate, service, id, scale) => {
    const type = textProfileType(name, rate);
    expect(type.serviceName).toBe(service);
    expect(profileTypeId(type.metricName, type.sampleType, type.periodType)).toBe(id);
    expect(type.scale).toBe(scale);
  });

  it('rejects an unknown suffix', () => {
    expect(code(() => textProfileType('app.flamegraphs', 100))).toBe(ErrorCodes.INGEST_UNKNOWN_PROFILE_SUFFIX);
  });
});
