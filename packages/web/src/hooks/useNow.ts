import { useEffect, useState } from 'react';
import { startupNowMs } from '../flamegraph/startupPrefetch.js';

export interface RefreshClock {
  /** "Now" for resolving relative ranges, fixed between refreshes so every query of one refresh asks for the same window. */
  nowMs: number;
  /** Changes on every manual or automatic refresh; part of every query key so even absolute ranges re-query. */
  generation: number;
}

export function useRefreshClock(manualRefreshToken: number, autoRefreshMs: number): RefreshClock {
  // The start-up requests resolved the URL's range with their "now": starting from it lets the page adopt them.
  const [clock, setClock] = useState<RefreshClock>(() => ({ nowMs: startupNowMs() ?? Date.now(), generation: 0 }));
  useEffect(() => {
    if (manualRefreshToken === 0) return;
    setClock((c) => ({ nowMs: Date.now(), generation: c.generation + 1 }));
  }, [manualRefreshToken]);
  useEffect(() => {
    if (autoRefreshMs <= 0) return;
    const timer = setInterval(() => setClock((c) => ({ nowMs: Date.now(), generation: c.generation + 1 })), autoRefreshMs);
    return () => clearInterval(timer);
  }, [autoRefreshMs]);
  return clock;
}
