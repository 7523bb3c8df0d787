/**
 * A writer process for clickhouse-scaleout.test.ts: appends profiles to a ClickHouse store from
 * several concurrent loops and prints `ack <profile id>` for each append ClickHouse acknowledged,
 * until it is killed (or after 100,000 appends / 120 s). Usage: <url> <database> <nowMs>
 */
import { ProfileBuilder } from '@cinder/core';
import { openClickHouseStore } from '../../src/storage/clickhouse/store.js';
import type { ValidatedProfile } from '../../src/storage/store.js';

const [url, database, nowText] = process.argv.slice(2);
const nowMs = Number(nowText);
const store = await openClickHouseStore({ url: url!, database: database!, retentionMs: 7 * 86_400_000, rollupRetentionMs: 30 * 86_400_000, now: () => nowMs });
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const deadline = Date.now() + 120_000;
let next = 0;

function profile(i: number): ValidatedProfile {
  const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }]);
  builder.addSample(['main', 'child', `f${i}`], [i + 1]);
  return {
    kind: 'ValidatedProfile',
    tenant: '',
    seriesLabels: [
      ['__name__', 'process_cpu'],
      ['pod', `w${i % 3}`],
      ['service_name', 'killed'],
    ],
    profileTypeIds: [CPU],
    timeMs: nowMs - 1000 - (i % 1000),
    profileId: `child-${i}`,
    profile: builder.build(),
  };
}

async function loop(): Promise<void> {
  while (next < 100_000 && Date.now() < deadline) {
    const i = next++;
    await store.append([profile(i)]);
    process.stdout.write(`ack child-${i}\n`);
  }
}

await Promise.all([loop(), loop(), loop(), loop()]);
await store.close();
