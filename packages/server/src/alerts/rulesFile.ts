/**
 * `--rules-file rules.yaml` (GitOps): rules loaded at start, read-only through the API. The file is
 * a list of rules, or `{rules: [...]}`; each entry is what POST /api/v1/rules takes plus an optional
 * `tenant` (default: the single-tenant id). A bad entry stops the start with its position and field.
 *
 *   rules:
 *     - name: checkout-cpu
 *       tenant: team-a
 *       query: process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="checkout"}
 *       watch: { function: "main.handleCheckout", value: total }
 *       baseline: previous_version
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { CinderError, ErrorCodes, validateRuleSpec, type AlertRuleSpec } from '@cinder/core';
import { DEFAULT_TENANT, resolveTenant } from '../http/tenancy.js';

export async function loadRulesFile(file: string): Promise<{ tenant: string; spec: AlertRuleSpec }[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CinderError(ErrorCodes.RULE_INVALID, `--rules-file ${file}: ${(error as Error).message}`);
  }
  return parseRulesFile(text, file);
}

export function parseRulesFile(text: string, file: string): { tenant: string; spec: AlertRuleSpec }[] {
  let document: unknown;
  try {
    document = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new CinderError(ErrorCodes.RULE_INVALID, `--rules-file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return [];
  const list = Array.isArray(document) ? document : (document as { rules?: unknown }).rules;
  if (!Array.isArray(list)) throw new CinderError(ErrorCodes.RULE_INVALID, `--rules-file ${file}: expected a list of rules or {rules: [...]}`);
  const seen = new Set<string>();
  return list.map((entry, index) => {
    const where = `--rules-file ${file}, rule #${index + 1}`;
    try {
      const tenantValue = (entry as { tenant?: unknown } | null)?.tenant;
      const tenant = tenantValue === undefined ? DEFAULT_TENANT : resolveTenant(String(tenantValue), true);
      const isObject = entry !== null && typeof entry === 'object' && !Array.isArray(entry);
      const spec = validateRuleSpec(isObject ? Object.fromEntries(Object.entries(entry as object).filter(([key]) => key !== 'tenant')) : entry);
      const key = `${tenant}\u0000${spec.name}`;
      if (seen.has(key)) throw new CinderError(ErrorCodes.RULE_INVALID, `rule name: "${spec.name}" appears twice for tenant ${tenant}`);
      seen.add(key);
      return { tenant, spec };
    } catch (error) {
      if (error instanceof CinderError) throw new CinderError(ErrorCodes.RULE_INVALID, `${where}: ${error.message}`);
      throw error;
    }
  });
}
