/**
 * glibc malloc settings that keep a long-running server's memory bounded (issues 10 and 11).
 *
 * DuckDB allocates its buffers with malloc from its own threads. glibc raises its mmap threshold
 * from 128 KiB up to 32 MiB after the first large block is freed, so DuckDB's 256 KiB blocks then
 * come from per-thread arenas that glibc seldom gives back: RSS kept ~100–150 MB it no longer used
 * (measured with bench/storage-history.mjs and bench/soak.mjs: 552–678 MB → 440–486 MB with the
 * same caches). A fixed threshold keeps big blocks as mmaps, returned to the system when freed; two
 * arenas bound per-thread fragmentation; a low trim threshold returns a freed heap top sooner.
 *
 * glibc reads these only at process start, so they must be in the environment before node runs:
 * `npm start` sets them, and `cinder serve` says so at start when they are missing.
 */
export const MALLOC_TUNING: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/**
 * A line for the start-up log when the server runs on glibc without the tunings, or null. musl,
 * macOS and Windows allocators do not read them, so only Linux with glibc gets the hint.
 */
export function mallocTuningHint(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, glibcVersion: string | undefined): string | null {
  if (platform !== 'linux' || glibcVersion === undefined) return null;
  const missing = Object.keys(MALLOC_TUNING).filter((name) => env[name] === undefined);
  if (missing.length === 0) return null;
  const assignments = Object.entries(MALLOC_TUNING)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return `memory: ${missing.join(', ')} not set, so glibc may keep 100+ MB the store has freed; start with "${assignments}" in the environment (npm start does)`;
}

/** The glibc version node runs on, or undefined (another C library, or not Linux). */
export function glibcVersionOfProcess(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}
