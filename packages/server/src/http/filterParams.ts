/**
 * The repeatable `filter` query parameter of the flame-graph-shaped routes (`/api/v1/flamegraph` in
 * every format, `/api/v1/sandwich`): frame filters applied on the server after the merge, so totals
 * stay right (core/tree/filters.ts says what each one does to the root total). Parsed before any
 * read, so a bad filter is a 400 QUERY_INVALID_ARGUMENT that names the accepted forms.
 */
import { parseFrameFilters, type FrameFilter } from '@cinder/core';
import { all, type Query } from './params.js';

/** Empty → undefined, so requests without filters stay exactly what they were (and cache alike). */
export function frameFiltersParam(query: Query): FrameFilter[] | undefined {
  const texts = all(query.filter);
  return texts.length === 0 ? undefined : parseFrameFilters(texts);
}
