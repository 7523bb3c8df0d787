// A raw HTTP/1.1 client over a TCP socket: the fuzzer must send what fetch refuses to (lying or
// negative Content-Length, both Transfer-Encoding and Content-Length, invalid bytes in the path,
// oversized headers) and must see exactly which status came back, or that none did.
import net from 'node:net';

/**
 * Serialises a fuzz request: { method, path, headers: [name, value][], body: Buffer, halfClose? }.
 * Adds Host and Connection: close, and Content-Length unless the request sets its own framing.
 */
export function serializeRequest(request, host) {
  const headers = [...request.headers];
  const has = (name) => headers.some(([key]) => key.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', host]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  if (!has('content-length') && !has('transfer-encoding') && (request.body.length > 0 || request.method !== 'GET')) {
    headers.push(['Content-Length', String(request.body.length)]);
  }
  const head = `${request.method} ${request.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  // latin1 keeps bytes 0x80–0xff that a generator put into the path or a header as single bytes.
  return Buffer.concat([Buffer.from(head, 'latin1'), request.body]);
}

/**
 * Sends one request and resolves { status, headers, bodyText, latencyMs, timedOut, error }.
 * status 0 = the connection closed (or failed) without an HTTP response. Never rejects.
 */
export function sendRaw(baseUrl, request, timeoutMs) {
  const url = new URL(baseUrl);
  const raw = serializeRequest(request, url.host);
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks = [];
    let size = 0;
    let settled = false;
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    const finish = (extra) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks)), latencyMs: performance.now() - started, timedOut: false, error: null, ...extra });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs);
    socket.on('connect', () => {
      socket.write(raw);
      if (request.halfClose) socket.end();
    });
    socket.on('data', (chunk) => {
      // Keep the first 64 KiB: enough for the status line and an error body.
      if (size < 65_536) chunks.push(chunk);
      size += chunk.length;
    });
    socket.on('end', () => finish({}));
    socket.on('close', () => finish({}));
    socket.on('error', (error) => finish({ error: error.code ?? error.message }));
  });
}

function parseResponse(bytes) {
  let text = bytes.toString('latin1');
  // Skip interim 1xx answers (100 Continue) to reach the final status.
  for (;;) {
    const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
    if (!match) return { status: 0, headers: {}, bodyText: text.slice(0, 2000) };
    const headEnd = text.indexOf('\r\n\r\n');
    const status = Number(match[1]);
    if (status >= 100 && status < 200 && headEnd >= 0) {
      text = text.slice(headEnd + 4);
      continue;
    }
    const headers = {};
    for (const line of text.slice(0, headEnd < 0 ? text.length : headEnd).split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = headEnd < 0 ? '' : Buffer.from(text.slice(headEnd + 4), 'latin1').toString('utf8');
    return { status, headers, bodyText: body.slice(0, 4000) };
  }
}
