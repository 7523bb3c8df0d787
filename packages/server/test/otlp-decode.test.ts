/**
 * The OTLP decoder (ingest/otlpDecode.ts) on the calling thread: protobuf and JSON agree on the real
 * capture, the conversion rules (inlined lines, unsymbolized frames, depth truncation, values from
 * timestamps, off-CPU sums), per-profile rejections, and bounded work on hostile input — including
 * thousands of seeded mutations of the capture that must each decode or be refused with a Cinder
 * code, never another exception.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { CinderError, ErrorCodes } from '@cinder/core';
import { assertOtlpTopLevelWithinLimits, decodeOtlpRequest } from '../src/ingest/otlpDecode.js';
import { ExportProfilesServiceRequestSchema, type ExportProfilesServiceRequest } from '../src/gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';

const captureBytes = new Uint8Array(readFileSync(path.resolve(__dirname, '../../../testdata/otlp/otel-ebpf-profile.pb.bin')));
const capture = fromBinary(ExportProfilesServiceRequestSchema, captureBytes);

function collapsedOf(entries: ReturnType<typeof decodeOtlpRequest>): string[] {
  const lines: string[] = [];
  for (const { profile, otlp } of entries) {
    profile.stacks.forEach((stack, s) => lines.push(`${otlp.profileTypeId} ${otlp.serviceName} ${[...stack].map((id) => profile.names[id]).join(';')} ${profile.values[0]![s]}`));
  }
  return lines.sort();
}

function refusal(run: () => unknown): CinderError {
  try {
    run();
  } catch (error) {
    if (error instanceof CinderError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** A one-profile request built from frames given leaf first per location. */
function tinyRequest(options: { locations: string[][]; values?: bigint[]; timestamps?: bigint[]; sampleType?: [string, string]; period?: bigint; periodType?: [string, string] }): ExportProfilesServiceRequest {
  const strings = [''];
  const str = (s: string): number => {
    const at = strings.indexOf(s);
    if (at >= 0) return at;
    strings.push(s);
    return strings.length - 1;
  };
  const functionTable = [{}];
  const locationTable = [{}];
  for (const lines of options.locations) {
    locationTable.push({
      address: 0x1234n,
      lines: lines.map((name) => {
        functionTable.push({ nameStrindex: name === '' ? 0 : str(name) });
        return { functionIndex: functionTable.length - 1 };
      }),
    } as never);
  }
  const [type, unit] = options.sampleType ?? ['samples', 'count'];
  const [periodTypeName, periodUnit] = options.periodType ?? ['cpu', 'nanoseconds'];
  return create(ExportProfilesServiceRequestSchema, {
    dictionary: {
      stringTable: strings,
      functionTable,
      locationTable,
      mappingTable: [{}],
      stackTable: [{}, { locationIndices: options.locations.map((_, i) => i + 1) }],
      attributeTable: [{}],
      linkTable: [{}],
    },
    resourceProfiles: [
      {
        scopeProfiles: [
          {
            profiles: [
              {
                sampleType: { typeStrindex: str(type), unitStrindex: str(unit) },
                periodType: { typeStrindex: str(periodTypeName), unitStrindex: str(periodUnit) },
                period: options.period ?? 10_000_000n,
                timeUnixNano: 1_700_000_000_000_000_000n,
                samples: [{ stackIndex: 1, values: options.values ?? [], timestampsUnixNano: options.timestamps ?? [] }],
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('OTLP decoder', () => {
  it('protobuf and OTLP JSON of the real capture decode to the same profiles and series', () => {
    const fromProto = decodeOtlpRequest(captureBytes, false);
    const fromJsonBody = decodeOtlpRequest(Buffer.from(JSON.stringify(toJson(ExportProfilesServiceRequestSchema, capture))), true);
    expect(fromProto.length).toBeGreaterThan(70);
    expect(fromProto.every((e) => e.otlp.rejected === undefined)).toBe(true);
    expect(collapsedOf(fromJsonBody)).toEqual(collapsedOf(fromProto));
    expect(fromJsonBody.map((e) => e.otlp.attributes)).toEqual(fromProto.map((e) => e.otlp.attributes));
    expect(new Set(fromProto.map((e) => e.otlp.profileTypeId))).toEqual(new Set(['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'off_cpu:off_cpu:nanoseconds::']));
  });

  it('samples:count with a cpu period becomes cpu nanoseconds (timestamps count as observations); inlined lines expand root first', () => {
    const [entry] = decodeOtlpRequest(toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: [['leaf', 'inlinedCaller'], ['main']], timestamps: [1n, 2n, 3n] })), false);
    expect(entry!.otlp.profileTypeId).toBe('process_cpu:cpu:nanoseconds:cpu:nanoseconds');
    expect([...entry!.profile.stacks[0]!].map((id) => entry!.profile.names[id])).toEqual(['main', 'inlinedCaller', 'leaf']);
    expect(entry!.profile.values[0]![0]).toBe(30_000_000);
    expect(entry!.profile.timeMs).toBe(1_700_000_000_000);
  });

  it('off_cpu sums its per-observation values; other types keep a known family name; unsymbolized frames are named by address', () => {
    const [offCpu] = decodeOtlpRequest(
      toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: [['f']], values: [5n, 7n], timestamps: [1n, 2n], sampleType: ['off_cpu', 'nanoseconds'], period: 0n, periodType: ['', ''] })),
      false,
    );
    expect(offCpu!.otlp.profileTypeId).toBe('off_cpu:off_cpu:nanoseconds::');
    expect(offCpu!.profile.values[0]![0]).toBe(12);
    const [heap] = decodeOtlpRequest(
      toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: [['']], values: [4096n], sampleType: ['alloc_space', 'bytes'], period: 524288n, periodType: ['space', 'bytes'] })),
      false,
    );
    expect(heap!.otlp.profileTypeId).toBe('memory:alloc_space:bytes:space:bytes');
    expect(heap!.profile.names[heap!.profile.stacks[0]![0]!]).toBe('0x1234');
  });

  it('over-deep stacks keep their root-most frames', () => {
    const deep = Array.from({ length: 50 }, (_, i) => [`f${i}`]);
    const [entry] = decodeOtlpRequest(toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: deep, values: [1n] })), false, { decode: { maxStackDepth: 10 } });
    const names = [...entry!.profile.stacks[0]!].map((id) => entry!.profile.names[id]);
    expect(names).toEqual(['f49', 'f48', 'f47', 'f46', 'f45', 'f44', 'f43', 'f42', 'f41', 'f40']);
  });

  it('a broken profile is rejected on its own, with its reason', () => {
    const noValues = decodeOtlpRequest(toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: [['f']] })), false);
    expect(noValues[0]!.otlp.rejected?.code).toBe(ErrorCodes.INGEST_MALFORMED_OTLP);
    const negative = decodeOtlpRequest(toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: [['f']], values: [-3n] })), false);
    expect(negative[0]!.otlp.rejected?.code).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
    const huge = decodeOtlpRequest(toBinary(ExportProfilesServiceRequestSchema, tinyRequest({ locations: [['f']], values: [2n ** 62n] })), false);
    expect(huge[0]!.otlp.rejected?.code).toBe(ErrorCodes.INGEST_VALUE_OUT_OF_RANGE);
    const request = tinyRequest({ locations: [['f']], values: [1n] });
    request.dictionary!.stackTable[1]!.locationIndices.push(77);
    expect(decodeOtlpRequest(toBinary(ExportProfilesServiceRequestSchema, request), false)[0]!.otlp.rejected?.message).toMatch(/location index 77/);
  });

  it('counts before it builds: many empty containers or deep nesting are refused in milliseconds', () => {
    // 2,000,000 empty ResourceProfiles (field 1, length 0): 4 MB, refused at the profile count.
    const empties = new Uint8Array(4_000_000);
    for (let i = 0; i < empties.length; i += 2) empties[i] = 0x0a;
    let started = performance.now();
    const tooMany = refusal(() => decodeOtlpRequest(empties, false));
    expect(tooMany.code).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
    expect(tooMany.message).toMatch(/resource profiles.*--max-push-profiles/);
    expect(refusal(() => assertOtlpTopLevelWithinLimits(empties, 1000)).message).toMatch(/resource profiles.*--max-push-profiles/);
    expect(() => assertOtlpTopLevelWithinLimits(captureBytes, 77)).not.toThrow();
    expect(refusal(() => assertOtlpTopLevelWithinLimits(captureBytes, 76)).code).toBe(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX);
    expect(performance.now() - started).toBeLessThan(500);
    // A resource attribute whose AnyValue nests arrays 5,000 deep.
    let value: Uint8Array = new Uint8Array(0);
    const wrap = (field: number, inner: Uint8Array): Uint8Array => {
      const length: number[] = [];
      let n = inner.length;
      do {
        length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>>= 7;
      } while (n > 0);
      const out = new Uint8Array(1 + length.length + inner.length);
      out[0] = (field << 3) | 2;
      out.set(length, 1);
      out.set(inner, 1 + length.length);
      return out;
    };
    for (let i = 0; i < 5000; i++) value = wrap(1, wrap(5, value)); // ArrayValue{1: AnyValue{5: ArrayValue}}
    const nested = wrap(1, wrap(1, wrap(1, wrap(2, wrap(5, value))))); // Request{1: RP{1: Resource{1: KeyValue{2: AnyValue}}}}
    started = performance.now();
    expect(refusal(() => decodeOtlpRequest(nested, false)).code).toBe(ErrorCodes.INGEST_MALFORMED_OTLP);
    expect(performance.now() - started).toBeLessThan(500);
    let json = '"x"';
    for (let i = 0; i < 5000; i++) json = `{"arrayValue":{"values":[${json}]}}`;
    expect(refusal(() => decodeOtlpRequest(Buffer.from(`{"dictionary":{},"resourceProfiles":[{"resource":{"attributes":[{"key":"k","value":${json}}]}}]}`), true)).code).toBe(
      ErrorCodes.INGEST_MALFORMED_OTLP,
    );
  });

  it('3,000 seeded mutations of the capture: each decodes or is refused with a Cinder code, quickly', () => {
    let seed = 20261128;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const outcomes = new Map<string, number>();
    let slowestMs = 0;
    for (let round = 0; round < 3000; round++) {
      let bytes = Uint8Array.from(captureBytes);
      const kind = random(4);
      if (kind === 0) bytes = bytes.subarray(0, random(bytes.length));
      else if (kind === 1) for (let i = 0; i < 1 + random(8); i++) bytes[random(bytes.length)] = random(256);
      else if (kind === 2) {
        const at = random(bytes.length);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...Array.from({ length: 1 + random(16) }, () => random(256)), ...bytes.subarray(at)]);
      } else {
        const at = random(bytes.length);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + random(64))]);
      }
      const started = performance.now();
      let outcome: string;
      // The gRPC listener's top-level check: a Cinder refusal or nothing, and never stricter than the full decode.
      let topLevelRefused = false;
      try {
        assertOtlpTopLevelWithinLimits(bytes, 1000);
      } catch (error) {
        if (!(error instanceof CinderError)) throw new Error(`mutation ${round} (kind ${kind}): top-level check threw ${String(error)}`);
        topLevelRefused = true;
      }
      try {
        const entries = decodeOtlpRequest(bytes, false);
        if (topLevelRefused) throw new Error(`mutation ${round} (kind ${kind}): refused at the top level but decodes`);
        outcome = entries.some((e) => e.otlp.rejected) ? 'partly rejected' : 'decoded';
      } catch (error) {
        if (!(error instanceof CinderError)) throw new Error(`mutation ${round} (kind ${kind}) threw ${String(error)}`);
        outcome = error.code;
      }
      slowestMs = Math.max(slowestMs, performance.now() - started);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get(ErrorCodes.INGEST_MALFORMED_OTLP)).toBeGreaterThan(100);
    expect(slowestMs).toBeLessThan(2000);
  });
});
