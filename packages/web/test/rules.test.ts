/**
 * The Rules page form ↔ rule mapping: a rule loaded into the form and saved again is the same rule
 * (as core validates it), durations read back in the unit they were written in, and /rules routes.
 */
import { describe, expect, it } from 'vitest';
import { validateRuleSpec, type AlertRule } from '@cinder/core';
import { durationText, formFromRule, specFromForm } from '../src/pages/RulesPage.js';
import { matchRoute } from '../src/routes.js';

const asRule = (spec: ReturnType<typeof validateRuleSpec>): AlertRule => ({ ...spec, id: '0123456789abcdef', source: 'api', createdMs: 1, updatedMs: 1 });

describe('Rules page form', () => {
  it('round-trips every kind of rule through the form', () => {
    const inputs = [
      { name: 'a', query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}' },
      {
        name: 'b',
        query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}',
        watch: { regex: 'json\\..*', value: 'self' },
        baseline: { kind: 'previous_version', label: 'service_version' },
        window: '2h',
        interval: '30s',
        for: '5m',
        thresholds: { warnRatio: 1.1, alertRatio: 2, minValuePerSecond: 1e7, minProfiles: 4 },
        notify: [{ url: 'http://127.0.0.1:9093/api/v2/alerts', format: 'alertmanager' }, { url: 'https://hooks.example.com/x' }],
        enabled: false,
      },
      { name: 'c', kind: 'recording', query: 'memory:alloc_space:bytes:space:bytes{}', watch: { package: 'net/http.' }, baseline: 'week' },
      { name: 'd', query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{}', baseline: 'previous_period', watch: { function: 'main.work', value: 'total' } },
    ];
    for (const input of inputs) {
      const rule = asRule(validateRuleSpec(input));
      const again = validateRuleSpec(specFromForm(formFromRule(rule), rule.notify));
      expect(again, input.name).toEqual(validateRuleSpec(input));
    }
  });

  it('writes durations in the largest unit that divides them', () => {
    expect([durationText(600_000), durationText(86_400_000), durationText(90_000), durationText(1500), durationText(0)]).toEqual(['10m', '1d', '90s', '1500ms', '0ms']);
  });

  it('routes /rules to the Rules page', () => {
    expect(matchRoute('/rules')).toBe('rules');
    expect(matchRoute('/rules/')).toBe('rules');
  });
});
