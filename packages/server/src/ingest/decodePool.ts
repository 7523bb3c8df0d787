/**
 * pprof decoding (gunzip + protobuf + model) is most of ingest's CPU, so it runs on worker threads:
 * the main thread keeps serving HTTP and writing the store while workers decode in parallel.
 * Small pools fall back to decoding inline (tests, one-core machines).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CinderError, decodePprof, type DecodePprofOptions, type ErrorCode, type Profile } from '@cinder/core';
import { maybeGunzip } from './body.js';

export interface DecodeRequest {
  bytes: Uint8Array;
  maxOutputBytes: number;
  what: string;
  options: DecodePprofOptions;
}

/** A decoded profile with its stacks packed into one frame array (see decodeWorker.ts). */
type PackedProfile = Profile & { frames: Uint32Array; offsets: Uint32Array };
type DecodeReply = { id: number; profile: PackedProfile } | { id: number; error: { code?: ErrorCode; message: string } };

function unpack(packed: PackedProfile): Profile {
  const { frames, offsets, ...profile } = packed;
  const stacks = new Array<Uint32Array>(offsets.length - 1);
  for (let s = 0; s < stacks.length; s++) stacks[s] = frames.subarray(offsets[s]!, offsets[s + 1]!);
  return { ...profile, stacks };
}

export interface PprofDecoder {
  decode(request: DecodeRequest): Promise<Profile>;
  close(): Promise<void>;
}

export function decodeInline(request: DecodeRequest): Profile {
  return decodePprof(maybeGunzip(request.bytes, request.maxOutputBytes, request.what), request.options);
}

class InlineDecoder implements PprofDecoder {
  async decode(request: DecodeRequest): Promise<Profile> {
    return decodeInline(request);
  }
  async close(): Promise<void> {}
}

class WorkerPool implements PprofDecoder {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (p: Profile) => void; reject: (e: unknown) => void }>();
  private readonly load: number[] = [];
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./decodeWorker.js', import.meta.url));
      worker.unref();
      worker.on('message', (reply: DecodeReply) => {
        this.load[i]!--;
        const entry = this.pending.get(reply.id);
        if (!entry) return;
        this.pending.delete(reply.id);
        if ('profile' in reply) entry.resolve(unpack(reply.profile));
        else entry.reject(reply.error.code ? new CinderError(reply.error.code, reply.error.message) : new Error(reply.error.message));
      });
      worker.on('error', (error) => {
        // A crashed worker fails what it held; the request gets a 500, the server keeps running.
        for (const [id, entry] of this.pending) {
          entry.reject(error);
          this.pending.delete(id);
        }
      });
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  decode(request: DecodeRequest): Promise<Profile> {
    let index = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[index]!) index = i;
    const id = this.nextId++;
    this.load[index]!++;
    return new Promise<Profile>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // An exact-size copy, transferred: a Buffer view may sit on a much larger pooled ArrayBuffer.
      const bytes = new Uint8Array(request.bytes);
      this.workers[index]!.postMessage({ id, request: { ...request, bytes } }, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** `threads` 0 = decode on the main thread. Default: one per core, at most 4. */
export function createPprofDecoder(threads = Math.min(4, os.availableParallelism())): PprofDecoder {
  return threads > 0 ? new WorkerPool(threads) : new InlineDecoder();
}
