/**
 * Decoding (gunzip + parse + model) is most of ingest's CPU, so it runs on worker threads for every
 * format: the main thread keeps serving HTTP and writing the store while workers decode, and no
 * upload can block the event loop for longer than it takes to copy its result back. A worker that
 * dies (out of memory) or overruns its time is replaced, and the request gets a clear 4xx.
 * `threads` 0 decodes inline (tests, one-core machines).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CinderError,
  ErrorCodes,
  decodeCollapsed,
  decodeCpuprofile,
  decodeJfr,
  decodePerfScript,
  decodeLines,
  decodePprof,
  decodeSpeedscope,
  decodeTreeFormat,
  decodeTrieFormat,
  type DecodePprofOptions,
  type ErrorCode,
  type Profile,
} from '@cinder/core';
import { maybeGunzip } from './body.js';
import { decodeOtlpRequest, type OtlpEntryMeta } from './otlpDecode.js';

export type DecodeFormat = 'pprof' | 'collapsed' | 'lines' | 'trie' | 'tree' | 'speedscope' | 'otlp' | 'otlp-json' | 'jfr' | 'cpuprofile' | 'perf_script';

export interface DecodeRequest {
  bytes: Uint8Array;
  format: DecodeFormat;
  maxOutputBytes: number;
  what: string;
  options: DecodePprofOptions;
  /** 'otlp' / 'otlp-json': OTLP profiles per request (--max-push-profiles). */
  maxProfiles?: number;
  /** 'jfr': the multipart `labels` part (LabelsSnapshot, gzip sniffed), if any. */
  jfrLabels?: Uint8Array | null;
  /** 'jfr' / 'perf_script': the `sampleRate` query parameter (Hz). */
  sampleRate?: number;
}

/** One decoded profile; speedscope files hold several (unit and name per entry, '' elsewhere). */
export interface DecodedProfile {
  profile: Profile;
  unit: string;
  profileName: string;
  /** 'otlp' / 'otlp-json' only: the entry's series metadata or its rejection (ingest/otlp.ts). */
  otlp?: OtlpEntryMeta;
  /** 'jfr', 'cpuprofile', 'perf_script': the `__name__` the decoder derived (process_cpu, wall, memory, …). */
  metricName?: string;
  /** 'jfr': async-profiler's `event` setting ('' when none), for the `jfr_event` label. */
  jfrEvent?: string;
}

export interface DecoderPoolOptions {
  /** Heap of each worker: the work limits keep real profiles far below the default. */
  workerHeapMb: number;
  /** A decode still running after this is stopped (its worker is replaced). */
  timeoutMs: number;
  /**
   * Bodies smaller than this (as received) decode on the calling thread: an SDK's few-KiB profile
   * decodes in about a millisecond, less than handing it to a worker and back.
   */
  inlineBelowBytes: number;
  /**
   * A worker idle this long exits and is started again when needed: each one holds tens of MiB of
   * heap that V8 does not give back (a soak with two always-on workers ran ~80 MB higher and rising).
   */
  idleExitMs: number;
}

const DEFAULT_POOL_OPTIONS: DecoderPoolOptions = { workerHeapMb: 1024, timeoutMs: 30_000, inlineBelowBytes: 16 * 1024, idleExitMs: 30_000 };

/** A decoded profile with its stacks packed into one frame array: structured clone cost is per object. */
type PackedProfile = Omit<Profile, 'stacks'> & { frames: Uint32Array; offsets: Uint32Array };
type PackedEntry = Omit<DecodedProfile, 'profile'> & { profile: PackedProfile };
type DecodeReply = { id: number; entries: PackedEntry[] } | { id: number; error: { code?: ErrorCode; message: string } };

export function decodeInline(request: DecodeRequest): DecodedProfile[] {
  const bytes = maybeGunzip(request.bytes, request.maxOutputBytes, request.what);
  const limits = request.options.limits;
  const text = (): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const one = (profile: Profile): DecodedProfile[] => [{ profile, unit: '', profileName: '' }];
  switch (request.format) {
    case 'pprof':
      return one(decodePprof(bytes, request.options));
    case 'collapsed':
      return one(decodeCollapsed(text(), limits));
    case 'lines':
      return one(decodeLines(text(), limits));
    case 'trie':
      return one(decodeTrieFormat(bytes, limits));
    case 'tree':
      return one(decodeTreeFormat(bytes, limits));
    case 'speedscope':
      return decodeSpeedscope(text(), limits).map((entry) => ({ profile: entry.profile, unit: entry.unit, profileName: entry.profileName }));
    case 'jfr': {
      const labels = request.jfrLabels && request.jfrLabels.length > 0 ? maybeGunzip(request.jfrLabels, request.maxOutputBytes, 'labels part') : null;
      const decoded = decodeJfr(bytes, { labels, sampleRate: request.sampleRate, limits });
      return decoded.profiles.map(({ metricName, profile }) => ({ profile, unit: '', profileName: '', metricName, jfrEvent: decoded.jfrEvent }));
    }
    case 'cpuprofile':
      return [{ profile: decodeCpuprofile(text(), limits), unit: '', profileName: '', metricName: 'wall' }];
    case 'perf_script':
      return decodePerfScript(text(), { sampleRate: request.sampleRate, limits }).map(({ metricName, profile }) => ({ profile, unit: '', profileName: '', metricName }));
    case 'otlp':
    case 'otlp-json':
      return decodeOtlpRequest(bytes, request.format === 'otlp-json', { decode: limits, maxProfiles: request.maxProfiles }).map((entry) => ({ ...entry, unit: '', profileName: '' }));
  }
}

export function packEntries(entries: DecodedProfile[]): { entries: PackedEntry[]; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const packed = entries.map((entry) => {
    const { stacks, ...rest } = entry.profile;
    let frameCount = 0;
    for (const stack of stacks) frameCount += stack.length;
    const frames = new Uint32Array(frameCount);
    const offsets = new Uint32Array(stacks.length + 1);
    let at = 0;
    for (let s = 0; s < stacks.length; s++) {
      frames.set(stacks[s]!, at);
      at += stacks[s]!.length;
      offsets[s + 1] = at;
    }
    transfer.push(frames.buffer, offsets.buffer, ...rest.values.map((column) => column.buffer as ArrayBuffer));
    return { ...entry, profile: { ...rest, frames, offsets } };
  });
  return { entries: packed, transfer };
}

function unpack(packed: PackedEntry): DecodedProfile {
  const { frames, offsets, ...profile } = packed.profile;
  const stacks = new Array<Uint32Array>(offsets.length - 1);
  for (let s = 0; s < stacks.length; s++) stacks[s] = frames.subarray(offsets[s]!, offsets[s + 1]!);
  return { ...packed, profile: { ...profile, stacks } };
}

export interface ProfileDecoder {
  decode(request: DecodeRequest): Promise<DecodedProfile[]>;
  /** Worker threads alive now (they start on demand and exit when idle). */
  runningWorkers(): number;
  close(): Promise<void>;
}

class InlineDecoder implements ProfileDecoder {
  async decode(request: DecodeRequest): Promise<DecodedProfile[]> {
    return decodeInline(request);
  }
  runningWorkers(): number {
    return 0;
  }
  async close(): Promise<void> {}
}

interface PendingDecode {
  resolve: (entries: DecodedProfile[]) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

class DecodeWorker {
  readonly pending = new Map<number, PendingDecode>();
  /** null = not running (never needed yet, or exited after being idle). */
  private worker: Worker | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  closed = false;

  constructor(private readonly options: DecoderPoolOptions) {}

  post(id: number, entry: PendingDecode, message: unknown, transfer: ArrayBuffer[]): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.pending.set(id, entry);
    this.worker ??= this.spawn();
    this.worker.postMessage(message, transfer);
  }

  private settled(): void {
    if (this.pending.size > 0 || this.closed) return;
    this.idleTimer = setTimeout(() => {
      const idle = this.worker;
      this.worker = null;
      if (idle) void idle.terminate();
    }, this.options.idleExitMs);
    this.idleTimer.unref();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./decodeWorker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb } });
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      clearTimeout(entry.timer);
      if ('entries' in reply) entry.resolve(reply.entries.map(unpack));
      else entry.reject(reply.error.code ? new CinderError(reply.error.code, reply.error.message) : new Error(reply.error.message));
      this.settled();
    });
    // 'exit' follows an error; the error says whether the heap limit was the cause.
    let failure: Error | null = null;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (exitCode) => {
      // A worker retired (idle, overrun) or closed on purpose is no longer this.worker.
      if (worker !== this.worker || this.closed) return;
      this.worker = null;
      const outOfMemory = (failure as (Error & { code?: string }) | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.failAll(
        outOfMemory
          ? new CinderError(
              ErrorCodes.INGEST_PROFILE_TOO_COMPLEX,
              `decoding this profile needed more than ${this.options.workerHeapMb} MiB of memory; lower the profile's size or its number of distinct stacks`,
            )
          : new Error(`the decode worker stopped (exit code ${exitCode}): ${failure?.message ?? 'no error reported'}`),
      );
    });
    return worker;
  }

  failAll(error: unknown): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
      this.pending.delete(id);
    }
    this.settled();
  }

  /** An overrun decode takes its worker with it: terminate (a new one starts on the next decode), fail what it held. */
  timedOut(id: number): void {
    if (!this.pending.has(id)) return;
    const stuck = this.worker;
    this.worker = null;
    this.failAll(new CinderError(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX, `decoding took longer than ${this.options.timeoutMs / 1000} s and was stopped; the profile is too large or malformed`));
    if (stuck) void stuck.terminate();
  }

  get running(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const running = this.worker;
    this.worker = null;
    if (running) await running.terminate();
  }
}

class WorkerPool implements ProfileDecoder {
  private readonly workers: DecodeWorker[] = [];
  private nextId = 0;

  constructor(
    size: number,
    private readonly options: DecoderPoolOptions,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(new DecodeWorker(options));
  }

  decode(request: DecodeRequest): Promise<DecodedProfile[]> {
    if (request.bytes.length < this.options.inlineBelowBytes) {
      try {
        return Promise.resolve(decodeInline(request));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    let target = this.workers[0]!;
    for (const candidate of this.workers) if (candidate.pending.size < target.pending.size) target = candidate;
    const id = this.nextId++;
    return new Promise<DecodedProfile[]>((resolve, reject) => {
      const timer = setTimeout(() => target.timedOut(id), this.options.timeoutMs);
      // An exact-size copy, transferred: a Buffer view may sit on a much larger pooled ArrayBuffer.
      const bytes = new Uint8Array(request.bytes);
      target.post(id, { resolve, reject, timer }, { id, request: { ...request, bytes } }, [bytes.buffer]);
    });
  }

  runningWorkers(): number {
    return this.workers.filter((worker) => worker.running).length;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

/**
 * Whether the worker's compiled entry exists: run from TypeScript sources (tests that start the
 * server in-process) there is no decodeWorker.js beside this module, and decoding stays inline.
 */
const WORKER_ENTRY_EXISTS = existsSync(fileURLToPath(new URL('./decodeWorker.js', import.meta.url)));

/** `threads` 0 = decode on the main thread. Default: one per core, at most 4. */
export function createProfileDecoder(threads = Math.min(4, os.availableParallelism()), options: Partial<DecoderPoolOptions> = {}): ProfileDecoder {
  if (!WORKER_ENTRY_EXISTS) threads = 0;
  return threads > 0 ? new WorkerPool(threads, { ...DEFAULT_POOL_OPTIONS, ...options }) : new InlineDecoder();
}
