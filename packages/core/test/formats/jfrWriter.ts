/**
 * A tiny JFR writer for tests: enough of the format (chunk header, metadata, constant pools,
 * events) to build small recordings by hand, valid or deliberately broken.
 */

export interface FieldSpec {
  name: string;
  type: string;
  constantPool?: boolean;
  array?: boolean;
}

export interface ClassSpec {
  name: string;
  fields?: FieldSpec[];
}

/** A value to write, by the field's declared type; pool references are plain numbers. */
export type WriteValue = number | bigint | boolean | string | null | WriteValue[] | { [field: string]: WriteValue };

class Bytes {
  readonly out: number[] = [];
  u8(v: number): void {
    this.out.push(v & 0xff);
  }
  varint(value: number | bigint): void {
    let v = BigInt(value);
    for (let i = 0; i < 8; i++) {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      if (v === 0n) {
        this.u8(low);
        return;
      }
      this.u8(low | 0x80);
    }
    this.u8(Number(v & 0xffn));
  }
  string(s: string | null): void {
    if (s === null) return this.u8(0);
    if (s === '') return this.u8(1);
    const bytes = new TextEncoder().encode(s);
    this.u8(3);
    this.varint(bytes.length);
    for (const b of bytes) this.u8(b);
  }
  bytes(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) this.u8(data[i]!);
  }
}

/** A 4-byte varint (padded with continuation bits), so an event's size can be written before it is known. */
function paddedSize(size: number): number[] {
  return [(size & 0x7f) | 0x80, ((size >> 7) & 0x7f) | 0x80, ((size >> 14) & 0x7f) | 0x80, (size >> 21) & 0x7f];
}

export const PRIMITIVES = ['boolean', 'byte', 'char', 'short', 'int', 'long', 'float', 'double', 'java.lang.String'];

export class JfrBuilder {
  private readonly classes: { id: number; spec: ClassSpec }[] = [];
  private readonly ids = new Map<string, number>();
  private readonly events: number[][] = [];
  private readonly pools: { type: string; entries: [number | bigint, WriteValue][] }[] = [];

  constructor(classes: ClassSpec[]) {
    let id = 20;
    for (const name of PRIMITIVES) this.define({ name }, id++);
    for (const spec of classes) this.define(spec, id++);
  }

  private define(spec: ClassSpec, id: number): void {
    this.ids.set(spec.name, id);
    this.classes.push({ id, spec });
  }

  idOf(name: string): number {
    const id = this.ids.get(name);
    if (id === undefined) throw new Error(`no class ${name}`);
    return id;
  }

  private specOf(name: string): ClassSpec {
    return this.classes.find((c) => c.spec.name === name)!.spec;
  }

  writeValue(out: Bytes, type: string, value: WriteValue, field?: FieldSpec): void {
    if (field?.array) {
      const items = (value ?? []) as WriteValue[];
      out.varint(items.length);
      for (const item of items) this.writeValue(out, type, item, { ...field, array: false });
      return;
    }
    if (field?.constantPool) return out.varint(value as number);
    switch (type) {
      case 'boolean':
      case 'byte':
        return out.u8(value === true ? 1 : Number(value ?? 0));
      case 'char':
      case 'short':
      case 'int':
      case 'long':
        return out.varint(BigInt.asUintN(64, BigInt((value as number | bigint) ?? 0)));
      case 'java.lang.String':
        return out.string(value as string | null);
      default: {
        const record = (value ?? {}) as Record<string, WriteValue>;
        for (const f of this.specOf(type).fields ?? []) this.writeValue(out, f.type, record[f.name] ?? null, f);
      }
    }
  }

  event(type: string, fields: Record<string, WriteValue>): this {
    const body = new Bytes();
    body.varint(this.idOf(type));
    this.writeValue(body, type, fields);
    this.events.push([...paddedSize(body.out.length + 4), ...body.out]);
    return this;
  }

  /** Raw event bytes after the size (type id included), for broken events. */
  rawEvent(bytes: number[]): this {
    this.events.push([...paddedSize(bytes.length + 4), ...bytes]);
    return this;
  }

  pool(type: string, entries: [number | bigint, WriteValue][]): this {
    this.pools.push({ type, entries });
    return this;
  }

  private metadata(): number[] {
    const strings: string[] = [];
    const index = (s: string): number => {
      let i = strings.indexOf(s);
      if (i < 0) i = strings.push(s) - 1;
      return i;
    };
    const tree = new Bytes();
    const element = (name: string, attributes: [string, string][], children: () => number, write: () => void): void => {
      tree.varint(index(name));
      tree.varint(attributes.length);
      for (const [k, v] of attributes) {
        tree.varint(index(k));
        tree.varint(index(v));
      }
      tree.varint(children());
      write();
    };
    element(
      'root',
      [],
      () => 2,
      () => {
        element(
          'metadata',
          [],
          () => this.classes.length,
          () => {
            for (const { id, spec } of this.classes) {
              const fields = spec.fields ?? [];
              element(
                'class',
                [
                  ['id', String(id)],
                  ['name', spec.name],
                ],
                () => fields.length,
                () => {
                  for (const f of fields) {
                    const attrs: [string, string][] = [
                      ['name', f.name],
                      ['class', String(this.idOf(f.type))],
                    ];
                    if (f.constantPool) attrs.push(['constantPool', 'true']);
                    if (f.array) attrs.push(['dimension', '1']);
                    element('field', attrs, () => 0, () => undefined);
                  }
                },
              );
            }
          },
        );
        element('region', [], () => 0, () => undefined);
      },
    );
    const body = new Bytes();
    body.varint(0); // type: metadata
    body.varint(0);
    body.varint(0);
    body.varint(0);
    body.varint(strings.length);
    for (const s of strings) body.string(s);
    body.bytes(tree.out);
    return [...paddedSize(body.out.length + 4), ...body.out];
  }

  private constantPool(): number[] {
    const body = new Bytes();
    body.varint(1); // type: constant pool
    body.varint(0);
    body.varint(0);
    body.varint(0);
    body.varint(1);
    body.varint(this.pools.length);
    for (const { type, entries } of this.pools) {
      body.varint(this.idOf(type));
      body.varint(entries.length);
      for (const [key, value] of entries) {
        body.varint(key);
        this.writeValue(body, type, value);
      }
    }
    return [...paddedSize(body.out.length + 4), ...body.out];
  }

  /** One chunk: header, events, constant pool, metadata. */
  build(options: { ticksPerSecond?: number; startNanos?: bigint } = {}): Uint8Array {
    const events = this.events.flat();
    const cp = this.constantPool();
    const meta = this.metadata();
    const cpOffset = 68 + events.length;
    const metaOffset = cpOffset + cp.length;
    const size = metaOffset + meta.length;
    const header = new Uint8Array(68);
    const view = new DataView(header.buffer);
    header.set([0x46, 0x4c, 0x52, 0x00]);
    view.setUint16(4, 2);
    view.setUint16(6, 1);
    view.setBigInt64(8, BigInt(size));
    view.setBigInt64(16, BigInt(cpOffset));
    view.setBigInt64(24, BigInt(metaOffset));
    view.setBigInt64(32, options.startNanos ?? 1_700_000_000_000_000_000n);
    view.setBigInt64(40, 1_000_000_000n);
    view.setBigInt64(48, 0n);
    view.setBigInt64(56, BigInt(options.ticksPerSecond ?? 1_000_000_000));
    view.setInt32(64, 1);
    return Uint8Array.from([...header, ...events, ...cp, ...meta]);
  }
}

/** The classes a recording of execution samples needs, as async-profiler declares them. */
export const PROFILER_CLASSES: ClassSpec[] = [
  { name: 'jdk.types.Symbol', fields: [{ name: 'string', type: 'java.lang.String' }] },
  { name: 'java.lang.Class', fields: [{ name: 'name', type: 'jdk.types.Symbol', constantPool: true }] },
  {
    name: 'jdk.types.Method',
    fields: [
      { name: 'type', type: 'java.lang.Class', constantPool: true },
      { name: 'name', type: 'jdk.types.Symbol', constantPool: true },
    ],
  },
  {
    name: 'jdk.types.StackFrame',
    fields: [
      { name: 'method', type: 'jdk.types.Method', constantPool: true },
      { name: 'lineNumber', type: 'int' },
    ],
  },
  {
    name: 'jdk.types.StackTrace',
    fields: [
      { name: 'truncated', type: 'boolean' },
      { name: 'frames', type: 'jdk.types.StackFrame', array: true },
    ],
  },
  { name: 'jdk.types.ThreadState', fields: [{ name: 'name', type: 'java.lang.String' }] },
  {
    name: 'jdk.ExecutionSample',
    fields: [
      { name: 'startTime', type: 'long' },
      { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: true },
      { name: 'state', type: 'jdk.types.ThreadState', constantPool: true },
      { name: 'contextId', type: 'long' },
    ],
  },
  {
    name: 'jdk.JavaMonitorEnter',
    fields: [
      { name: 'startTime', type: 'long' },
      { name: 'duration', type: 'long' },
      { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: true },
    ],
  },
  {
    name: 'jdk.ActiveSetting',
    fields: [
      { name: 'name', type: 'java.lang.String' },
      { name: 'value', type: 'java.lang.String' },
    ],
  },
];

/**
 * A recording with two stacks (`Main.main;Work.run` and `Main.main;Work.run;Work.spin`) sampled
 * 3 and 2 times (one of them while sleeping), one monitor wait of 500 ticks, and event=cpu.
 */
export function smallRecording(options: { deepFrames?: number } = {}): Uint8Array {
  const b = new JfrBuilder(PROFILER_CLASSES);
  const deep = options.deepFrames ?? 0;
  b.pool('jdk.types.Symbol', [
    [1, { string: 'Main' }],
    [2, { string: 'main' }],
    [3, { string: 'Work' }],
    [4, { string: 'run' }],
    [5, { string: 'spin' }],
    [6, { string: 'App$$Lambda$12/0x0000000800c03000' }],
  ]);
  b.pool('java.lang.Class', [
    [10, { name: 1 }],
    [11, { name: 3 }],
    [12, { name: 6 }],
  ]);
  b.pool('jdk.types.Method', [
    [20, { type: 10, name: 2 }],
    [21, { type: 11, name: 4 }],
    [22, { type: 11, name: 5 }],
    [23, { type: 12, name: 4 }],
  ]);
  const deepFrames = Array.from({ length: deep }, () => ({ method: 23, lineNumber: 1 }));
  b.pool('jdk.types.StackTrace', [
    // Leaf first, as JFR writes them.
    [100, { truncated: false, frames: [{ method: 21, lineNumber: 7 }, { method: 20, lineNumber: 3 }] }],
    [101, { truncated: false, frames: [...deepFrames, { method: 22, lineNumber: 9 }, { method: 21, lineNumber: 8 }, { method: 20, lineNumber: 3 }] }],
  ]);
  b.pool('jdk.types.ThreadState', [
    [1, { name: 'STATE_RUNNABLE' }],
    [2, { name: 'STATE_SLEEPING' }],
  ]);
  b.event('jdk.ActiveSetting', { name: 'event', value: 'cpu' });
  for (let i = 0; i < 3; i++) b.event('jdk.ExecutionSample', { startTime: 1000 + i, stackTrace: 100, state: 1, contextId: 0 });
  b.event('jdk.ExecutionSample', { startTime: 2000, stackTrace: 101, state: 1, contextId: 0 });
  b.event('jdk.ExecutionSample', { startTime: 2001, stackTrace: 101, state: 2, contextId: 0 });
  b.event('jdk.JavaMonitorEnter', { startTime: 3000, duration: 500, stackTrace: 101 });
  return b.build();
}
