import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePprof, ingestFormatOf, ProfileBuilder, sniffFormat, type SniffedFormat } from '@cinder/core';
import { testdataDir } from '../testdata.js';

/** What each fixture is, by its provenance in testdata/README.md (inside gzip where gzipped). */
function expectedFormat(relative: string): SniffedFormat {
  if (relative.startsWith('java-jfr/') && (relative.endsWith('.jfr') || relative.endsWith('.jfr.gz'))) return 'jfr';
  if (relative.endsWith('.labels.pb.gz')) return 'unknown'; // JFR context-label snapshot, a protobuf but not a pprof
  if (relative.endsWith('.st.json')) return 'unknown'; // sample_type_config, not a profile
  if (relative.startsWith('otlp/')) return 'unknown'; // OTLP has its own endpoint, not /ingest
  if (relative.startsWith('collapsed/') || relative === 'broken/simple-with-invalids.txt') return 'folded';
  if (relative.endsWith('.speedscope.json')) return 'speedscope';
  if (relative.startsWith('chrome-cpuprofile/')) return 'cpuprofile';
  if (relative.startsWith('perf-script/')) return 'perf_script';
  return 'pprof';
}

function fixtures(dir = testdataDir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return fixtures(full);
      return entry === 'README.md' || entry === 'expected.json' ? [] : [full];
    });
}

/** sniff, and once more inside gzip, as `cinder push` does. */
function sniffFile(bytes: Uint8Array): SniffedFormat {
  const outer = sniffFormat(bytes);
  return outer.format === 'gzip' ? sniffFormat(gunzipSync(bytes)).format : outer.format;
}

describe('sniffFormat on every fixture in testdata/', () => {
  const files = fixtures();
  it('finds the fixtures', () => expect(files.length).toBeGreaterThan(60));
  for (const file of files) {
    const relative = path.relative(testdataDir, file);
    it(relative, () => {
      expect(sniffFile(readFileSync(file))).toBe(expectedFormat(relative));
    });
  }
});

describe('sniffFormat on crafted input', () => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('gzip and JFR by magic bytes', () => {
    expect(sniffFormat(Uint8Array.of(0x1f, 0x8b, 8, 0)).format).toBe('gzip');
    expect(sniffFormat(text('FLR\0rest')).format).toBe('jfr');
  });
  it('empty, random binary, a JSON array and a flamebearer are not profiles, with a reason', () => {
    expect(sniffFormat(new Uint8Array(0))).toEqual({ format: 'unknown', reason: 'the file is empty' });
    let seed = 7;
    const random = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
    expect(sniffFormat(random).format).toBe('unknown');
    expect(sniffFormat(text('[{"name":"ProfileChunk"}]')).reason).toMatch(/trace-event/);
    expect(sniffFormat(text('{"version":1,"flamebearer":{"names":[]}}')).reason).toMatch(/flamebearer/);
  });
  it('a pprof is recognised whole, and not once it is truncated or has a foreign field', () => {
    const builder = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }]);
    builder.addSample(['main', 'work'], [10]);
    const bytes = encodePprof(builder.build());
    expect(sniffFormat(bytes).format).toBe('pprof');
    expect(sniffFormat(bytes.subarray(0, bytes.length - 3)).format).toBe('unknown');
    expect(sniffFormat(Uint8Array.from([...bytes, 0xf8, 0x01, 0x00])).format).toBe('unknown'); // field 31
  });
  it('folded needs most lines to end in a count; comments do not count against it', () => {
    expect(sniffFormat(text('# c\n// c\na;b 1\na;c 2\n')).format).toBe('folded');
    expect(sniffFormat(text('a;b 1\nhello\nworld\nfoo\n')).format).toBe('unknown');
  });
  it('perf script with tab-indented frames and a timestamped header', () => {
    const perf = 'swapper     0 [000] 12345.678901:   10101010 cpu-clock:\n\tffffffff8103d0ca native_safe_halt ([kernel.kallsyms])\n\tffffffff81024282 default_idle ([kernel.kallsyms])\n\n';
    expect(sniffFormat(text(perf)).format).toBe('perf_script');
  });
  it('speedscope and .cpuprofile JSON by their top-level keys, also when the prefix is cut', () => {
    expect(sniffFormat(text('{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[')).format).toBe('speedscope');
    expect(sniffFormat(text('{"nodes":[{"id":1,"callFrame":{}}],"startTime":1,"endTime":2,"samples":[')).format).toBe('cpuprofile');
  });
  it('ingestFormatOf maps profile formats to /ingest?format= and refuses the rest', () => {
    expect(ingestFormatOf('folded')).toBe('folded');
    expect(ingestFormatOf('perf_script')).toBe('perf_script');
    expect(ingestFormatOf('gzip')).toBeNull();
    expect(ingestFormatOf('unknown')).toBeNull();
  });
});
