import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Small HTTP helpers for tests that talk to a real server. */

export interface MultipartPart {
  name: string;
  data: Uint8Array;
  filename?: string;
  contentType?: string;
}

export function multipartBody(parts: MultipartPart[]): { body: Buffer; contentType: string } {
  const boundary = `----cinder${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename ?? part.name;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${filename}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      Buffer.from(part.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function ingest(
  baseUrl: string,
  params: Record<string, string>,
  body: Uint8Array | string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: () => { code?: string; message?: string; reason?: string } }> {
  const url = `${baseUrl}/ingest?${new URLSearchParams(params).toString()}`;
  const response = await fetch(url, { method: 'POST', body: body as Uint8Array<ArrayBuffer> | string, headers: { 'content-type': contentType, ...headers } });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as { code?: string; message?: string; reason?: string } };
}

/** Connect unary call with the JSON codec. */
export async function connectJson<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  request: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

export function readFixture(testdataDir: string, relativePath: string): Buffer {
  return readFileSync(path.join(testdataDir, relativePath));
}

export function maybeGunzipFile(bytes: Buffer): Buffer {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

export interface ExpectedPprof {
  sample_types: { type: string; unit: string; sum: number | string }[];
  num_samples: number;
}

export function loadExpected(testdataDir: string): Record<string, ExpectedPprof & Record<string, unknown>> {
  return JSON.parse(readFileSync(path.join(testdataDir, 'expected.json'), 'utf8')) as Record<string, ExpectedPprof & Record<string, unknown>>;
}

/** Total value of a service's profile type, read back through SelectMergeStacktraces. */
export async function mergedTotal(baseUrl: string, profileTypeId: string, selector: string, headers: Record<string, string> = {}): Promise<number> {
  const nowMs = Date.now();
  const { status, body } = await connectJson<{ flamegraph?: { total?: string } }>(
    baseUrl,
    'querier.v1.QuerierService/SelectMergeStacktraces',
    { profileTypeID: profileTypeId, labelSelector: selector, start: String(nowMs - 3_600_000), end: String(nowMs + 600_000) },
    headers,
  );
  if (status !== 200) throw new Error(`SelectMergeStacktraces ${profileTypeId} ${selector} → ${status} ${JSON.stringify(body)}`);
  return Number(body.flamegraph?.total ?? 0);
}

export async function profileTypesOf(baseUrl: string, serviceName: string, headers: Record<string, string> = {}): Promise<string[]> {
  const nowMs = Date.now();
  const { status, body } = await connectJson<{ names?: string[] }>(
    baseUrl,
    'querier.v1.QuerierService/LabelValues',
    { name: '__profile_type__', matchers: [`{service_name="${serviceName}"}`], start: String(nowMs - 3_600_000), end: String(nowMs + 600_000) },
    headers,
  );
  if (status !== 200) throw new Error(`LabelValues → ${status} ${JSON.stringify(body)}`);
  return body.names ?? [];
}
