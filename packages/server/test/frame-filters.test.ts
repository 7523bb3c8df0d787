import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFrameFilters, callTreeFromProfile, collapsedFromTree, decodePprof, decodeTreeWire, nodeName, parseFrameFilters, topTable, treeTotal } from '@cinder/core';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { ingest, maybeGunzipFile, multipartBody, readFixture } from './helpers/client.js';

/**
 * Frame filters (`filter=` on /api/v1/flamegraph and /api/v1/sandwich) against a real server with a
 * real Go CPU profile: the answers equal core's filters applied to the decoded fixture, hide keeps
 * the root total, focus changes it to the frame's total, and bad filters are 400s.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

describe('frame filters over HTTP', () => {
  let server: StartedServer;
  const profileMs = Date.now() - 10 * 60_000;
  const fromMs = Date.now() - 30 * 60_000;
  const untilMs = Date.now() + 60_000;
  const profile = decodePprof(maybeGunzipFile(readFixture(testdataDir, 'go/cpu.pb.gz')));
  const inputTree = callTreeFromProfile(
    profile,
    profile.sampleTypes.findIndex((st) => st.type === 'cpu'),
  );

  const url = (route: string, filters: string[], extra: Record<string, string> = {}): string => {
    const params = new URLSearchParams({ query: `${CPU}{service_name="checkout"}`, from: String(fromMs), until: String(untilMs), ...extra });
    for (const filter of filters) params.append('filter', filter);
    return `${server.baseUrl}${route}?${params}`;
  };
  const flameGraph = async (filters: string[]) => {
    const response = await fetch(url('/api/v1/flamegraph', filters));
    expect(response.status).toBe(200);
    return (await response.json()) as { flamegraph: { total: number; names: string[] }; top: { name: string; self: number; total: number }[] };
  };

  beforeAll(async () => {
    server = await startServer();
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, 'go/cpu.pb.gz') }]);
    const response = await ingest(server.baseUrl, { name: 'checkout', spyName: 'gospy', from: String(Math.floor(profileMs / 1000)) }, body, contentType);
    expect(response.status, response.text).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('hide keeps the root total and removes the frames; the folded export is filtered alike', async () => {
    const plain = await flameGraph([]);
    const hidden = await flameGraph(['hide:re:^runtime\\.']);
    expect(plain.flamegraph.total).toBe(treeTotal(inputTree));
    expect(hidden.flamegraph.total).toBe(plain.flamegraph.total);
    expect(plain.flamegraph.names.some((name) => name.startsWith('runtime.'))).toBe(true);
    expect(hidden.flamegraph.names.filter((name) => name.startsWith('runtime.'))).toEqual([]);
    expect(hidden.top.some((row) => row.name.startsWith('runtime.'))).toBe(false);
    const folded = await (await fetch(url('/api/v1/flamegraph', ['hide:re:^runtime\\.'], { format: 'folded' }))).text();
    expect(folded).toBe(collapsedFromTree(applyFrameFilters(inputTree, parseFrameFilters(['hide:re:^runtime\\.']))));
  });

  it('focus changes the root total to the focused frame’s total (as documented)', async () => {
    const work = topTable(inputTree).find((row) => row.name === 'main.work')!;
    expect(work.total).toBeGreaterThan(0);
    const focused = await flameGraph(['focus:name:main.work']);
    expect(focused.flamegraph.total).toBe(work.total);
    expect(focused.flamegraph.total).toBeLessThan(treeTotal(inputTree));
  });

  it('preset, collapse-recursion and show-from in one request equal core applied in order', async () => {
    const filters = ['preset:go-runtime', 'collapse-recursion', 'show-from:name:main.main'];
    const folded = await (await fetch(url('/api/v1/flamegraph', filters, { format: 'folded' }))).text();
    expect(folded).toBe(collapsedFromTree(applyFrameFilters(inputTree, parseFrameFilters(filters))));
    expect(folded.split('\n').every((line) => line.startsWith('main.main'))).toBe(true);
  });

  it('the level-of-detail answer (format=tree) is cut from the filtered tree', async () => {
    const filters = ['hide:re:^runtime\\.', 'focus:name:main.work'];
    const response = await fetch(url('/api/v1/flamegraph', filters, { format: 'tree', width: '1200' }));
    expect(response.status).toBe(200);
    const { tree } = decodeTreeWire(new Uint8Array(await response.arrayBuffer()));
    const expected = applyFrameFilters(inputTree, parseFrameFilters(filters));
    expect(treeTotal(tree)).toBe(treeTotal(expected));
    expect(treeTotal(tree)).toBe(topTable(inputTree).find((row) => row.name === 'main.work')!.total);
    const names = Array.from({ length: tree.nodeCount - 1 }, (_, i) => nodeName(tree, i + 1));
    expect(names.filter((name) => name.startsWith('runtime.'))).toEqual([]);
    expect(names).toContain('main.work');
  });

  it('the sandwich is computed from the filtered tree', async () => {
    const response = await fetch(url('/api/v1/sandwich', ['hide:name:main.slowFunction'], { function: 'main.work' }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { total: number; callers: { names: string[] }; callees: { names: string[] } };
    expect(body.total).toBe(topTable(inputTree).find((row) => row.name === 'main.work')!.total);
    expect(body.callers.names).not.toContain('main.slowFunction');
  });

  it.each([
    ['hide:runtime', /"name:" \(exact frame name\) or "re:"/],
    ['hide:re:(', /not a valid RE2 expression/],
    ['hide:re:(?=x)', /RE2/],
    ['preset:cobol-runtime', /unknown preset/],
    ['my-code:', /at least one package prefix/],
    ['zoom:name:x', /unknown filter/],
  ])('filter=%s → 400 QUERY_INVALID_ARGUMENT with what to send', async (filter, message) => {
    for (const route of ['/api/v1/flamegraph', '/api/v1/sandwich']) {
      const response = await fetch(url(route, [filter], { function: 'main.work' }));
      expect(response.status).toBe(400);
      const body = (await response.json()) as { reason: string; message: string };
      expect(body.reason).toBe('CINDER_QUERY_INVALID_ARGUMENT');
      const text = body.message;
      expect(text).toMatch(message);
      expect(text).toContain('hide:name:<frame>');
    }
  });
});
