/**
 * The layering rules in eslint.config.js, checked against deliberately wrong snippets. Each fixture
 * (a .txt file, so the normal lint and type check never see it) starts with
 *   // lint as: <path inside the repository>
 *   // expect: <rule id> "<fragment of the rule's message>"   or   // expect: clean
 * and is linted as if it lived at that path. A rule that stops matching (a renamed folder, a glob
 * typo, a later config block that replaces its options) fails here instead of passing silently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const fixturesDir = path.join(here, 'fixtures');

interface Fixture {
  name: string;
  code: string;
  lintAs: string;
  expected: { ruleId: string; messageFragment: string } | 'clean';
}

function readFixture(name: string): Fixture {
  const code = readFileSync(path.join(fixturesDir, name), 'utf8');
  const lintAs = /^\/\/ lint as: (\S+)$/m.exec(code)?.[1];
  const expectLine = /^\/\/ expect: (.+)$/m.exec(code)?.[1];
  if (!lintAs || !expectLine) throw new Error(`${name}: needs "// lint as: <path>" and "// expect: <rule> \\"<message>\\"" (or "clean") lines`);
  if (expectLine.trim() === 'clean') return { name, code, lintAs, expected: 'clean' };
  const match = /^(\S+) "(.+)"$/.exec(expectLine.trim());
  if (!match) throw new Error(`${name}: cannot read the expect line "${expectLine}"`);
  return { name, code, lintAs, expected: { ruleId: match[1]!, messageFragment: match[2]! } };
}

const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.txt'))
  .sort()
  .map(readFixture);
const eslint = new ESLint({ cwd: repoRoot });

async function lint(fixture: Fixture): Promise<ESLint.LintResult> {
  const [result] = await eslint.lintText(fixture.code, { filePath: path.join(repoRoot, fixture.lintAs) });
  return result!;
}

describe('lint rules that keep the layers apart', () => {
  it('has fixtures for every boundary, wrong and right', () => {
    const wrong = fixtures.filter((f) => f.expected !== 'clean').map((f) => f.lintAs.split('/').slice(0, 4).join('/'));
    expect(wrong.some((p) => p.startsWith('packages/web/src'))).toBe(true);
    expect(wrong.some((p) => p.startsWith('packages/server/src/storage'))).toBe(true);
    expect(wrong.some((p) => p.startsWith('packages/core/src'))).toBe(true);
    expect(fixtures.filter((f) => f.expected === 'clean').length).toBeGreaterThanOrEqual(3);
  });

  for (const fixture of fixtures) {
    if (fixture.expected === 'clean') {
      it(`${fixture.name}: passes as ${fixture.lintAs}`, async () => {
        const result = await lint(fixture);
        expect(result.messages.map((m) => `${m.ruleId}: ${m.message}`)).toEqual([]);
      });
    } else {
      const { ruleId, messageFragment } = fixture.expected;
      it(`${fixture.name}: ${ruleId} fails it as ${fixture.lintAs}`, async () => {
        const result = await lint(fixture);
        // Only the intended rule fires, so the snippet tests that rule and nothing else.
        expect(result.messages.map((m) => m.ruleId)).toEqual(result.messages.map(() => ruleId));
        expect(result.errorCount).toBeGreaterThan(0);
        expect(result.messages.map((m) => m.message).join('\n')).toContain(messageFragment);
        expect(result.messages.every((m) => m.severity === 2)).toBe(true);
      });
    }
  }

  it('the same wrong fetch is allowed only in packages/web/src/api/client.ts', async () => {
    const code = 'export const get = (url: string, signal: AbortSignal): Promise<Response> => fetch(url, { signal });\n';
    const [inClient] = await eslint.lintText(code, { filePath: path.join(repoRoot, 'packages/web/src/api/client.ts') });
    const [elsewhere] = await eslint.lintText(code, { filePath: path.join(repoRoot, 'packages/web/src/api/other.ts') });
    expect(inClient!.messages).toEqual([]);
    expect(elsewhere!.messages.map((m) => m.ruleId)).toEqual(['no-restricted-globals']);
  });

  it('the real web sources outside api/client.ts do not call fetch', async () => {
    const results = await eslint.lintFiles(['packages/web/src']);
    const boundary = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId?.startsWith('no-restricted-')).map((m) => `${path.relative(repoRoot, r.filePath)}:${m.line} ${m.message}`),
    );
    expect(boundary).toEqual([]);
  });
});
