// Attribution of event-loop blocks (measurement only; preloaded into the bench server):
//   CINDER_BLOCK_LOG=/tmp/blocks.jsonl CINDER_BENCH_NODE_ARGS="--import ./bench/fuzz/blockprobe.mjs" node bench/fuzz/run.mjs …
// Every gap between 5 ms ticks longer than CINDER_BLOCK_MIN_MS (default 50) is appended to the log with
// the HTTP requests that were in flight on the server when it ended, so a block can be pinned on a request
// class without trusting the harness's view of time. `hrStartUs`/`hrEndUs` are on the monotonic clock
// that `--cpu-prof` timestamps use, so the script analyse-blocks.mjs can cut a CPU profile at the blocks.
// `cpuMs` is the main thread's own CPU time over the gap (Linux schedstat): on a machine shared with
// other work, a wall-clock gap can be the thread waiting for a CPU; cpuMs is what our code cost.
// Gaps before the first request (module loading, opening the store) are not recorded.
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { isMainThread } from 'node:worker_threads';

const logPath = process.env.CINDER_BLOCK_LOG;
const minMs = Number(process.env.CINDER_BLOCK_MIN_MS ?? 50);

if (isMainThread && logPath) {
  const inFlight = new Map(); // id → { url, method, startHrUs, bytesIn }
  let nextId = 0;
  const hrUs = () => Number(process.hrtime.bigint() / 1000n);
  const originalEmit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emit(event, ...args) {
    if (event === 'request') {
      const [req, res] = args;
      const id = nextId++;
      const url = String(req.url ?? '');
      inFlight.set(id, { id, method: req.method, url: url.length > 240 ? `${url.slice(0, 240)}…(${url.length})` : url, contentType: String(req.headers['content-type'] ?? '').slice(0, 60), startHrUs: hrUs() });
      res.once('close', () => inFlight.delete(id));
    }
    return originalEmit.call(this, event, ...args);
  };
  const schedstat = `/proc/self/task/${process.pid}/schedstat`;
  const threadCpuMs = () => {
    try {
      return Number(readFileSync(schedstat, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      return Number.NaN;
    }
  };
  let last = hrUs();
  let lastCpuMs = threadCpuMs();
  const timer = setInterval(() => {
    const now = hrUs();
    const cpuMs = threadCpuMs();
    const gapMs = (now - last) / 1000;
    const cpuGapMs = cpuMs - lastCpuMs;
    if (nextId > 0 && (gapMs > minMs || cpuGapMs > minMs)) {
      const record = {
        gapMs: Math.round(gapMs),
        cpuMs: Math.round(cpuGapMs),
        hrStartUs: last,
        hrEndUs: now,
        epochEndMs: Date.now(),
        inFlight: [...inFlight.values()].map((r) => ({ ...r, ageMs: Math.round((now - r.startHrUs) / 1000) })),
      };
      try {
        appendFileSync(logPath, `${JSON.stringify(record)}\n`);
      } catch {
        // measurement only: never disturb the server
      }
    }
    last = hrUs();
    lastCpuMs = threadCpuMs();
  }, 5);
  timer.unref();
}
