import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, ProfileBuilder, encodePprof } from '@cinder/core';
import { defaultLimits } from '../src/ingest/limits.js';
import { ingest, mergedTotal } from './helpers/client.js';
import { startServer, type StartedServer } from './helpers/startServer.js';

/**
 * Issue 13 item 5: every way a too-big profile is refused at the default limits. Each refusal
 * answers its documented status and code, and its message names the limit, the size that was seen
 * and the flag that raises the limit (so the user knows what to change without reading the docs).
 */
const craftedDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/crafted');
const OCTETS = 'application/octet-stream';

function cpuProfile(stacks: string[][], value = 1): Uint8Array {
  // The builder has decode limits of its own: these bodies are meant to exceed the server's.
  const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }], { type: 'cpu', unit: 'nanoseconds' }, 10_000_000, { maxSamples: 1_000_000, maxStackDepth: 1_000_000 });
  for (const stack of stacks) builder.addSample(stack, [value]);
  return encodePprof(builder.build());
}

/** Sends headers claiming `declaredBytes` and only a first slice of it; resolves with the early answer. */
function postDeclaring(baseUrl: string, declaredBytes: number): Promise<{ status: number; body: { reason?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 10 s to an oversized Content-Length')), 10_000);
    const request = http.request(`${baseUrl}/ingest?name=too-big&format=pprof`, { method: 'POST', headers: { 'content-type': OCTETS, 'content-length': declaredBytes } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as { reason?: string; message?: string } });
      });
    });
    // The server may close the socket while the rest of the body is still "coming".
    request.on('error', () => undefined);
    request.write(Buffer.alloc(64 * 1024));
  });
}

describe('too-big profiles at the default limits', () => {
  let server: StartedServer;
  const nowS = (): string => String(Math.floor(Date.now() / 1000));

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function expectServing(): Promise<void> {
    expect(server.process.exitCode, server.output()).toBeNull();
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
  }

  it('body over --max-body-size: 413 naming the declared size, the limit and the flag, before the body is read', async () => {
    const declared = defaultLimits.maxBodyBytes + 1024 * 1024;
    const { status, body } = await postDeclaring(server.baseUrl, declared);
    expect(status).toBe(413);
    expect(body.reason).toBe(ErrorCodes.INGEST_BODY_TOO_LARGE);
    expect(body.message).toContain(`is ${declared} bytes, larger than the limit of ${defaultLimits.maxBodyBytes} bytes`);
    expect(body.message).toContain('--max-body-size');
    await expectServing();
  });

  it('plain body over --max-profile-size: 413 naming its size, the limit and the flag', async () => {
    const bytes = Buffer.alloc(defaultLimits.maxProfileBytes + 1000, 0x0a);
    const response = await ingest(server.baseUrl, { name: 'too-big', format: 'pprof', from: nowS() }, bytes, OCTETS);
    expect(response.status, response.text).toBe(413);
    expect(response.json().reason).toBe(ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE);
    expect(response.json().message).toContain(`is ${bytes.length} bytes, larger than the limit of ${defaultLimits.maxProfileBytes} bytes`);
    expect(response.json().message).toContain('--max-profile-size');
    await expectServing();
  });

  it('gzipped body that inflates past --max-profile-size: 413 naming the limit, the gzipped size and the flag', async () => {
    const gzipped = gzipSync(Buffer.alloc(defaultLimits.maxProfileBytes + 1000));
    const response = await ingest(server.baseUrl, { name: 'too-big', format: 'pprof', from: nowS() }, gzipped, OCTETS);
    expect(response.status, response.text).toBe(413);
    expect(response.json().reason).toBe(ErrorCodes.INGEST_DECOMPRESSED_TOO_LARGE);
    expect(response.json().message).toContain(`decompresses to more than ${defaultLimits.maxProfileBytes} bytes (from ${gzipped.length} gzipped bytes)`);
    expect(response.json().message).toContain('--max-profile-size');
    await expectServing();
  });

  it('more samples than --max-samples: 422 (its documented status) naming the count, the limit and the flag', async () => {
    const count = defaultLimits.maxSamplesPerProfile + 1;
    const bytes = cpuProfile(Array.from({ length: count }, (_, i) => ['main', `work${i}`]));
    expect(bytes.length).toBeLessThan(defaultLimits.maxProfileBytes);
    const response = await ingest(server.baseUrl, { name: 'too-big', format: 'pprof', from: nowS() }, gzipSync(bytes), OCTETS);
    expect(response.status, response.text).toBe(422);
    expect(response.json().reason).toBe(ErrorCodes.INGEST_TOO_MANY_SAMPLES);
    expect(response.json().message).toContain(`profile has ${count} samples, more than the limit of ${defaultLimits.maxSamplesPerProfile}; raise --max-samples`);
    await expectServing();
  });

  it('more frames than --max-frames-per-profile (inline expansion): 413 naming what was seen, the limit and the flag', async () => {
    const body = readFileSync(path.join(craftedDir, 'pprof-inline-many.pb.gz'));
    const response = await ingest(server.baseUrl, { name: 'too-big', format: 'pprof', from: nowS() }, body, OCTETS);
    expect(response.status, response.text).toBe(413);
    expect(response.json().reason).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
    expect(response.json().message).toMatch(
      new RegExp(`limit on frames per profile: at least \\d+ seen, the limit is ${defaultLimits.maxFramesPerProfile}; raise --max-frames-per-profile`),
    );
    await expectServing();
  });

  it('stacks deeper than --max-stack-depth are not refused: they keep their root-most frames (200, total kept)', async () => {
    const deep = Array.from({ length: defaultLimits.maxStackDepth + 500 }, (_, i) => `frame${i}`);
    const service = `deep-${Date.now()}`;
    const response = await ingest(server.baseUrl, { name: service, format: 'pprof', from: nowS() }, cpuProfile([deep], 7_000_000), OCTETS);
    expect(response.status, response.text).toBe(200);
    expect(await mergedTotal(server.baseUrl, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', `{service_name="${service}"}`)).toBe(7_000_000);
  });
});
