import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from './helpers/startServer.js';
import { ingest, mergedTotal } from './helpers/client.js';
import { rmSync } from 'node:fs';

/** A profile answered 200 survives kill -9 of the server right after the response. */
describe('durability', () => {
  const started: StartedServer[] = [];
  afterEach(async () => {
    for (const server of started.splice(0)) await server.stop({ keepData: true });
  });

  async function pushAndKill(parallel: boolean): Promise<void> {
    const first = await startServer();
    started.push(first);
    const profileCount = 60;
    const send = (i: number) =>
      ingest(first.baseUrl, { name: 'durable.cpu{run=a}', format: 'folded', sampleRate: '100' }, `main;work;step${i % 7} 3\nmain;idle 1\n`, 'text/plain');
    let acknowledged = 0;
    if (parallel) {
      const responses = await Promise.all(Array.from({ length: profileCount }, (_, i) => send(i)));
      for (const response of responses) if (response.status === 200) acknowledged++;
    } else {
      for (let i = 0; i < profileCount; i++) {
        const response = await send(i);
        expect(response.status, response.text).toBe(200);
        acknowledged++;
      }
    }
    expect(acknowledged).toBe(profileCount);
    await first.kill();

    const second = await startServer({ dataDir: first.dataDir });
    started.push(second);
    const total = await mergedTotal(second.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{service_name="durable"}');
    expect(total).toBe(profileCount * 4 * 10_000_000);
    await second.stop();
    rmSync(first.dataDir, { recursive: true, force: true });
  }

  it('sequential pushes: all N acknowledged profiles are there after SIGKILL and restart', async () => {
    await pushAndKill(false);
  });

  it('concurrent pushes (group commit): all N acknowledged profiles are there after SIGKILL and restart', async () => {
    await pushAndKill(true);
  });

  it('a second server on the same data folder fails fast and says the folder is in use', async () => {
    const first = await startServer();
    started.push(first);
    await expect(startServer({ dataDir: first.dataDir })).rejects.toThrow(/in use/);
  });
});
