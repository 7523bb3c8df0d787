/**
 * Every read of the ClickHouse store. Work runs in SQL: series selection by time and by `=`
 * matchers, merges (GROUP BY stack id, then one join to the leaf paths), timeline buckets and
 * counts. Regex matchers run in JS with core's compileMatcher (ClickHouse's match() is RE2 but
 * lets `.` match a newline and is unanchored, so pushing the pattern down would need a rewrite
 * that can drift from core's semantics), but once per DISTINCT value of their label among the
 * candidate series, never per series; the accepted values go back as an `IN (…)` set. `=` is
 * pushed down too, and the other matchers (`!=`, `= ""`) are checked per series in paced slices.
 */
import { CinderError, ErrorCodes, compileMatcher, matchesLabels, type LabelPairs, type Selector, type StackNodeTable } from '@cinder/core';
import { Pacer } from '../pace.js';
import type { ProfilePoints, SelectQuery, SeriesBuckets, StoreStats } from '../store.js';
import type { ClickHouseDb } from './db.js';
import { isUnavailable } from './db.js';
import { withDerivedLabels } from '../labels.js';
import { dayOf, ms, parseIdArray, sqlString, unescapeTsv } from './sql.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** ClickHouse Date covers 1970 … 2149; times outside are clamped to whole days inside it. */
const MIN_TIME_MS = 0;
const MAX_TIME_MS = Date.UTC(2105, 11, 31);
/** Name ids sent as a literal IN list up to this many. */
const MAX_LITERAL_IDS = 20_000;

export interface SeriesRow {
  /** decimal UInt64 */
  id: string;
  profileTypeId: string;
  /** stored plus derived labels (incl. __profile_type__), sorted */
  labels: LabelPairs;
  labelMap: ReadonlyMap<string, string>;
}

export interface ReaderContext {
  db: ClickHouseDb;
  database: string;
  now: () => number;
  retentionMs: number;
  rollupMinRangeMs: number;
  partsBytesColumn: 'bytes_on_disk' | 'bytes';
}

function clampMs(value: number): number {
  return Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, Math.floor(value)));
}

function daysBetween(fromMs: number, toMs: number): string {
  return `day BETWEEN '${dayOf(clampMs(fromMs))}' AND '${dayOf(clampMs(toMs))}'`;
}

function timeBetween(fromMs: number, toMs: number): string {
  return `time_ms BETWEEN ${ms(fromMs)} AND ${ms(toMs)}`;
}

/** Derived labels that are one part of the profile type id (1-based in ClickHouse's splitByChar). */
const PROFILE_TYPE_PARTS = new Map([
  ['__type__', 2],
  ['__unit__', 3],
  ['__period_type__', 4],
  ['__period_unit__', 5],
]);

/**
 * A label's value of a series row as SQL, as withDerivedLabels answers it (derived labels from the
 * profile type and service_name win over stored ones; a missing label is '', as in matchesLabels).
 */
function labelValueSql(name: string): string {
  const stored = (label: string): string => `if(has(label_names, ${sqlString(label)}), label_values[indexOf(label_names, ${sqlString(label)})], '')`;
  const typePart = PROFILE_TYPE_PARTS.get(name);
  if (name === '__profile_type__') return 'profile_type';
  if (typePart !== undefined) return `splitByChar(':', profile_type)[${typePart}]`;
  if (name === '__service_name__') return `if(has(label_names, 'service_name'), ${stored('service_name')}, ${stored('__service_name__')})`;
  return stored(name);
}

function isSelective(query: SelectQuery): boolean {
  return (query.spanIds?.length ?? 0) > 0 || (query.traceIds?.length ?? 0) > 0;
}

export class ClickHouseReader {
  constructor(private readonly context: ReaderContext) {}

  /** A query's rows; a connection failure is STORE_UNAVAILABLE (503), not a crash. */
  private async rows(sql: string): Promise<string[][]> {
    try {
      return await this.context.db.rows(sql);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      throw new CinderError(ErrorCodes.STORE_UNAVAILABLE, `ClickHouse cannot answer: ${(error as Error).message.split('\n')[0]!.slice(0, 300)}; retry later`);
    }
  }

  /** Streams a query's rows into onRow; failures as in rows(). */
  private async each(sql: string, onRow: (fields: string[]) => void): Promise<void> {
    try {
      await this.context.db.eachRow(sql, onRow);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      throw new CinderError(ErrorCodes.STORE_UNAVAILABLE, `ClickHouse cannot answer: ${(error as Error).message.split('\n')[0]!.slice(0, 300)}; retry later`);
    }
  }

  /** Series of a tenant with at least one stored profile in [fromMs, toMs] that match the selector. */
  async matchingSeries(tenant: string, selector: Selector, fromMs: number, toMs: number, profileTypeId?: string): Promise<SeriesRow[]> {
    const regexMatchers = selector.filter((m) => m.op === '=~' || m.op === '!~');
    // Compiled before any read: an invalid pattern is a 400 whether or not any series exists.
    const predicates = regexMatchers.map((matcher) => compileMatcher(matcher));
    if (toMs < fromMs) return [];
    const t = sqlString(tenant);
    const days = daysBetween(fromMs, toMs);
    let where = `tenant = ${t} AND ${days}`;
    if (profileTypeId !== undefined) where += ` AND profile_type = ${sqlString(profileTypeId)}`;
    for (const matcher of selector) {
      if (matcher.op !== '=' || matcher.value === '') continue;
      const name = sqlString(matcher.name);
      where += ` AND has(label_names, ${name}) AND label_values[indexOf(label_names, ${name})] = ${sqlString(matcher.value)}`;
    }
    for (let i = 0; i < regexMatchers.length; i++) {
      const value = labelValueSql(regexMatchers[i]!.name);
      const accepted: string[] = [];
      // Each matcher narrows `where`, so the next one reads only the survivors' values.
      await this.eachPaced(`SELECT DISTINCT ${value} FROM series WHERE ${where}`, ([text]) => {
        const candidate = unescapeTsv(text!);
        if (predicates[i]!(candidate)) accepted.push(candidate);
      });
      if (accepted.length === 0) return [];
      where += ` AND ${value} IN (${accepted.map(sqlString).join(',')})`;
    }
    const rest = selector.filter((m) => m.op !== '=~' && m.op !== '!~');
    const out: SeriesRow[] = [];
    await this.eachPaced(
      `SELECT id, any(profile_type), any(labels) FROM series WHERE ${where}
         AND id IN (SELECT series_id FROM profiles WHERE tenant = ${t} AND ${days} AND ${timeBetween(fromMs, toMs)})
       GROUP BY id ORDER BY id`,
      ([id, type, labelsJson]) => {
        const profileType = unescapeTsv(type!);
        const labels = withDerivedLabels(JSON.parse(unescapeTsv(labelsJson!)) as LabelPairs, profileType);
        const labelMap = new Map(labels);
        if (!matchesLabels(rest, labelMap)) return;
        out.push({ id: id!, profileTypeId: profileType, labels, labelMap });
      },
    );
    return out;
  }

  /**
   * each() with the per-row JS in ~15 ms slices: parsing the labels of tens of thousands of series
   * in one go blocked the event loop for ~100 ms. Rows are taken as the stream delivers them and
   * worked off between turns of the event loop.
   */
  private async eachPaced(sql: string, onRow: (fields: string[]) => void): Promise<void> {
    const rows: string[][] = [];
    await this.each(sql, (fields) => rows.push(fields));
    const pacer = new Pacer(15, 64);
    for (const row of rows) {
      onRow(row);
      const pause = pacer.tick();
      if (pause) await pause;
    }
  }

  async profileTypes(tenant: string, fromMs: number, toMs: number): Promise<string[]> {
    const series = await this.matchingSeries(tenant, [], fromMs, toMs);
    return [...new Set(series.map((s) => s.profileTypeId))].sort();
  }

  async labelNames(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    const names = new Set<string>();
    for (const series of await this.matchingSeries(tenant, selector, fromMs, toMs)) for (const [name] of series.labels) names.add(name);
    return [...names].sort();
  }

  async labelValues(tenant: string, name: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    const values = new Set<string>();
    for (const series of await this.matchingSeries(tenant, selector, fromMs, toMs)) {
      const value = series.labelMap.get(name);
      if (value !== undefined && value !== '') values.add(value);
    }
    return [...values].sort();
  }

  async series(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<LabelPairs[]> {
    return (await this.matchingSeries(tenant, selector, fromMs, toMs)).map((s) => s.labels);
  }

  private sampleFilters(query: SelectQuery): string {
    let sql = '';
    if (query.spanIds && query.spanIds.length > 0) sql += ` AND span_id IN (${query.spanIds.map(sqlString).join(',')})`;
    if (query.traceIds && query.traceIds.length > 0) sql += ` AND trace_id IN (${query.traceIds.map((id) => sqlString(id.toLowerCase())).join(',')})`;
    if (query.profileIds && query.profileIds.length > 0) sql += ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})`;
    return sql;
  }

  /**
   * Where a merge reads: raw rows for short ranges and the ragged edges of long ones; whole
   * per-minute (or, for ranges of days, per-hour) rollup buckets in between. Rollups are written
   * with the raw rows (materialized views), so every bucket is current; past the raw window the
   * plan rounds out to whole buckets.
   */
  planMerge(query: SelectQuery, seriesIds: string): string {
    const fromMs = clampMs(query.fromMs);
    const toMs = clampMs(query.toMs);
    const base = `tenant = ${sqlString(query.tenant)} AND series_id IN (${seriesIds})`;
    const raw = (from: number, to: number): string =>
      `SELECT stack_id, value FROM samples WHERE ${base} AND ${daysBetween(from, to)} AND ${timeBetween(from, to)}${this.sampleFilters(query)}`;
    const rawCutoff = this.context.now() - this.context.retentionMs;
    const lengthMs = toMs - fromMs;
    if (isSelective(query) || (query.profileIds?.length ?? 0) > 0 || (lengthMs < this.context.rollupMinRangeMs && fromMs >= rawCutoff)) return raw(fromMs, toMs);
    const useHours = lengthMs >= 48 * this.context.rollupMinRangeMs;
    const bucketMs = useHours ? HOUR_MS : MINUTE_MS;
    const table = useHours ? 'rollup_1h' : 'rollup_1m';
    const first = fromMs < rawCutoff ? Math.floor(fromMs / bucketMs) * bucketMs : Math.ceil(fromMs / bucketMs) * bucketMs;
    const end = Math.floor((toMs + 1) / bucketMs) * bucketMs;
    if (first >= end) return raw(fromMs, toMs);
    const parts = [`SELECT stack_id, value FROM ${table} WHERE ${base} AND ${daysBetween(first, end - 1)} AND bucket_ms >= ${first} AND bucket_ms < ${end}`];
    if (fromMs < first) parts.push(raw(fromMs, first - 1));
    if (end <= toMs) parts.push(raw(end, toMs));
    return parts.join(' UNION ALL ');
  }

  async mergeStacks(query: SelectQuery): Promise<StackNodeTable> {
    const empty: StackNodeTable = { names: [], parent: new Int32Array(0), nameIndex: new Int32Array(0), self: new Float64Array(0) };
    const series = await this.matchingSeries(query.tenant, query.selector, query.fromMs, query.toMs, query.profileTypeId);
    if (series.length === 0) return empty;
    const plan = this.planMerge(query, series.map((s) => s.id).join(','));
    const t = sqlString(query.tenant);
    // Symbols of day D live in day D's partition; rollup buckets never cross a UTC day.
    const days = daysBetween(Math.floor(clampMs(query.fromMs) / HOUR_MS) * HOUR_MS, query.toMs);
    // Name ids → small ints while the answer streams in, so the tree below is keyed by numbers.
    const nameInt = new Map<string, number>();
    const nameIds: string[] = [];
    const paths: Int32Array[] = [];
    const leafValue: number[] = [];
    let rootSelf = 0;
    await this.each(
      `SELECT l.stack_id, l.v, p.name_path FROM
         (SELECT stack_id, sum(value) AS v FROM (${plan}) GROUP BY stack_id) AS l
       ANY LEFT JOIN
         (SELECT id AS stack_id, any(name_path) AS name_path FROM stacks
          WHERE tenant = ${t} AND ${days} AND id IN (SELECT stack_id FROM (${plan})) GROUP BY id) AS p
       USING stack_id`,
      ([stackId, value, pathText]) => {
        if (stackId === '0') {
          rootSelf += Number(value);
          return;
        }
        const ids = parseIdArray(pathText ?? '[]');
        const path = new Int32Array(ids.length);
        for (let d = 0; d < ids.length; d++) {
          const id = ids[d]!;
          let n = nameInt.get(id);
          if (n === undefined) {
            n = nameIds.length;
            nameIds.push(id);
            nameInt.set(id, n);
          }
          path[d] = n;
        }
        paths.push(path);
        leafValue.push(Number(value));
      },
    );
    if (paths.length === 0 && rootSelf === 0) return empty;
    const nameOf = new Map<string, string>();
    if (nameIds.length > 0) {
      // A literal id list while it is small; past that, let ClickHouse collect the ids again
      // (a second scan beats shipping megabytes of SQL text).
      const idFilter =
        nameIds.length <= MAX_LITERAL_IDS
          ? nameIds.join(',')
          : `SELECT arrayJoin(name_path) FROM stacks WHERE tenant = ${t} AND ${days} AND id IN (SELECT stack_id FROM (${plan}))`;
      const names = await this.rows(`SELECT id, any(name) FROM names WHERE tenant = ${t} AND ${days} AND id IN (${idFilter}) GROUP BY id`);
      for (const [id, name] of names) nameOf.set(id!, unescapeTsv(name!));
    }
    // Output name rows: one per distinct string (two ids never share a name unless hashes collide).
    const names: string[] = [];
    const nameRow = new Map<string, number>();
    const rowOfName = (name: string): number => {
      let index = nameRow.get(name);
      if (index === undefined) {
        index = names.length;
        names.push(name);
        nameRow.set(name, index);
      }
      return index;
    };
    const outName = nameIds.map((id) => rowOfName(nameOf.get(id) ?? `[unknown function ${id}]`));
    // Rebuild the touched part of the prefix tree from the leaves' paths: parents before children.
    const width = nameIds.length + 1;
    const parent: number[] = [];
    const nameIndex: number[] = [];
    const self: number[] = [];
    const childOf = new Map<number, number>();
    let missingNode = -1;
    paths.forEach((path, i) => {
      let node = -1;
      if (path.length === 0) {
        // A leaf whose symbols are missing (a writer died between its symbol and sample inserts,
        // and the data was retried elsewhere) is still counted, under one visible frame.
        if (missingNode < 0) {
          missingNode = parent.length;
          parent.push(-1);
          nameIndex.push(rowOfName('[stack not found]'));
          self.push(0);
        }
        node = missingNode;
      }
      for (let d = 0; d < path.length; d++) {
        const key = (node + 1) * width + path[d]!;
        let next = childOf.get(key);
        if (next === undefined) {
          next = parent.length;
          parent.push(node);
          nameIndex.push(outName[path[d]!]!);
          self.push(0);
          childOf.set(key, next);
        }
        node = next;
      }
      self[node]! += leafValue[i]!;
    });
    return {
      names,
      parent: Int32Array.from(parent),
      nameIndex: Int32Array.from(nameIndex),
      self: Float64Array.from(self),
      ...(rootSelf !== 0 ? { rootSelf } : {}),
    };
  }

  async seriesBuckets(query: SelectQuery, stepMs: number, bucketCount: number): Promise<SeriesBuckets> {
    const step = Math.max(1, Math.floor(stepMs));
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const lowMs = fromMs - step + 1;
    const none: SeriesBuckets = { labelSets: [], seriesIndex: new Uint32Array(0), bucketIndex: new Uint32Array(0), sum: new Float64Array(0), count: new Uint32Array(0) };
    if (bucketCount <= 0 || toMs < lowMs) return none;
    const series = await this.matchingSeries(query.tenant, query.selector, lowMs, toMs, query.profileTypeId);
    if (series.length === 0) return none;
    const where = `tenant = ${sqlString(query.tenant)} AND series_id IN (${series.map((s) => s.id).join(',')}) AND ${daysBetween(lowMs, toMs)} AND ${timeBetween(lowMs, toMs)}`;
    // k = max(0, ceil((t - from) / step)) in integers.
    const bucket = (t: string): string => `if(${t} <= ${fromMs}, 0, intDiv(${t} - ${fromMs} + ${step - 1}, ${step}))`;
    const sql = isSelective(query)
      ? `SELECT series_id, ${bucket('t')} AS k, sum(v), count() FROM
           (SELECT series_id, pid, any(time_ms) AS t, sum(value) AS v FROM samples WHERE ${where}${this.sampleFilters(query)} GROUP BY series_id, pid)
         GROUP BY series_id, k HAVING k < ${bucketCount}`
      : `SELECT series_id, ${bucket('time_ms')} AS k, sum(total), count() FROM profiles WHERE ${where}${
          query.profileIds && query.profileIds.length > 0 ? ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})` : ''
        } GROUP BY series_id, k HAVING k < ${bucketCount}`;
    const rows = await this.rows(sql);
    const labelsOf = new Map(series.map((s) => [s.id, s.labels]));
    const indexOf = new Map<string, number>();
    const labelSets: LabelPairs[] = [];
    const result: SeriesBuckets = {
      labelSets,
      seriesIndex: new Uint32Array(rows.length),
      bucketIndex: new Uint32Array(rows.length),
      sum: new Float64Array(rows.length),
      count: new Uint32Array(rows.length),
    };
    rows.forEach(([id, k, sum, count], cell) => {
      let index = indexOf.get(id!);
      if (index === undefined) {
        index = labelSets.length;
        labelSets.push(labelsOf.get(id!)!);
        indexOf.set(id!, index);
      }
      result.seriesIndex[cell] = index;
      result.bucketIndex[cell] = Number(k);
      result.sum[cell] = Number(sum);
      result.count[cell] = Number(count);
    });
    return result;
  }

  async profileCount(query: SelectQuery): Promise<number> {
    const series = await this.matchingSeries(query.tenant, query.selector, query.fromMs, query.toMs, query.profileTypeId);
    if (series.length === 0) return 0;
    const where = `tenant = ${sqlString(query.tenant)} AND series_id IN (${series.map((s) => s.id).join(',')}) AND ${daysBetween(query.fromMs, query.toMs)} AND ${timeBetween(query.fromMs, query.toMs)}`;
    const sql = isSelective(query)
      ? `SELECT uniqExact(pid) FROM samples WHERE ${where}${this.sampleFilters(query)}`
      : `SELECT count() FROM profiles WHERE ${where}${query.profileIds && query.profileIds.length > 0 ? ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})` : ''}`;
    return Number((await this.rows(sql))[0]?.[0] ?? 0);
  }

  async profilePoints(query: SelectQuery, limit: number): Promise<ProfilePoints> {
    const out: ProfilePoints = { labelSets: [], points: [] };
    const series = await this.matchingSeries(query.tenant, query.selector, query.fromMs, query.toMs, query.profileTypeId);
    if (series.length === 0 || limit <= 0) return out;
    const where = `tenant = ${sqlString(query.tenant)} AND series_id IN (${series.map((s) => s.id).join(',')}) AND ${daysBetween(query.fromMs, query.toMs)} AND ${timeBetween(query.fromMs, query.toMs)}`;
    const sql = isSelective(query)
      ? `SELECT s.series_id, s.t, s.v, p.profile_id FROM (SELECT series_id, pid, any(time_ms) AS t, sum(value) AS v FROM samples WHERE ${where}${this.sampleFilters(query)} GROUP BY series_id, pid) AS s ANY INNER JOIN (SELECT pid, any(profile_id) AS profile_id FROM profiles WHERE ${where} GROUP BY pid) AS p USING pid ORDER BY s.t LIMIT ${Math.floor(limit)}`
      : `SELECT series_id, time_ms, total, profile_id FROM profiles WHERE ${where}${query.profileIds && query.profileIds.length > 0 ? ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})` : ''} ORDER BY time_ms LIMIT ${Math.floor(limit)}`;
    const labelsOf = new Map(series.map((s) => [s.id, s.labels]));
    const indexOf = new Map<string, number>();
    for (const [id, timeMs, value, profileId] of await this.rows(sql)) {
      let seriesIndex = indexOf.get(String(id));
      if (seriesIndex === undefined) {
        seriesIndex = out.labelSets.length;
        out.labelSets.push(labelsOf.get(String(id)) ?? []);
        indexOf.set(String(id), seriesIndex);
      }
      out.points.push({ seriesIndex, timeMs: Number(timeMs), value: Number(value), profileId: String(profileId) });
    }
    return out;
  }

  async meanPeriod(query: SelectQuery): Promise<number | null> {
    const series = await this.matchingSeries(query.tenant, query.selector, query.fromMs, query.toMs, query.profileTypeId);
    if (series.length === 0) return null;
    const result = await this.rows(
      `SELECT count(), avg(period) FROM profiles WHERE period > 0 AND tenant = ${sqlString(query.tenant)} AND series_id IN (${series.map((s) => s.id).join(',')}) AND ${daysBetween(query.fromMs, query.toMs)} AND ${timeBetween(query.fromMs, query.toMs)}`,
    );
    const [count, mean] = result[0] ?? ['0', '0'];
    return Number(count) === 0 ? null : Number(mean);
  }

  async serviceLastSeen(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>> {
    const lastSeen = new Map<string, number>();
    const series = await this.matchingSeries(tenant, [], fromMs, toMs);
    if (series.length === 0) return lastSeen;
    const serviceOf = new Map(series.map((s) => [s.id, s.labelMap.get('service_name') ?? '']));
    const rows = await this.rows(
      `SELECT series_id, max(time_ms) FROM profiles WHERE tenant = ${sqlString(tenant)} AND ${daysBetween(fromMs, toMs)} AND ${timeBetween(fromMs, toMs)} GROUP BY series_id`,
    );
    for (const [id, timeMs] of rows) {
      const service = serviceOf.get(id!);
      if (service === undefined) continue;
      lastSeen.set(service, Math.max(lastSeen.get(service) ?? 0, Number(timeMs)));
    }
    return lastSeen;
  }

  async stats(tenant: string | null): Promise<StoreStats> {
    const where = tenant === null ? '' : ` WHERE tenant = ${sqlString(tenant)}`;
    const [profiles, samples, series, bytes] = await Promise.all([
      this.rows(`SELECT count(), min(time_ms), max(time_ms) FROM profiles${where}`),
      this.rows(`SELECT count() FROM samples${where}`),
      this.rows(`SELECT uniqExact(id) FROM series${where}`),
      this.rows(`SELECT sum(${this.context.partsBytesColumn}) FROM system.parts WHERE database = ${sqlString(this.context.database)} AND active`),
    ]);
    const [count, oldest, newest] = profiles[0] ?? ['0', '0', '0'];
    const ingested = Number(count) > 0;
    return {
      dataIngested: ingested,
      oldestProfileMs: ingested ? Number(oldest) : 0,
      newestProfileMs: ingested ? Number(newest) : 0,
      seriesCount: Number(series[0]?.[0] ?? 0),
      sampleRows: Number(samples[0]?.[0] ?? 0),
      bytesOnDisk: Number(bytes[0]?.[0] ?? 0),
    };
  }
}
