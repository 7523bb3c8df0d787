import { useEffect, useRef, useState } from 'react';

/**
 * Counts changes of the picked range after the first render, so a new range (picked or dragged)
 * re-reads "now" (`now-5m` = the five minutes before the click). Not on mount: the clock already
 * read "now" then, and a bump would re-key and re-send every query the page just sent (the flame
 * graph waited a second services round trip for it).
 */
export function useRangeToken(from: string, until: string): number {
  const [token, setToken] = useState(0);
  const seen = useRef(`${from}\n${until}`);
  useEffect(() => {
    const key = `${from}\n${until}`;
    if (key === seen.current) return;
    seen.current = key;
    setToken((t) => t + 1);
  }, [from, until]);
  return token;
}
