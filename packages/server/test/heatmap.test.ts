import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJson, ingest, multipartBody, readFixture } from './helpers/client.js';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';

/**
 * SelectHeatmap (Grafana's profilesHeatmap): every stored profile of the selection lands in one
 * time slot and one value row; each non-empty cell's exemplar is a real profile whose own merge
 * has the exemplar's value.
 */
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

interface Heatmap {
  series?: {
    labels?: { name: string; value: string }[];
    slots?: { timestamp: string; yMin: number[]; counts: number[]; exemplars?: { profileId: string; value: string; timestamp: string; labels?: { name: string; value: string }[] }[] }[];
  }[];
}

describe('SelectHeatmap', () => {
  let server: StartedServer;
  const nowMs = Date.now();
  const fromMs = nowMs - 30 * 60_000;
  const untilMs = nowMs + 60_000;
  // pod a: three profiles (two fixtures), pod b: two; minutes apart.
  const uploads: [string, string, number][] = [
    ['go/cpu.pb.gz', 'shop{pod=a}', 20],
    ['java/profile_java', 'shop{pod=a}', 15],
    ['go/cpu.pb.gz', 'shop{pod=a}', 10],
    ['java/profile_java', 'shop{pod=b}', 12],
    ['go/cpu.pb.gz', 'shop{pod=b}', 5],
  ];

  beforeAll(async () => {
    server = await startServer();
    for (const [file, name, minutesAgo] of uploads) {
      const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, file) }]);
      const response = await ingest(server.baseUrl, { name, spyName: 'gospy', from: String(Math.floor((nowMs - minutesAgo * 60_000) / 1000)) }, body, contentType);
      expect(response.status, response.text).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  const heatmap = (body: Record<string, unknown>) =>
    connectJson<Heatmap>(server.baseUrl, 'querier.v1.QuerierService/SelectHeatmap', {
      profileTypeID: CPU,
      labelSelector: '{service_name="shop"}',
      start: String(fromMs),
      end: String(untilMs),
      step: 60,
      ...body,
    });

  /** One profile's own merge, by its id and its series' labels. */
  const mergedTotal = async (profileIds: string[], labels: { name: string; value: string }[]): Promise<number> => {
    const { body } = await connectJson<{ flamegraph?: { total?: string } }>(server.baseUrl, 'querier.v1.QuerierService/SelectMergeStacktraces', {
      profileTypeID: CPU,
      labelSelector: `{${labels.map(({ name, value }) => `${name}=${JSON.stringify(value)}`).join(', ')}}`,
      start: String(fromMs),
      end: String(untilMs),
      profileIdSelector: profileIds,
    });
    return Number(body.flamegraph?.total ?? 0);
  };

  it('places every profile once, per pod, in its minute; each exemplar opens a profile of that value', async () => {
    const { status, body } = await heatmap({ groupBy: ['pod'] });
    expect(status).toBe(200);
    const series = body.series ?? [];
    expect(series.map((s) => s.labels)).toEqual([[{ name: 'pod', value: 'a' }], [{ name: 'pod', value: 'b' }]]);
    const perPod = series.map((s) => (s.slots ?? []).reduce((sum, slot) => sum + slot.counts.reduce((a, b) => a + b, 0), 0));
    // What the store holds, by its own count.
    const stored = async (pod: string): Promise<number> => {
      const params = new URLSearchParams({ query: `${CPU}{service_name="shop", pod="${pod}"}`, from: String(fromMs), until: String(untilMs) });
      const response = await fetch(`${server.baseUrl}/api/v1/flamegraph?${params}`);
      return ((await response.json()) as { profileCount: number }).profileCount;
    };
    expect(perPod).toEqual([await stored('a'), await stored('b')]);
    expect(perPod).toEqual([3, 2]);
    for (const s of series) {
      for (const slot of s.slots ?? []) {
        // The slot (t − 60 s, t] holds the upload's time.
        const t = Number(slot.timestamp);
        expect(uploads.some(([, , minutesAgo]) => nowMs - minutesAgo * 60_000 > t - 60_000 && nowMs - minutesAgo * 60_000 <= t + 1000)).toBe(true);
        expect(slot.yMin).toHaveLength(slot.counts.length);
        for (const exemplar of slot.exemplars ?? []) {
          expect(await mergedTotal([exemplar.profileId], [...(s.labels ?? []), ...(exemplar.labels ?? [])])).toBe(Number(exemplar.value));
          const row = slot.yMin.filter((y: number) => y <= Number(exemplar.value)).length - 1;
          expect(slot.counts[row]).toBeGreaterThan(0);
        }
        expect((slot.exemplars ?? []).length).toBe(slot.counts.filter((c) => c > 0).length);
      }
    }
    // The two fixtures have different totals: the rows tell them apart.
    const all = await heatmap({});
    const cells = (all.body.series ?? []).flatMap((s) => (s.slots ?? []).flatMap((slot) => slot.counts.map((c, r) => (c > 0 ? r : -1)).filter((r) => r >= 0)));
    expect(new Set(cells).size).toBe(2);
    expect(cells).toHaveLength(5);
    // No exemplars when the caller asks for none; a limit keeps the biggest groups.
    const bare = await heatmap({ groupBy: ['pod'], exemplarType: 'EXEMPLAR_TYPE_NONE', limit: '1' });
    expect(bare.body.series?.map((s) => s.labels)).toEqual([[{ name: 'pod', value: 'a' }]]);
    expect(bare.body.series?.[0]?.slots?.every((slot) => (slot.exemplars ?? []).length === 0)).toBe(true);
  });

  it('refuses a step below a millisecond or a negative limit with invalid_argument', async () => {
    for (const body of [{ step: 0 }, { step: 0.0001 }, { limit: '-1' }]) {
      const { status } = await heatmap(body);
      expect(status).toBe(400);
    }
  });
});
