/**
 * Runs `work` and counts the event-loop turns other callbacks got while it ran: a paced loop (one
 * that yields between slices) gives several, a blocking one gives at most one.
 */
export async function withLoopTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const count = (): void => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    return { result: await work(), turns };
  } finally {
    counting = false;
  }
}
