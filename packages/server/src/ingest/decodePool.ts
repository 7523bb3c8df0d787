/**
 * Decoding (gunzip + parse + model) is most of ingest's CPU, so it runs on worker threads for every
 * format: the main thread keeps serving HTTP and writing the store while workers decode, and no
 * upload can block the event loop for longer than it takes to copy its result back. A worker that
 * dies (out of memory) or overruns its time is replaced, and the request gets a clear 4xx.
 * `threads` 0 decodes inline (tests, one-core machines).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  CinderError,
  ErrorCodes,
  decodeCollapsed,
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

export type DecodeFormat = 'pprof' | 'collapsed' | 'lines' | 'trie' | 'tree' | 'speedscope';

export interface DecodeRequest {
  bytes: Uint8Array;
  format: DecodeFormat;
  maxOutputBytes: number;
  what: string;
  options: DecodePprofOptions;
}

/** One decoded profile; speedscope files hold several (unit and name per entry, '' elsewhere). */
export interface DecodedProfile {
  profile: Profile;
  unit: string;
  profileName: string;
}

export interface DecoderPoolOptions {
  /** Heap of each worker: the work limits keep real profiles far below the default. */
  workerHeapMb: number;
  /** A decode still running after this is stopped (its worker is replaced). */
  timeoutMs: number;
}

const DEFAULT_POOL_OPTIONS: DecoderPoolOptions = { workerHeapMb: 1024, timeoutMs: 30_000 };

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
  close(): Promise<void>;
}

class InlineDecoder implements ProfileDecoder {
  async decode(request: DecodeRequest): Promise<DecodedProfile[]> {
    return decodeInline(request);
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
  worker: Worker;
  closed = false;

  constructor(private readonly options: DecoderPoolOptions) {
    this.worker = this.spawn();
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
    });
    worker.on('error', () => undefined); // 'exit' follows and says what happened
    worker.on('exit', (exitCode) => {
      if (worker !== this.worker || this.closed) return;
      this.failAll(
        new CinderError(
          ErrorCodes.INGEST_PROFILE_TOO_COMPLEX,
          `decoding this profile needed more than ${this.options.workerHeapMb} MiB of memory (decoder exited with code ${exitCode}); lower the profile's size or its number of distinct stacks`,
        ),
      );
      this.worker = this.spawn();
    });
    return worker;
  }

  failAll(error: unknown): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
      this.pending.delete(id);
    }
  }

  /** An overrun decode takes its worker with it: terminate and replace, fail what it held. */
  timedOut(id: number): void {
    if (!this.pending.has(id)) return;
    const stuck = this.worker;
    this.worker = this.spawn();
    this.failAll(new CinderError(ErrorCodes.INGEST_PROFILE_TOO_COMPLEX, `decoding took longer than ${this.options.timeoutMs / 1000} s and was stopped; the profile is too large or malformed`));
    void stuck.terminate();
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
    let target = this.workers[0]!;
    for (const candidate of this.workers) if (candidate.pending.size < target.pending.size) target = candidate;
    const id = this.nextId++;
    return new Promise<DecodedProfile[]>((resolve, reject) => {
      const timer = setTimeout(() => target.timedOut(id), this.options.timeoutMs);
      target.pending.set(id, { resolve, reject, timer });
      // An exact-size copy, transferred: a Buffer view may sit on a much larger pooled ArrayBuffer.
      const bytes = new Uint8Array(request.bytes);
      target.worker.postMessage({ id, request: { ...request, bytes } }, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    for (const worker of this.workers) worker.closed = true;
    await Promise.all(this.workers.map((worker) => worker.worker.terminate()));
  }
}

/** `threads` 0 = decode on the main thread. Default: one per core, at most 4. */
export function createProfileDecoder(threads = Math.min(4, os.availableParallelism()), options: Partial<DecoderPoolOptions> = {}): ProfileDecoder {
  return threads > 0 ? new WorkerPool(threads, { ...DEFAULT_POOL_OPTIONS, ...options }) : new InlineDecoder();
}
