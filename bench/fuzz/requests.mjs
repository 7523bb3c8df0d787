// Request generators: one per family (every ingest format, Push, every Querier method in JSON and
// proto, the legacy Pyroscope routes, every /api/v1 route, the open routes) plus crafted classes, and
// wrappers that vary the path encoding and the headers. A request is a pure function of
// (corpus, seed, index, nowMs): `generateRequest` never reads the clock or global state.
import { createRng, mixSeed } from './rng.mjs';
import { gzip, isGzip, maybeGunzip, mutate } from './mutate.mjs';
import {
  HUGE_NUMBERS,
  craftedPprof,
  deepFoldedBody,
  deepTreeBody,
  gzipBomb,
  randomTree,
  speedscopeEvented,
  speedscopeSampledRaw,
} from './corpus.mjs';

export const PROFILE_TYPES = [
  'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  'process_cpu:samples:count:cpu:nanoseconds',
  'memory:inuse_space:bytes:space:bytes',
  'memory:inuse_objects:count:space:bytes',
  'memory:alloc_space:bytes:space:bytes',
  'memory:alloc_objects:count:space:bytes',
  'wall:wall:nanoseconds:wall:nanoseconds',
  'wall:samples:count:wall:nanoseconds',
  'goroutine:goroutine:count:goroutine:count',
];

const BAD_PROFILE_TYPES = ['', 'a:b:c:d:e', ':::::', 'process_cpu', 'x'.repeat(5000), 'process_cpu:cpu:nanoseconds:cpu:nanoseconds:extra', 'é:ü:ß:∂:ƒ', 'a{b="c"}:d:e:f:g'];

/** Regexes that backtrack exponentially in a JS engine, and other selector hazards. */
export const PATHOLOGICAL_SELECTORS = [
  '{__profile_type__=~"(.*.*)*x"}',
  '{service_name=~"(a|aa)*b"}',
  '{service_name=~"(x+x+)+y"}',
  '{__name__=~"(.*)*(.*)*(.*)*z"}',
  '{service_name=~"((((((((((.*))))))))))*q"}',
  `{service_name=~"${'(a?)'.repeat(30)}${'a'.repeat(30)}"}`,
  `{service_name=~"${'.*'.repeat(2000)}"}`,
  '{service_name=~"["}',
  '{service_name=~"(?<n>a)\\\\k<n>"}',
  '{service_name=~"\\\\"}',
];

const SERVICES = ['fuzz-pprof', 'fuzz-multipart', 'fuzz-folded', 'fuzz-lines', 'fuzz-trie', 'fuzz-tree', 'fuzz-speedscope', 'fuzz-push', 'fuzz-jfr', 'fuzz-cpuprofile', 'fuzz-perf'];

/** The families and their weights; a `--skip` entry removes a family or a `family:variant`. */
export const FAMILIES = [
  [8, 'ingest-pprof-raw'],
  [8, 'ingest-pprof-multipart'],
  [5, 'ingest-folded'],
  [2, 'ingest-lines'],
  [3, 'ingest-trie'],
  [3, 'ingest-tree'],
  [4, 'ingest-speedscope'],
  [3, 'ingest-jfr'],
  [2, 'ingest-cpuprofile'],
  [2, 'ingest-perf-script'],
  [3, 'ingest-otlp'],
  [1, 'ingest-unknown'],
  [3, 'push-json'],
  [5, 'push-proto'],
  [8, 'querier-json'],
  [8, 'querier-proto'],
  [6, 'pyroscope-legacy'],
  [10, 'api-v1'],
  [2, 'open-routes'],
  [4, 'crafted-pprof'],
  [4, 'crafted-text'],
  [2, 'crafted-push'],
  [5, 'crafted-query'],
];

export const QUERIER_METHODS = [
  'ProfileTypes',
  'LabelValues',
  'LabelNames',
  'Series',
  'SelectMergeStacktraces',
  'SelectMergeSpanProfile',
  'SelectMergeProfile',
  'SelectSeries',
  'SelectHeatmap',
  'Diff',
  'GetProfileStats',
  'AnalyzeQuery',
];

// ------------------------------------------------------------------ small value generators

function selector(rng) {
  return rng.weighted([
    [6, () => `{service_name="${rng.pick(SERVICES)}-${rng.int(4)}"}`],
    [3, () => '{}'],
    [2, () => `{service_name=~"fuzz-${rng.pick(['.*', 'p.*', '[a-z]+-[0-9]'])}"}`],
    [1, () => `{service_name!="x", env=~"prod|dev", pod!~"p-.*"}`],
    [1, () => `{${'l'.repeat(1 + rng.int(300))}="${'v'.repeat(rng.int(5000))}"}`],
    [1, () => rng.pick(['{', '}', '{a=}', '{a="b"', '{="b"}', '{a=~"\\"}', '{a="\u0000"}', '{a="\ud800"}', 'not a selector', '{a="b",,}', `{${'a="b",'.repeat(500)}}`])],
    [1, () => rng.pick(PATHOLOGICAL_SELECTORS)],
  ])();
}

function profileType(rng) {
  return rng.chance(0.9) ? rng.pick(PROFILE_TYPES) : rng.pick(BAD_PROFILE_TYPES);
}

/** A time as the HTTP routes accept it: mostly sane, sometimes extreme. */
function timeText(rng, nowMs, offsetMs) {
  return rng.weighted([
    [10, () => String(nowMs + offsetMs)],
    [3, () => String(Math.floor((nowMs + offsetMs) / 1000))],
    [2, () => rng.pick(['now', 'now-1h', 'now-15m', 'now-7d', 'now-100000000y', 'now+1y'])],
    [1, () => new Date(nowMs + offsetMs).toISOString()],
    [1, () => rng.pick(['9e21', '1e308', '-1', '-9e21', 'NaN', 'Infinity', '0', '99999999999999999999999', '8640000000000001', '2^63', '', 'now-', 'yesterday', '20240101', '1.5', '0x10'])],
  ])();
}

/** An int64 for Connect messages: mostly ms around now, sometimes at the edges. */
function int64Ms(rng, nowMs, offsetMs) {
  return rng.weighted([
    [10, () => BigInt(nowMs + offsetMs)],
    [1, () => rng.pick([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 9_000_000_000_000_000n, 8_640_000_000_000_001n, BigInt(Math.floor(nowMs / 1000))])],
  ])();
}

function maxNodesText(rng) {
  return rng.pick(['', '16', '1024', '8192', '0', '-1', '1e400', '99999999999999999999', '1.5', 'abc', '2147483648']);
}

function stepValue(rng) {
  return rng.weighted([
    [8, () => rng.pick([10, 15, 60, 300])],
    [1, () => rng.pick([0, -1, 1e308, Number.NaN, Infinity, 1e-9, 0.001, 5e-324, 1e21])],
  ])();
}

/** encodeURIComponent that also encodes lone surrogates (as their WTF-8 bytes: invalid UTF-8 on purpose). */
function enc(text) {
  return text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]|[^\ud800-\udfff]+/g, (part) => {
    const c = part.charCodeAt(0);
    if (part.length === 1 && c >= 0xd800 && c <= 0xdfff) {
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    }
    return encodeURIComponent(part);
  });
}

function qs(rng, params) {
  const parts = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    // Now and then a raw (unencoded) value, a repeated key or a broken percent escape.
    if (rng.chance(0.03)) parts.push(`${key}=${String(value).replace(/ /g, '+')}`);
    else parts.push(`${key}=${enc(String(value))}`);
    if (rng.chance(0.01)) parts.push(`${key}=${enc(String(value))}`);
  }
  if (rng.chance(0.02)) parts.push(rng.pick(['%', '%zz', 'a=%ff%fe', 'x[]=1&x[a]=2', '&&&', '=', 'name=%00']));
  return parts.join('&');
}

function ingestName(rng, service) {
  const base = `${service}-${rng.int(4)}`;
  return rng.weighted([
    [6, () => base],
    [3, () => `${base}.${rng.pick(['cpu', 'alloc_objects', 'inuse_space', 'goroutines', 'wall'])}{env=${rng.pick(['prod', 'dev'])},pod=p-${rng.int(5)}}`],
    [1, () => `${base}{${'k'.repeat(rng.pick([10, 1000, 70_000]))}=${'v'.repeat(rng.pick([10, 100_000]))}}`],
    [1, () => `${base}{${Array.from({ length: rng.pick([31, 200, 2000]) }, (_, i) => `l${i}=v${i}`).join(',')}}`],
    [1, () => rng.pick(['', '{}', '{a=b}', 'app{', 'app{a}', 'app{=b}', 'app{__name__=x}', 'app{bad name!=x}', 'app{service_name=}', '\u00ff\u00fe', 'a'.repeat(100_000), 'app{a=b,a=c}'])],
  ])();
}

function ingestParams(rng, nowMs, service, extra) {
  const fromSec = Math.floor(nowMs / 1000) - rng.int(1800);
  return {
    name: ingestName(rng, service),
    from: rng.chance(0.9) ? String(fromSec) : timeText(rng, nowMs, 0),
    until: rng.chance(0.9) ? String(fromSec + 10) : timeText(rng, nowMs, 0),
    spyName: rng.pick(['gospy', 'nodespy', 'pyspy', 'rbspy', 'dotnetspy', 'scripting', 'foo239', undefined]),
    sampleRate: rng.chance(0.8) ? undefined : rng.pick(['100', '0', '-1', '1e400', 'abc', '17', '99999999999999999999']),
    ...extra,
  };
}

function maybeMutate(rng, bytes, options = {}) {
  if (!rng.chance(options.p ?? 0.5)) return { bytes: Buffer.from(bytes), applied: [] };
  // Mutate the decompressed message so proto structure is what gets damaged, then maybe re-gzip.
  const wasGzip = isGzip(bytes);
  const plain = wasGzip && rng.chance(0.8) ? maybeGunzip(bytes) : bytes;
  const result = mutate(rng, plain, options);
  if (wasGzip && plain !== bytes && rng.chance(0.7)) result.bytes = gzip(result.bytes);
  return result;
}

function multipart(rng, parts) {
  const boundary = `----fuzz${rng.int(1e9).toString(16)}`;
  const chunks = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename ?? part.name}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`),
      part.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function request(family, route, method, path, headers, body, note = '') {
  return { family, route, method, path, headers, body: Buffer.from(body), note };
}

// ------------------------------------------------------------------ families

const generators = {
  'ingest-pprof-raw'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.pprof);
    const m = maybeMutate(rng, rng.chance(0.2) ? maybeGunzip(fixture.bytes) : fixture.bytes, { proto: true, other: rng.pick(ctx.corpus.pprof).bytes });
    const headers = [['Content-Type', rng.pick(['application/octet-stream', 'application/octet-stream', 'application/x-protobuf', 'binary/octet-stream', ''])]];
    return request('ingest-pprof-raw', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-pprof', { format: 'pprof' }))}`, headers, m.bytes, `${fixture.name} ${m.applied.join('+')}`);
  },

  'ingest-pprof-multipart'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.pprof);
    const profile = maybeMutate(rng, fixture.bytes, { proto: true, p: 0.3 });
    const parts = [{ name: 'profile', data: profile.bytes }];
    if (rng.chance(0.3)) parts.push({ name: 'prev_profile', data: rng.chance(0.5) ? fixture.bytes : maybeMutate(rng, rng.pick(ctx.corpus.pprof).bytes, { proto: true }).bytes });
    if (rng.chance(0.3)) {
      const config = rng.pick(ctx.corpus.sampleTypeConfig).bytes;
      parts.push({ name: 'sample_type_config', data: rng.chance(0.3) ? mutate(rng, config).bytes : config, contentType: 'application/json' });
    }
    if (rng.chance(0.05)) parts.push({ name: rng.pick(['profile', 'unknown', '', 'x'.repeat(5000)]), data: rng.bytes(rng.int(100)) });
    let { body, contentType } = multipart(rng, rng.chance(0.1) ? parts.reverse() : parts);
    const notes = [fixture.name, ...profile.applied];
    if (rng.chance(0.25)) {
      // Damage the multipart framing itself: a truncated upload is the classic crash.
      const m = rng.chance(0.6) ? { bytes: body.subarray(0, rng.int(body.length)), applied: ['truncate-multipart'] } : mutate(rng, body);
      body = m.bytes;
      notes.push(...m.applied);
    }
    if (rng.chance(0.05)) contentType = rng.pick(['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="x"', `multipart/form-data; boundary=${'b'.repeat(200)}`, 'multipart/mixed; boundary=x']);
    return request('ingest-pprof-multipart', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-multipart', {}))}`, [['Content-Type', contentType]], body, notes.join(' '));
  },

  'ingest-folded'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.folded);
    let text = fixture.bytes;
    // Most fixtures are long; a window of lines keeps each request cheap and still real.
    if (text.length > 20_000 && rng.chance(0.7)) {
      const lines = text.toString('utf8').split('\n');
      const start = rng.int(lines.length);
      text = Buffer.from(lines.slice(start, start + 1 + rng.int(200)).join('\n'));
    }
    const m = maybeMutate(rng, rng.chance(0.2) ? gzip(text) : text, { other: rng.pick(ctx.corpus.folded).bytes.subarray(0, 4000) });
    const format = rng.pick(['folded', 'collapsed', 'groups', '']);
    return request('ingest-folded', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-folded', { format }))}`, [['Content-Type', rng.pick(['text/plain', 'application/octet-stream', 'text/plain; charset=latin1'])]], m.bytes, `${fixture.name} ${m.applied.join('+')}`);
  },

  'ingest-lines'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.folded);
    const lines = fixture.bytes.toString('utf8').split('\n').slice(0, 1 + rng.int(300)).map((line) => line.replace(/ \d+$/, ''));
    const m = maybeMutate(rng, Buffer.from(lines.join('\n')));
    return request('ingest-lines', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-lines', { format: 'lines' }))}`, [['Content-Type', 'text/plain']], m.bytes, `${fixture.name} ${m.applied.join('+')}`);
  },

  'ingest-trie'(rng, ctx) {
    const m = maybeMutate(rng, randomTree(rng, true));
    const body = rng.chance(0.2) ? gzip(m.bytes) : m.bytes;
    return request('ingest-trie', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-trie', { format: 'trie' }))}`, [['Content-Type', 'binary/octet-stream+trie']], body, m.applied.join('+'));
  },

  'ingest-tree'(rng, ctx) {
    const m = maybeMutate(rng, randomTree(rng, false));
    const body = rng.chance(0.2) ? gzip(m.bytes) : m.bytes;
    return request('ingest-tree', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-tree', { format: 'tree' }))}`, [['Content-Type', 'binary/octet-stream+tree']], body, m.applied.join('+'));
  },

  'ingest-speedscope'(rng, ctx) {
    const source = rng.chance(0.8) ? rng.pick(ctx.corpus.speedscope) : { name: 'evented-generated', bytes: speedscopeEvented(1 + rng.int(50)) };
    const m = maybeMutate(rng, source.bytes, { other: rng.pick(ctx.corpus.speedscope).bytes });
    const body = rng.chance(0.15) ? gzip(m.bytes) : m.bytes;
    return request('ingest-speedscope', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-speedscope', { format: 'speedscope' }))}`, [['Content-Type', 'application/json']], body, `${source.name} ${m.applied.join('+')}`);
  },

  'ingest-jfr'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.jfr);
    // Damage the recording itself (chunk header, metadata, constant pools, events), or cut it short.
    const m = rng.chance(0.3) ? { bytes: maybeGunzip(fixture.bytes).subarray(0, rng.int(maybeGunzip(fixture.bytes).length)), applied: ['truncate'] } : maybeMutate(rng, fixture.bytes, { p: 0.7 });
    const data = m.bytes;
    const notes = `${fixture.name} ${m.applied.join('+')}`;
    if (rng.chance(0.5)) {
      const labels = rng.chance(0.5) ? [{ name: 'labels', data: maybeMutate(rng, rng.pick(ctx.corpus.jfrLabels).bytes, { p: 0.3, proto: true }).bytes }] : [];
      const { body, contentType } = multipart(rng, [{ name: rng.chance(0.95) ? 'jfr' : 'profile', data }, ...labels]);
      return request('ingest-jfr', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-jfr', { format: 'jfr' }))}`, [['Content-Type', contentType]], body, notes);
    }
    return request('ingest-jfr', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-jfr', { format: 'jfr' }))}`, [['Content-Type', rng.pick(['application/octet-stream', 'application/octet-stream', 'text/plain'])]], data, notes);
  },

  'ingest-cpuprofile'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.cpuprofile);
    const m = maybeMutate(rng, fixture.bytes, { p: 0.6, other: rng.pick(ctx.corpus.speedscope).bytes });
    const body = rng.chance(0.15) ? gzip(m.bytes) : m.bytes;
    return request('ingest-cpuprofile', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-cpuprofile', { format: 'cpuprofile' }))}`, [['Content-Type', rng.pick(['application/json', 'application/octet-stream'])]], body, `${fixture.name} ${m.applied.join('+')}`);
  },

  'ingest-perf-script'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.perfScript);
    const m = maybeMutate(rng, fixture.bytes, { p: 0.6, other: rng.pick(ctx.corpus.folded).bytes.subarray(0, 4000) });
    const body = rng.chance(0.15) ? gzip(m.bytes) : m.bytes;
    return request('ingest-perf-script', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-perf', { format: 'perf_script' }))}`, [['Content-Type', rng.pick(['text/plain', 'application/octet-stream'])]], body, `${fixture.name} ${m.applied.join('+')}`);
  },

  // OTLP profiles over HTTP: the real eBPF capture as protobuf (mutated or not), sometimes as the
  // JSON body a client could send instead, gzipped or not, on both spellings of the route.
  'ingest-otlp'(rng, ctx) {
    const fixture = rng.pick(ctx.corpus.otlp);
    const m = maybeMutate(rng, fixture.bytes, { p: 0.6, other: rng.pick(ctx.corpus.pprof).bytes });
    const asJson = rng.chance(0.15);
    let body = asJson ? Buffer.from(rng.pick(['{}', '{"resourceProfiles":[{}]}', '{"resourceProfiles":[{"scopeProfiles":[{"profiles":[{}]}]}],"dictionary":{}}', '[', '{"resourceProfiles":7}'])) : m.bytes;
    const headers = [['Content-Type', asJson ? 'application/json' : rng.pick(['application/x-protobuf', 'application/protobuf', 'application/octet-stream', 'text/plain'])]];
    if (rng.chance(0.2)) {
      body = gzip(body);
      headers.push(['Content-Encoding', 'gzip']);
    }
    const route = rng.pick(['/v1development/profiles', '/v1development/profiles', '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export']);
    return request('ingest-otlp', route, 'POST', route, headers, body, asJson ? 'json' : `${fixture.name} ${m.applied.join('+')}`);
  },

  'ingest-unknown'(rng, ctx) {
    const format = rng.pick(['otlp', 'json', 'PPROF', 'Folded', 'pprof ', 'x'.repeat(3000), '%00', 'jfr\u0000']);
    const fixture = rng.pick([...ctx.corpus.other, ...ctx.corpus.pprof]);
    return request('ingest-unknown', '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-pprof', { format }))}`, [['Content-Type', 'application/octet-stream']], fixture.bytes, fixture.name);
  },

  'push-json'(rng, ctx) {
    const series = pushSeries(rng, ctx, 1 + rng.int(3));
    const json = {
      series: series.map((s) => ({ labels: s.labels, samples: s.samples.map((sample) => ({ rawProfile: Buffer.from(sample.rawProfile).toString('base64'), ID: sample.ID })) })),
    };
    let body = Buffer.from(JSON.stringify(json));
    const notes = series.flatMap((s) => s.notes);
    if (rng.chance(0.15)) {
      const m = mutate(rng, body);
      body = m.bytes;
      notes.push(...m.applied);
    }
    return request('push-json', 'push.v1.PusherService/Push', 'POST', '/push.v1.PusherService/Push', connectHeaders(rng, 'json'), body, notes.join(' '));
  },

  'push-proto'(rng, ctx) {
    const { create, toBinary, PushRequestSchema } = ctx.proto;
    const series = pushSeries(rng, ctx, 1 + rng.int(3));
    // An empty RawProfileSeries is field 1 with length 0 (0a 00): written directly, it costs nothing to build.
    let body = series === null ? Buffer.from('\n\0'.repeat(rng.pick([1000, 100_000, 400_000])), 'latin1') : Buffer.from(toBinary(PushRequestSchema, create(PushRequestSchema, { series })));
    const notes = series.flatMap((s) => s.notes);
    if (rng.chance(0.2)) {
      const m = mutate(rng, body, { proto: true });
      body = m.bytes;
      notes.push(...m.applied);
    }
    return request('push-proto', 'push.v1.PusherService/Push', 'POST', '/push.v1.PusherService/Push', connectHeaders(rng, 'proto'), body, notes.join(' '));
  },

  'querier-json'(rng, ctx) {
    const method = rng.pick(QUERIER_METHODS);
    const message = querierMessage(rng, ctx, method);
    let body = Buffer.from(JSON.stringify(message, (_key, value) => (typeof value === 'bigint' || (typeof value === 'number' && !Number.isFinite(value)) ? String(value) : value)));
    let note = method;
    if (rng.chance(0.08)) {
      // JSON int64 fields as text the proto JSON mapping must reject or bound.
      body = Buffer.from(body.toString().replace(/"(start|end|maxNodes|limit)":"?-?\d+"?/, `"$1":${rng.pick(['"1e400"', '1e308', '"99999999999999999999999"', '-1.5', 'null', '"NaN"', '[]', '{}', '"0x10"'])}`));
      note += ' int64-text';
    }
    if (rng.chance(0.1)) {
      const m = mutate(rng, body);
      body = m.bytes;
      note += ` ${m.applied.join('+')}`;
    }
    return request('querier-json', `querier.v1.QuerierService/${method}`, 'POST', `/querier.v1.QuerierService/${method}`, connectHeaders(rng, 'json'), body, note);
  },

  'querier-proto'(rng, ctx) {
    const method = rng.pick(QUERIER_METHODS);
    const schema = ctx.proto.requestSchemas[method];
    let body = Buffer.from(ctx.proto.toBinary(schema, ctx.proto.create(schema, querierMessage(rng, ctx, method))));
    let note = method;
    if (rng.chance(0.25)) {
      const m = mutate(rng, body, { proto: true });
      body = m.bytes;
      note += ` ${m.applied.join('+')}`;
    }
    return request('querier-proto', `querier.v1.QuerierService/${method}`, 'POST', `/querier.v1.QuerierService/${method}`, connectHeaders(rng, 'proto'), body, note);
  },

  'pyroscope-legacy'(rng, ctx) {
    const now = ctx.nowMs;
    const route = rng.pick(['/pyroscope/render', '/render', '/pyroscope/render-diff', '/pyroscope/label-values', '/pyroscope/labels']);
    const query = `${profileType(rng)}${selector(rng)}`;
    let params;
    if (route === '/pyroscope/render' || route === '/render') {
      params = { query, from: timeText(rng, now, -3_600_000), until: timeText(rng, now, 0), format: rng.pick(['json', 'collapsed', 'folded', 'dot', 'pprof', undefined]), maxNodes: maxNodesText(rng), 'max-nodes': rng.chance(0.1) ? maxNodesText(rng) : undefined, groupBy: rng.chance(0.3) ? rng.pick(['service_name', 'pod', '__name__', '']) : undefined, aggregation: rng.pick(['sum', 'avg', undefined]) };
    } else if (route === '/pyroscope/render-diff') {
      const t = profileType(rng);
      params = { leftQuery: `${t}${selector(rng)}`, rightQuery: `${rng.chance(0.9) ? t : profileType(rng)}${selector(rng)}`, leftFrom: timeText(rng, now, -7_200_000), leftUntil: timeText(rng, now, -3_600_000), rightFrom: timeText(rng, now, -3_600_000), rightUntil: timeText(rng, now, 0), maxNodes: maxNodesText(rng) };
    } else if (route === '/pyroscope/label-values') {
      params = { label: rng.pick(['service_name', '__name__', 'pod', '', 'x'.repeat(3000), '__profile_type__']), query: rng.chance(0.5) ? query : undefined, from: timeText(rng, now, -3_600_000), until: timeText(rng, now, 0) };
    } else {
      params = { query: rng.chance(0.7) ? query : undefined, from: timeText(rng, now, -3_600_000), until: timeText(rng, now, 0) };
    }
    return request('pyroscope-legacy', route, 'GET', `${route}?${qs(rng, params)}`, [], Buffer.alloc(0));
  },

  'api-v1'(rng, ctx) {
    const now = ctx.nowMs;
    const route = rng.pick(['/api/v1/config', '/api/v1/services', '/api/v1/flamegraph', '/api/v1/snapshots POST', '/api/v1/snapshots', '/api/v1/snapshots/:id', '/api/v1/snapshots/:id DELETE', '/api/v1/timeline', '/api/v1/sandwich', '/api/v1/diff', '/api/v1/labels', '/api/v1/label-values', '/api/v1/status/buildinfo']);
    const query = `${profileType(rng)}${selector(rng)}`;
    const range = { from: timeText(rng, now, -3_600_000), until: timeText(rng, now, 0) };
    const snapshotId = rng.pick(['abc', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(300), '00000000-0000-0000-0000-000000000000', '.', '%2e%2e', ctx.lastSnapshotId ?? 'none']);
    switch (route) {
      case '/api/v1/snapshots POST': {
        const payload = { query, ...range, maxNodes: maxNodesText(rng), focus: rng.chance(0.2) ? 'main;work' : undefined, title: rng.pick(['t', 'x'.repeat(10_000), '"\r\n<script>', undefined]), viewUrl: rng.pick(['/explore', '/\\evil.example', '//evil.example', 'javascript:alert(1)', undefined]) };
        let body = Buffer.from(JSON.stringify(payload));
        if (rng.chance(0.15)) body = mutate(rng, body).bytes;
        return request('api-v1', 'POST /api/v1/snapshots', 'POST', '/api/v1/snapshots', [['Content-Type', rng.pick(['application/json', 'application/json', 'text/plain', 'application/json; charset=utf-16'])]], body);
      }
      case '/api/v1/snapshots/:id':
        return request('api-v1', 'GET /api/v1/snapshots/:id', 'GET', `/api/v1/snapshots/${snapshotId}`, [], Buffer.alloc(0));
      case '/api/v1/snapshots/:id DELETE':
        return request('api-v1', 'DELETE /api/v1/snapshots/:id', 'DELETE', `/api/v1/snapshots/${snapshotId}`, [], Buffer.alloc(0));
      case '/api/v1/flamegraph':
        return apiGet(rng, route, { query, ...range, maxNodes: maxNodesText(rng), topLimit: rng.chance(0.2) ? maxNodesText(rng) : undefined, focus: rng.chance(0.2) ? rng.pick(['main', 'a;b', ';;;', 'x'.repeat(10_000)]) : undefined, format: rng.pick(['json', 'collapsed', 'folded', 'pprof', undefined]), spanId: rng.chance(0.1) ? rng.pick(['0123456789abcdef', 'zz', 'a,b,c']) : undefined, traceId: rng.chance(0.05) ? 'abc' : undefined });
      case '/api/v1/timeline':
        return apiGet(rng, route, { query, ...range, step: rng.chance(0.5) ? String(stepValue(rng)) : undefined, groupBy: rng.chance(0.4) ? rng.pick(['service_name', 'pod', '__name__', 'x'.repeat(1000)]) : undefined, aggregation: rng.pick(['sum', 'avg', 'average', 'max', undefined]), limit: rng.chance(0.2) ? maxNodesText(rng) : undefined });
      case '/api/v1/sandwich':
        return apiGet(rng, route, { query, ...range, function: rng.pick(['main', 'runtime.mallocgc', '', 'x'.repeat(5000), undefined]), maxNodes: maxNodesText(rng) });
      case '/api/v1/diff': {
        const t = profileType(rng);
        return apiGet(rng, route, { baseline: `${t}${selector(rng)}`, comparison: `${rng.chance(0.9) ? t : profileType(rng)}${selector(rng)}`, baselineFrom: timeText(rng, now, -7_200_000), baselineUntil: timeText(rng, now, -3_600_000), comparisonFrom: timeText(rng, now, -3_600_000), comparisonUntil: timeText(rng, now, 0), mode: rng.pick(['absolute', 'relative', 'x', undefined]), normalize: rng.pick(['none', 'duration', undefined]), maxNodes: maxNodesText(rng), topLimit: rng.chance(0.2) ? maxNodesText(rng) : undefined });
      }
      case '/api/v1/labels':
        return apiGet(rng, route, { query: rng.chance(0.7) ? query : undefined, ...range });
      case '/api/v1/label-values':
        return apiGet(rng, route, { name: rng.pick(['service_name', 'pod', '__profile_type__', '__name__', '', 'x'.repeat(2000)]), query: rng.chance(0.6) ? query : undefined, ...range });
      case '/api/v1/services':
        return apiGet(rng, route, range);
      default:
        return apiGet(rng, route, {});
    }
  },

  'open-routes'(rng) {
    const [method, path] = rng.pick([
      ['GET', '/ready'],
      ['GET', '/metrics'],
      ['GET', '/'],
      ['GET', '/pyroscope'],
      ['GET', '/explore/x/y'],
      ['GET', '/snapshots/abc'],
      ['GET', '/assets/../../../../etc/passwd'],
      ['GET', '/%2e%2e/%2e%2e/etc/passwd'],
      ['POST', '/settings.v1.SettingsService/Get'],
      ['POST', '/grpc.health.v1.Health/Check'],
      ['POST', '/nope.v1.Nope/Nope'],
      ['POST', '/ready'],
      ['PUT', '/ingest'],
      ['DELETE', '/metrics'],
      ['OPTIONS', '/ingest'],
      ['HEAD', '/api/v1/services'],
      ['GET', `/${'a/'.repeat(2000)}`],
      ['GET', '/api/v1/flamegraph?query=' + 'a'.repeat(100_000)],
      ['TRACE', '/'],
      ['PATCH', '/api/v1/snapshots'],
    ]);
    return request('open-routes', `${method} ${path.split('?')[0].slice(0, 60)}`, method, path, [['Content-Type', 'application/json']], method === 'POST' ? Buffer.from('{}') : Buffer.alloc(0));
  },

  'crafted-pprof'(rng, ctx) {
    const { bytes, variant } = craftedPprof(rng, ctx.proto);
    const asPush = rng.chance(0.3);
    if (asPush) {
      const { create, toBinary, PushRequestSchema } = ctx.proto;
      const body = toBinary(PushRequestSchema, create(PushRequestSchema, { series: [{ labels: baseLabels(rng, 'process_cpu'), samples: [{ rawProfile: bytes, ID: `id-${rng.int(1e6)}` }] }] }));
      return request(`crafted-pprof:${variant}`, 'push.v1.PusherService/Push', 'POST', '/push.v1.PusherService/Push', connectHeaders(rng, 'proto'), body, variant);
    }
    return request(`crafted-pprof:${variant}`, '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-pprof', { format: 'pprof' }))}`, [['Content-Type', 'application/octet-stream']], bytes, variant);
  },

  'crafted-text'(rng, ctx) {
    const variant = ctx.pickVariant(rng, 'crafted-text', ['folded-huge-number', 'folded-deep', 'folded-long-frame', 'folded-invalid-utf8', 'tree-deep', 'trie-deep', 'trie-huge-value', 'speedscope-evented-deep', 'speedscope-huge-weight', 'gzip-bomb', 'gzip-truncated', 'gzip-concatenated']);
    let format = 'folded';
    let body;
    if (variant === 'folded-huge-number') body = Buffer.from(`a;b;c ${rng.pick(HUGE_NUMBERS)}\na;b 1\n`);
    else if (variant === 'folded-deep') body = deepFoldedBody(rng.pick([1000, 10_000, 100_000]));
    else if (variant === 'folded-long-frame') body = Buffer.from(`${'x'.repeat(rng.pick([70_000, 1_000_000]))};b 1\n`);
    else if (variant === 'folded-invalid-utf8') body = Buffer.concat([Buffer.from('a;'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from(';b 3\n')]);
    else if (variant === 'tree-deep' || variant === 'trie-deep') {
      format = variant === 'tree-deep' ? 'tree' : 'trie';
      body = deepTreeBody(rng.pick([1000, 10_000, 30_000]), format === 'trie');
    } else if (variant === 'trie-huge-value') {
      format = rng.pick(['trie', 'tree']);
      // root "" 0 1 → "a" value=2^64-1 (10-byte varint), no children
      body = Buffer.from([0, 0, 1, 1, 0x61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0]);
    } else if (variant === 'speedscope-evented-deep') {
      format = 'speedscope';
      body = speedscopeEvented(rng.pick([1000, 10_000]));
    } else if (variant === 'speedscope-huge-weight') {
      format = 'speedscope';
      body = speedscopeSampledRaw([1, rng.pick(['1e400', '-1', '1e308', '9'.repeat(400), '-1e400', '0.5'])]);
    } else if (variant === 'gzip-bomb') body = gzipBomb(rng.pick([8, 64]) * 1024 * 1024);
    else if (variant === 'gzip-truncated') {
      const zipped = gzip(rng.pick(ctx.corpus.folded).bytes);
      body = zipped.subarray(0, rng.int(zipped.length));
    } else body = Buffer.concat([gzip(Buffer.from('a;b 1\n')), gzip(Buffer.from('c;d 2\n'))]);
    const gzipWrap = body.length > 10_000 && !isGzip(body) && rng.chance(0.5);
    return request(`crafted-text:${variant}`, '/ingest', 'POST', `/ingest?${qs(rng, ingestParams(rng, ctx.nowMs, 'fuzz-folded', { format }))}`, [['Content-Type', format === 'speedscope' ? 'application/json' : 'text/plain']], gzipWrap ? gzip(body) : body, variant);
  },

  'crafted-push'(rng, ctx) {
    const { create, toBinary, PushRequestSchema } = ctx.proto;
    const variant = ctx.pickVariant(rng, 'crafted-push', ['empty-series-bomb', 'many-labels', 'long-label', 'invalid-label-names', 'invalid-utf8-label', 'many-samples', 'duplicate-labels']);
    const fixture = rng.pick(ctx.corpus.pprof).bytes;
    let series;
    if (variant === 'empty-series-bomb') series = null;
    else if (variant === 'many-labels') series = [{ labels: Array.from({ length: rng.pick([31, 1000, 20_000]) }, (_, i) => ({ name: `l${i}`, value: 'v' })).concat(baseLabels(rng, 'process_cpu')), samples: [{ rawProfile: fixture, ID: '' }] }];
    else if (variant === 'long-label') series = [{ labels: [...baseLabels(rng, 'process_cpu'), { name: 'k', value: 'v'.repeat(rng.pick([70_000, 2_000_000])) }], samples: [{ rawProfile: fixture, ID: '' }] }];
    else if (variant === 'invalid-label-names') series = [{ labels: [...baseLabels(rng, 'process_cpu'), { name: rng.pick(['bad name!', '', '0abc', '__name__', 'é', 'a\u0000b']), value: 'x' }], samples: [{ rawProfile: fixture, ID: '' }] }];
    else if (variant === 'many-samples') series = [{ labels: baseLabels(rng, 'process_cpu'), samples: Array.from({ length: rng.pick([100, 2000]) }, () => ({ rawProfile: rng.pick(ctx.corpus.pprof).bytes.subarray(0, 2000), ID: '' })) }];
    else if (variant === 'duplicate-labels') series = [{ labels: [...baseLabels(rng, 'process_cpu'), { name: 'service_name', value: 'dup' }], samples: [{ rawProfile: fixture, ID: '' }] }];
    else series = [{ labels: baseLabels(rng, 'process_cpu'), samples: [{ rawProfile: fixture, ID: '' }] }];
    // An empty RawProfileSeries is field 1 with length 0 (0a 00): written directly, it costs nothing to build.
    let body = series === null ? Buffer.from('\n\0'.repeat(rng.pick([1000, 100_000, 400_000])), 'latin1') : Buffer.from(toBinary(PushRequestSchema, create(PushRequestSchema, { series })));
    if (variant === 'invalid-utf8-label') {
      // protobuf-es refuses to encode invalid UTF-8, so patch the bytes of a marker value.
      const marker = Buffer.from('fuzz-push-0');
      const at = body.indexOf(marker);
      if (at >= 0) Buffer.from([0xff, 0xfe, 0xed, 0xa0]).copy(body, at);
    }
    const headers = connectHeaders(rng, 'proto');
    if (variant === 'empty-series-bomb' && rng.chance(0.5)) {
      body = gzip(body);
      headers.push(['Content-Encoding', 'gzip']);
    }
    return request(`crafted-push:${variant}`, 'push.v1.PusherService/Push', 'POST', '/push.v1.PusherService/Push', headers, body, variant);
  },

  'crafted-query'(rng, ctx) {
    const now = ctx.nowMs;
    const variant = ctx.pickVariant(rng, 'crafted-query', ['regex', 'time-range', 'step', 'max-nodes', 'tree-format', 'long-selector']);
    const type = rng.pick(PROFILE_TYPES);
    const regex = rng.pick(PATHOLOGICAL_SELECTORS);
    if (variant === 'regex') {
      const target = rng.pick(['/api/v1/flamegraph', '/api/v1/labels', '/pyroscope/render', 'LabelNames', 'LabelValues', 'Series', 'SelectMergeStacktraces']);
      if (target.startsWith('/')) return apiGet(rng, target, { query: `${type}${regex}`, from: String(now - 3_600_000), until: String(now) }, `crafted-query:regex`);
      const message = { profileTypeID: type, labelSelector: regex, matchers: [regex], name: 'service_name', start: String(now - 3_600_000), end: String(now) };
      return request('crafted-query:regex', `querier.v1.QuerierService/${target}`, 'POST', `/querier.v1.QuerierService/${target}`, connectHeaders(rng, 'json'), Buffer.from(JSON.stringify(message)), regex);
    }
    if (variant === 'time-range') {
      const from = rng.pick(['9e21', '-9e21', '8640000000000001', '-1', '1e308', '0']);
      const until = rng.pick(['9e21', '1e308', String(now), '8640000000000001']);
      const route = rng.pick(['/api/v1/flamegraph', '/api/v1/timeline', '/api/v1/services', '/api/v1/labels', '/pyroscope/render', '/pyroscope/labels', '/api/v1/label-values']);
      return apiGet(rng, route, { query: `${type}{}`, from, until, name: 'service_name' }, 'crafted-query:time-range');
    }
    if (variant === 'step') {
      const step = rng.pick(['1e308', '1e-9', '0.001', '-1', '0', 'NaN', '5e-324', '1e21']);
      if (rng.chance(0.5)) return apiGet(rng, '/api/v1/timeline', { query: `${type}{}`, from: String(now - rng.pick([3_600_000, 30 * 86_400_000])), until: String(now), step, groupBy: rng.chance(0.5) ? 'service_name' : undefined }, 'crafted-query:step');
      const message = { profileTypeID: type, labelSelector: '{}', start: String(now - 3_600_000), end: String(now), step: Number(step), groupBy: ['service_name'] };
      return request('crafted-query:step', 'querier.v1.QuerierService/SelectSeries', 'POST', '/querier.v1.QuerierService/SelectSeries', connectHeaders(rng, 'json'), Buffer.from(JSON.stringify(message).replace(/"step":null/, `"step":"${step}"`)), step);
    }
    if (variant === 'max-nodes') {
      const message = { profileTypeID: type, labelSelector: '{}', start: String(now - 3_600_000), end: String(now), maxNodes: rng.pick(['-1', '0', '9223372036854775807', '-9223372036854775808', '4294967296']), format: rng.pick([1, 2, 4]) };
      return request('crafted-query:max-nodes', 'querier.v1.QuerierService/SelectMergeStacktraces', 'POST', '/querier.v1.QuerierService/SelectMergeStacktraces', connectHeaders(rng, 'json'), Buffer.from(JSON.stringify(message)));
    }
    if (variant === 'tree-format') {
      const { create, toBinary } = ctx.proto;
      const schema = ctx.proto.requestSchemas.SelectMergeStacktraces;
      const body = toBinary(schema, create(schema, { profileTypeID: type, labelSelector: '{}', start: BigInt(now - 3_600_000), end: BigInt(now), format: rng.pick([2, 4, 7, 99]) }));
      return request('crafted-query:tree-format', 'querier.v1.QuerierService/SelectMergeStacktraces', 'POST', '/querier.v1.QuerierService/SelectMergeStacktraces', connectHeaders(rng, 'proto'), body);
    }
    const long = `{${Array.from({ length: 2000 }, (_, i) => `l${i}=~".*"`).join(',')}}`;
    return apiGet(rng, rng.pick(['/api/v1/flamegraph', '/api/v1/labels']), { query: `${type}${long}`, from: String(now - 3_600_000), until: String(now) }, 'crafted-query:long-selector');
  },
};

function apiGet(rng, route, params, family = 'api-v1') {
  return request(family, route, 'GET', `${route}?${qs(rng, params)}`, [], Buffer.alloc(0));
}

function connectHeaders(rng, codec) {
  const headers = [['Content-Type', codec === 'json' ? rng.pick(['application/json', 'application/json', 'application/json; charset=utf-8']) : 'application/proto']];
  if (rng.chance(0.7)) headers.push(['Connect-Protocol-Version', '1']);
  if (rng.chance(0.2)) headers.push(['Accept', 'application/json; allow-utf8-labelnames=true']);
  if (rng.chance(0.05)) headers.push(['Connect-Timeout-Ms', rng.pick(['1', '0', '-5', '99999999999999'])]);
  return headers;
}

function baseLabels(rng, name) {
  return [
    { name: '__name__', value: name },
    { name: 'service_name', value: `fuzz-push-${rng.int(4)}` },
    ...(rng.chance(0.5) ? [{ name: '__delta__', value: rng.pick(['false', 'true']) }] : []),
  ];
}

function pushSeries(rng, ctx, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const fixture = rng.pick(ctx.corpus.pprof);
    const m = maybeMutate(rng, fixture.bytes, { proto: true, p: 0.3 });
    out.push({
      labels: baseLabels(rng, rng.pick(['process_cpu', 'memory', 'wall', 'goroutine', 'x', ''])),
      samples: [{ rawProfile: m.bytes, ID: rng.chance(0.5) ? `${rng.int(1e9)}` : '' }],
      notes: [fixture.name, ...m.applied],
    });
  }
  return out.map(({ labels, samples, notes }) => Object.defineProperty({ labels, samples }, 'notes', { value: notes, enumerable: false }));
}

function querierMessage(rng, ctx, method) {
  const now = ctx.nowMs;
  const start = int64Ms(rng, now, -3_600_000);
  const end = int64Ms(rng, now, 0);
  const matchers = Array.from({ length: rng.int(3) }, () => `${rng.chance(0.3) ? rng.pick(PROFILE_TYPES) : ''}${selector(rng)}`);
  const select = () => ({
    profileTypeID: profileType(rng),
    labelSelector: selector(rng),
    start,
    end,
    ...(rng.chance(0.5) ? { maxNodes: rng.pick([16n, 1024n, 0n, -1n, 2n ** 63n - 1n]) } : {}),
    format: rng.pick([0, 1, 2, 3, 4]),
    ...(rng.chance(0.15) ? { stackTraceSelector: { callSite: [{ name: 'main' }, { name: rng.pick(['work', '', 'x'.repeat(1000)]) }] } } : {}),
    ...(rng.chance(0.05) ? { spanSelector: ['0123456789abcdef', 'zz'] } : {}),
    ...(rng.chance(0.05) ? { profileIdSelector: ['not-a-uuid'] } : {}),
  });
  switch (method) {
    case 'ProfileTypes':
    case 'GetProfileStats':
      return { start, end };
    case 'LabelValues':
      return { name: rng.pick(['service_name', '__profile_type__', '__name__', 'pod', '', 'x'.repeat(1000)]), matchers, start, end };
    case 'LabelNames':
      return { matchers, start, end };
    case 'Series':
      return { matchers, labelNames: rng.chance(0.5) ? ['service_name', '__profile_type__'] : [], start, end };
    case 'SelectMergeStacktraces':
    case 'SelectMergeProfile':
      return select();
    case 'SelectMergeSpanProfile': {
      const s = select();
      return { ...s, spanSelector: rng.pick([['0123456789abcdef'], [], ['zz', '']]) };
    }
    case 'SelectSeries':
    case 'SelectHeatmap':
      return { ...select(), groupBy: rng.chance(0.5) ? ['service_name'] : [], step: stepValue(rng), aggregation: rng.pick([0, 1, 2]), ...(rng.chance(0.3) ? { limit: rng.pick([0n, 1n, 10n, -1n]) } : {}) };
    case 'Diff':
      return { left: select(), right: select() };
    case 'AnalyzeQuery':
      return { start, end, query: `${profileType(rng)}${selector(rng)}` };
    default:
      throw new Error(`no message for ${method}`);
  }
}

// ------------------------------------------------------------------ wrappers: paths and headers

/** Percent-encoded, case-changed and dot-segment variants of the same route. */
function pathVariant(rng, path) {
  const [pathname, query] = [path.split('?')[0], path.includes('?') ? path.slice(path.indexOf('?')) : ''];
  const variant = rng.pick(['encode-one', 'encode-all', 'double-slash', 'trailing-slash', 'dot-segment', 'upper', 'encoded-slash']);
  let out = pathname;
  if (variant === 'encode-one' || variant === 'encode-all') {
    out = pathname.replace(/[a-zA-Z]/g, (c, offset) => (variant === 'encode-all' || offset === 1 ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c));
  } else if (variant === 'double-slash') out = `/${pathname}`;
  else if (variant === 'trailing-slash') out = `${pathname}/`;
  else if (variant === 'dot-segment') out = `/x/..${pathname}`;
  else if (variant === 'upper') out = pathname.toUpperCase();
  else out = pathname.replace(/\//g, (s, offset) => (offset > 0 ? '%2F' : s));
  return { path: out + query, variant };
}

/** Lying or hostile headers; `halfClose` when the body is shorter than promised. */
function oddHeaders(rng, req) {
  const variant = rng.pick(['gzip-lie', 'wrong-type', 'huge-length', 'negative-length', 'short-length', 'bad-length', 'te-and-cl', 'bad-chunked', 'many-headers', 'long-header', 'expect', 'tenant-header', 'auth-junk', 'utf8-path']);
  const headers = req.headers.filter(([k]) => !(variant === 'wrong-type' && k.toLowerCase() === 'content-type'));
  let body = req.body;
  let halfClose = false;
  let path = req.path;
  if (variant === 'gzip-lie') headers.push(['Content-Encoding', rng.pick(['gzip', 'gzip', 'deflate', 'br', 'gzip, gzip', 'x-gzip', 'identity', 'zstd'])]);
  else if (variant === 'wrong-type') headers.push(['Content-Type', rng.pick(['text/plain', 'application/json', 'application/proto', 'multipart/form-data', 'application/x-www-form-urlencoded', '', ';;;', 'a'.repeat(8000), 'application/json; charset=ebcdic'])]);
  else if (variant === 'huge-length') {
    headers.push(['Content-Length', rng.pick(['1099511627776', '9223372036854775807', '18446744073709551616', '999999999999999999999'])]);
    halfClose = true;
  } else if (variant === 'negative-length') headers.push(['Content-Length', rng.pick(['-1', '-9223372036854775808'])]);
  else if (variant === 'short-length') headers.push(['Content-Length', String(Math.max(0, body.length - 1 - rng.int(Math.max(1, body.length))))]);
  else if (variant === 'bad-length') {
    headers.push(['Content-Length', rng.pick(['abc', '1, 2', '0x10', ' 5', '1e3', ''])]);
    // " 5" is a valid length: if the body is shorter the server rightly waits, so end our side.
    halfClose = true;
  }
  else if (variant === 'te-and-cl') {
    headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', String(body.length)]);
    body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (variant === 'bad-chunked') {
    headers.push(['Transfer-Encoding', 'chunked']);
    body = Buffer.concat([Buffer.from(rng.pick(['zz\r\n', 'ffffffffffffffff\r\n', '-1\r\n', `${(body.length + 10).toString(16)}\r\n`])), body]);
    halfClose = true;
  } else if (variant === 'many-headers') for (let i = 0; i < rng.pick([100, 3000]); i++) headers.push([`X-Fuzz-${i}`, 'x']);
  else if (variant === 'long-header') headers.push(['X-Long', 'a'.repeat(rng.pick([8000, 70_000]))]);
  else if (variant === 'expect') headers.push(['Expect', rng.pick(['100-continue', 'nonsense'])]);
  else if (variant === 'tenant-header') headers.push(['X-Scope-OrgID', rng.pick(['', 'a|b', '../x', 'x'.repeat(5000), '\u00ff', 'tenant-1'])]);
  else if (variant === 'auth-junk') headers.push(['Authorization', rng.pick(['Bearer', 'Basic !!!', 'Basic ' + Buffer.from(':').toString('base64'), 'Bearer ' + 'x'.repeat(10_000), 'Digest x'])]);
  else path = `${path.split('?')[0]}\u00ff\u00fe${path.includes('?') ? path.slice(path.indexOf('?')) : ''}`;
  return { ...req, headers, body, halfClose, path, odd: variant };
}

/**
 * The request number `index` of the run with `seed`. ctx: { corpus, proto, nowMs, skip: string[],
 * warmup: request[] } — the first warmup.length indexes are the plain fixture uploads that give the
 * queries something to read.
 */
export function generateRequest(ctx, seed, index) {
  if (index < ctx.warmup.length) return { ...ctx.warmup[index], index, seed };
  const rng = createRng(mixSeed(seed, index));
  const skipped = (name) => ctx.skip.some((s) => name === s || name.startsWith(`${s}:`));
  const families = FAMILIES.filter(([, name]) => !skipped(name));
  if (families.length === 0) throw new Error('--skip removed every family');
  const local = {
    ...ctx,
    pickVariant: (r, family, variants) => {
      const open = variants.filter((v) => !skipped(`${family}:${v}`));
      return r.pick(open.length ? open : variants);
    },
  };
  const family = rng.weighted(families);
  let req = generators[family](rng, local);
  if (skipped(req.family)) req = generators[family](rng, local); // crafted-pprof picks its own variant: one retry
  const wrappers = [];
  if (rng.chance(0.06)) {
    const v = pathVariant(rng, req.path);
    req = { ...req, path: v.path };
    wrappers.push(`path:${v.variant}`);
  }
  if (rng.chance(0.06)) {
    req = oddHeaders(rng, req);
    wrappers.push(`headers:${req.odd}`);
  }
  return { halfClose: false, ...req, wrappers, index, seed };
}

/** Plain uploads of fixtures, first in every run, so queries have series, labels and stacks to read. */
export function warmupRequests(corpus, nowMs) {
  const fromSec = Math.floor(nowMs / 1000) - 60;
  const out = [];
  for (const [i, fixture] of corpus.pprof.entries()) {
    if (fixture.name.startsWith('broken/')) continue;
    out.push(request('warmup', '/ingest', 'POST', `/ingest?name=${SERVICES[i % 2]}-${i % 4}&from=${fromSec}&until=${fromSec + 10}&format=pprof&spyName=foo239`, [['Content-Type', 'application/octet-stream']], fixture.bytes, fixture.name));
  }
  for (const [i, fixture] of corpus.folded.entries()) {
    if (fixture.name.startsWith('broken/')) continue;
    out.push(request('warmup', '/ingest', 'POST', `/ingest?name=fuzz-folded-${i % 4}.cpu&from=${fromSec}&format=folded`, [['Content-Type', 'text/plain']], fixture.bytes, fixture.name));
  }
  for (const [i, fixture] of corpus.speedscope.entries()) {
    if (fixture.name.startsWith('broken/')) continue;
    out.push(request('warmup', '/ingest', 'POST', `/ingest?name=fuzz-speedscope-${i % 4}&from=${fromSec}&format=speedscope`, [['Content-Type', 'application/json']], fixture.bytes, fixture.name));
  }
  return out.map((r) => ({ ...r, halfClose: false, wrappers: [] }));
}
