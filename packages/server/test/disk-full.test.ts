/**
 * Issue 10 item 7, end to end: a real server whose data folder is on a small disk the test fills.
 * Ingest answers 503 CINDER_STORE_UNAVAILABLE (every request of a failed group commit), queries keep
 * answering with what was acknowledged, /ready says 503 with the reason, /metrics answers, and
 * once the filler is deleted ingest recovers by itself; after kill -9 and a restart every
 * acknowledged profile is there.
 *
 * Needs root (tmpfs or loop mount); without it the test fails and says why (see storage/smallDisk.ts).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testdataDir, type StartedServer } from './helpers/startServer.js';
import { ingest, loadExpected, mergedTotal, multipartBody, readFixture } from './helpers/client.js';
import { mountSmallDisk, type SmallDisk } from './storage/smallDisk.js';

const FIXTURE = 'go/go.cpu.labels.pprof';
const SAMPLES = 'process_cpu:samples:count:cpu:nanoseconds';
const SELECTOR = '{service_name="diskfull"}';
const RECOVERY_LIMIT_MS = 30_000;

describe('disk full (tmpfs data folder)', () => {
  let disk: SmallDisk;
  const servers: StartedServer[] = [];
  beforeAll(() => {
    disk = mountSmallDisk(24);
  });
  afterAll(async () => {
    for (const server of servers) await server.kill();
    disk?.unmount();
  });

  it('answers 503 STORE_UNAVAILABLE, keeps queries, /ready and /metrics honest, and recovers by itself', async () => {
    const dataDir = path.join(disk.dir, 'data');
    const samplesPerProfile = Number(loadExpected(testdataDir)[FIXTURE]!.sample_types.find((t) => t.type === 'samples')!.sum);
    const { body, contentType } = multipartBody([{ name: 'profile', data: readFixture(testdataDir, FIXTURE) }]);
    // The fixture's own timestamp is from 2022; from/until put each profile in the query window.
    const send = () => {
      const nowS = Math.floor(Date.now() / 1000);
      return ingest(server.baseUrl, { name: 'diskfull{env=test}', spyName: 'gospy', from: String(nowS - 10), until: String(nowS) }, body, contentType);
    };
    const countProfiles = async (baseUrl: string): Promise<number> => {
      const total = await mergedTotal(baseUrl, SAMPLES, SELECTOR);
      expect(total % samplesPerProfile, `merged total ${total} is not a whole number of profiles`).toBe(0);
      return total / samplesPerProfile;
    };

    let server = await startServer({ dataDir });
    servers.push(server);
    let acknowledged = 0;
    for (let i = 0; i < 5; i++) {
      const response = await send();
      expect(response.status, response.text).toBe(200);
      acknowledged++;
    }

    disk.fill(512 * 1024);
    let unavailable: { status: number; text: string } | null = null;
    for (let round = 0; round < 300 && unavailable === null; round++) {
      // Four at once: they share group commits, so a failed batch must answer 503 to each of them.
      for (const response of await Promise.all([send(), send(), send(), send()])) {
        if (response.status === 200) acknowledged++;
        else {
          expect(response.status, response.text).toBe(503);
          const error = response.json();
          expect(error.reason).toBe('CINDER_STORE_UNAVAILABLE');
          expect(error.code).toBe('unavailable');
          expect(error.message).toMatch(/the store cannot write: no space left on device at \/.*retry later/);
          unavailable = response;
        }
      }
    }
    expect(unavailable, `ingest never answered 503 on a full disk:\n${server.output()}`).not.toBeNull();

    const ready = await fetch(`${server.baseUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/no space left on device at .*mnt\/data/);
    const metrics = await fetch(`${server.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/cinder_/);
    // Queries answer from what is on disk: exactly the acknowledged profiles.
    expect(await countProfiles(server.baseUrl)).toBe(acknowledged);
    // Still refused while the disk is full, with a hint for clients on when to try again.
    expect((await send()).status).toBe(503);
    const nowS = Math.floor(Date.now() / 1000);
    const raw = await fetch(`${server.baseUrl}/ingest?name=diskfull&spyName=gospy&from=${nowS - 10}&until=${nowS}`, { method: 'POST', body, headers: { 'content-type': contentType } });
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBe('5');

    disk.free();
    const freedAtMs = Date.now();
    let recovered = false;
    while (!recovered && Date.now() - freedAtMs < RECOVERY_LIMIT_MS) {
      const response = await send();
      if (response.status === 200) {
        acknowledged++;
        recovered = true;
      } else {
        expect(response.status, response.text).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(recovered, `ingest did not recover within ${RECOVERY_LIMIT_MS / 1000} s of space returning:\n${server.output()}`).toBe(true);
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const response = await send();
      expect(response.status, response.text).toBe(200);
      acknowledged++;
    }
    expect(await countProfiles(server.baseUrl)).toBe(acknowledged);

    await server.kill();
    server = await startServer({ dataDir });
    servers.push(server);
    expect(await countProfiles(server.baseUrl)).toBe(acknowledged);
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
    await server.stop({ keepData: true });
  });
});
