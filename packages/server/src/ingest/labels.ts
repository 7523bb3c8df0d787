/**
 * Series labels, the same way for every ingest path: what the client gave, less the labels the
 * server consumes, plus `__name__`, `pyroscope_spy` and a `service_name` (upstream's rules:
 * pyroscope-api.md §2). Each path says only which of the given labels are reserved for it.
 */
export interface SeriesLabelOptions {
  /** A given label the server consumes and never stores (e.g. every `__x` on /ingest, `__delta__` on Push). */
  reserved: (name: string) => boolean;
  metricName: string;
  /** Omitted = keep what the client gave (Push carries its own). */
  spyName?: string;
  serviceName: string;
  /** `app_name`: the text formats record the parsed app name there when `service_name` was given. */
  whenServiceGiven: 'keep' | 'app_name';
  extra?: Iterable<readonly [string, string]>;
}

export function seriesLabels(given: Iterable<readonly [string, string]>, options: SeriesLabelOptions): Map<string, string> {
  const labels = new Map<string, string>();
  for (const [name, value] of given) if (!options.reserved(name)) labels.set(name, value);
  for (const [name, value] of options.extra ?? []) labels.set(name, value);
  labels.set('__name__', options.metricName);
  if (options.spyName !== undefined) labels.set('pyroscope_spy', options.spyName);
  if (!labels.has('service_name')) labels.set('service_name', options.serviceName);
  else if (options.whenServiceGiven === 'app_name' && !labels.has('app_name')) labels.set('app_name', options.serviceName);
  return labels;
}

/** On /ingest every `__`-prefixed label in `name=app{…}` is the server's (control labels, `__name__`). */
export const reservedOnIngest = (name: string): boolean => name.startsWith('__');
