/**
 * Every read of the embedded store, planned in SQL.
 *
 * Series selection: tenant, profile type, time (day partitions) and `=` / `!=` matchers run in
 * SQL against series.label_map (a missing label reads as '', as core's matchesLabels has it).
 * Regex matchers (`=~`, `!~`) run in JS with core's compileMatcher, but once per DISTINCT value of
 * their label among the candidate series (SQL finds the values), never per series: core's RE2 port
 * is the definition of our regex semantics and DuckDB's RE2 build differs in corners (flags,
 * invalid UTF-8), so only the JS path is exact. The accepted values go back into SQL as an
 * `IN (…)` set, so label names/values and series lists are DISTINCT queries in DuckDB too.
 *
 * Merges: leaf sums are grouped in SQL (raw rows, or whole rollup buckets for long ranges), then
 * one recursive query walks the touched nodes up to the root through the day partitions of the
 * range (each day's stacks are ancestor-closed) and numbers them densely, so JS handles small
 * integers only.
 */
import { compileMatcher, type LabelPairs, type Selector, type StackNodeTable } from '@cinder/core';
import type { ProfilePoints, SelectQuery, SeriesBuckets, StoreStats } from '../store.js';
import { HOUR_MS, MINUTE_MS, type StoreContext } from './context.js';
import { DaySymbolCache, type DayLayout, type DaySymbols, type WrittenSymbols } from './daySymbols.js';
import { IdIndex } from './idIndex.js';
import { Pacer } from '../pace.js';
import { dayOf, sqlString } from './schema.js';

interface SeriesSelection {
  /** SQL for `series_id IN (…)`: a subquery or a literal list; null = nothing can match. */
  idsSql: string | null;
  /** Matched series (id → labels), when the caller asked for them or regex filtering needed them. */
  labels: Map<bigint, LabelPairs> | null;
}

const EMPTY_TABLE: StackNodeTable = { names: [], parent: new Int32Array(0), nameIndex: new Int32Array(0), self: new Float64Array(0) };

/** Up to this many values a set is an `IN ('a', 'b')` list; DuckDB tests each literal per row (1,000 values × 100k series: 0.4 s). */
const MAX_INLINE_VALUES = 32;

/**
 * A set of texts for `x IN (…)`: a literal list when short; otherwise a list DuckDB unnests into a
 * hash semi-join (100k values over 100k series: ~0.8 s instead of ~40 s).
 */
function sqlValueSet(values: readonly string[]): string {
  const literals = values.map(sqlString).join(',');
  return values.length <= MAX_INLINE_VALUES ? literals : `SELECT unnest([${literals}])`;
}

export class Reader {
  private readonly symbols: DaySymbolCache;
  /** How merges ran (a test and tuning hook). */
  readonly mergeCounts = { inMemory: 0, bySql: 0, dayLoads: 0, warmLoads: 0, warmLayouts: 0 };
  /** Background warm-up of recent days (see warmUpRecent, symbolsWritten). */
  private readonly warmUp = {
    queue: new Set<number>(),
    timer: null as ReturnType<typeof setTimeout> | null,
    running: Promise.resolve() as Promise<void>,
    stopped: false,
  };

  constructor(
    private readonly ctx: StoreContext,
    mergeCacheBytes: number,
  ) {
    this.symbols = new DaySymbolCache(mergeCacheBytes);
  }

  /** Days whose symbol/series partitions cover data in [fromMs, toMs] (plus the upgraded legacy partition). */
  private days(fromMs: number, toMs: number): string {
    const first = dayOf(fromMs);
    let last = dayOf(toMs);
    const legacy = this.ctx.state.legacySymbolsDay;
    if (legacy !== null && legacy >= first) last = Math.max(last, legacy);
    return `day BETWEEN ${first} AND ${last}`;
  }

  private seriesWhere(tenant: string, selector: Selector, fromMs: number, toMs: number, profileTypeId?: string): string {
    let sql = `tenant = ${sqlString(tenant)} AND ${this.days(fromMs, toMs)}`;
    if (profileTypeId !== undefined) sql += ` AND profile_type = ${sqlString(profileTypeId)}`;
    for (const matcher of selector) {
      const value = `coalesce(label_map[${sqlString(matcher.name)}], '')`;
      if (matcher.op === '=') sql += ` AND ${value} = ${sqlString(matcher.value)}`;
      else if (matcher.op === '!=') sql += ` AND ${value} <> ${sqlString(matcher.value)}`;
    }
    return sql;
  }

  private async selectSeries(tenant: string, selector: Selector, fromMs: number, toMs: number, profileTypeId: string | undefined, wantLabels: boolean): Promise<SeriesSelection> {
    const where = await this.selectionWhere(tenant, selector, fromMs, toMs, profileTypeId);
    if (where === null) return { idsSql: null, labels: wantLabels ? new Map() : null };
    if (!wantLabels) {
      // A literal list lets DuckDB filter samples by equality (one series: a pushed-down filter,
      // ~3× faster than the semi-join a subquery plans); past a few thousand ids the subquery wins.
      const ids = await this.ctx.read(`SELECT DISTINCT id FROM series WHERE ${where} LIMIT ${MAX_LITERAL_IDS + 1}`);
      const rows = ids.getRows();
      if (rows.length === 0) return { idsSql: null, labels: null };
      if (rows.length <= MAX_LITERAL_IDS) return { idsSql: rows.map(([id]) => String(id)).join(','), labels: null };
      return { idsSql: `SELECT id FROM series WHERE ${where}`, labels: null };
    }
    const labels = new Map<bigint, LabelPairs>();
    await this.forEachRowPaced(`SELECT id, any_value(labels) FROM series WHERE ${where} GROUP BY id`, (row) => {
      labels.set(BigInt(row[0] as bigint), JSON.parse(String(row[1])) as LabelPairs);
    });
    if (labels.size === 0) return { idsSql: null, labels };
    // The ids just read, so every id the data query meets has its labels here.
    return { idsSql: labels.size <= MAX_LITERAL_IDS ? [...labels.keys()].join(',') : `SELECT id FROM series WHERE ${where}`, labels };
  }

  /**
   * seriesWhere with the regex matchers too, as SQL: each regex matcher runs (core's RE2 port, see
   * the header) once per DISTINCT value of its label among the candidate series — not once per
   * series — and the values it accepts go back into the WHERE clause. Null when a regex matcher
   * accepts none of them. The values are read in chunks and matched in paced slices, so a label with
   * 100k distinct values costs latency, not an event-loop block.
   */
  private async selectionWhere(tenant: string, selector: Selector, fromMs: number, toMs: number, profileTypeId: string | undefined): Promise<string | null> {
    let where = this.seriesWhere(tenant, selector, fromMs, toMs, profileTypeId);
    const regexMatchers = selector.filter((m) => m.op === '=~' || m.op === '!~');
    // Compiled before any read: an invalid pattern is a 400 whether or not any series exists.
    const predicates = regexMatchers.map((matcher) => compileMatcher(matcher));
    for (let i = 0; i < regexMatchers.length; i++) {
      const column = `coalesce(label_map[${sqlString(regexMatchers[i]!.name)}], '')`;
      const matches = predicates[i]!;
      const accepted: string[] = [];
      // Each matcher narrows `where`, so the next one reads only the survivors' values.
      await this.forEachRowPaced(`SELECT DISTINCT ${column} FROM series WHERE ${where}`, (row) => {
        const value = String(row[0]);
        if (matches(value)) accepted.push(value);
      });
      if (accepted.length === 0) return null;
      where += ` AND ${column} IN (${sqlValueSet(accepted)})`;
    }
    return where;
  }

  /**
   * Runs `each` on every row of `sql`, giving the event loop a turn every ~15 ms: per-row JS
   * (JSON.parse of labels, a regex) over tens of thousands of series was a 90–175 ms block in one
   * go. Rows are converted a chunk at a time as they stream in (each fetch is a turn of the event
   * loop) and worked off after the reader connection is handed back, so pauses never hold it.
   */
  private async forEachRowPaced(sql: string, each: (row: unknown[]) => void): Promise<void> {
    const rows: unknown[][] = [];
    await this.ctx.withReader(async (connection) => {
      const result = await connection.stream(sql);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const row of chunk.getRows()) rows.push(row);
      }
    });
    const pacer = new Pacer(ROW_SLICE_MS, 64);
    for (const row of rows) {
      each(row);
      const pause = pacer.tick();
      if (pause) await pause;
    }
  }

  /**
   * Runs `SELECT <select> FROM candidates …` over the series that match `selector` and have at least
   * one stored profile in [fromMs, toMs], as rows of `candidates(id, label_map, labels)` (one row per
   * series: a series has a row per day with data). DISTINCT work stays in DuckDB; JS sees each
   * answer row once, in paced slices.
   */
  private async forEachLiveSeries(tenant: string, selector: Selector, fromMs: number, toMs: number, select: string, each: (row: unknown[]) => void): Promise<void> {
    const from = Math.floor(fromMs);
    const to = Math.floor(toMs);
    const where = await this.selectionWhere(tenant, selector, from, to, undefined);
    if (where === null) return;
    await this.forEachRowPaced(
      `WITH candidates AS (SELECT id, any_value(label_map) AS label_map, any_value(labels) AS labels FROM series WHERE ${where} GROUP BY id)
       SELECT ${select} FROM candidates
       WHERE id IN (SELECT series_id FROM profiles WHERE time_ms BETWEEN ${from} AND ${to} AND series_id IN (SELECT id FROM candidates))`,
      each,
    );
  }

  /** The distinct non-null texts of `expression` over the live series, sorted as JS sorts strings. */
  private async distinctTexts(tenant: string, selector: Selector, fromMs: number, toMs: number, expression: string): Promise<string[]> {
    const out: string[] = [];
    await this.forEachLiveSeries(tenant, selector, fromMs, toMs, `DISTINCT ${expression}`, (row) => {
      if (row[0] !== null && row[0] !== undefined) out.push(String(row[0]));
    });
    return out.sort();
  }

  async profileTypes(tenant: string, fromMs: number, toMs: number): Promise<string[]> {
    return this.distinctTexts(tenant, [], fromMs, toMs, `label_map['__profile_type__']`);
  }

  async labelNames(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    return this.distinctTexts(tenant, selector, fromMs, toMs, 'unnest(map_keys(label_map))');
  }

  async labelValues(tenant: string, name: string, selector: Selector, fromMs: number, toMs: number): Promise<string[]> {
    // A missing label and an empty value are the same thing (Prometheus), and neither is a value.
    return (await this.distinctTexts(tenant, selector, fromMs, toMs, `label_map[${sqlString(name)}]`)).filter((value) => value !== '');
  }

  /** Label sets of matching series with at least one stored profile in [fromMs, toMs]. */
  async series(tenant: string, selector: Selector, fromMs: number, toMs: number): Promise<LabelPairs[]> {
    const out: LabelPairs[] = [];
    await this.forEachLiveSeries(tenant, selector, fromMs, toMs, 'labels', (row) => out.push(JSON.parse(String(row[0])) as LabelPairs));
    return out;
  }

  private sampleFilters(query: SelectQuery): string {
    let sql = '';
    if (query.spanIds && query.spanIds.length > 0) sql += ` AND span_id IN (${query.spanIds.map(sqlString).join(',')})`;
    if (query.traceIds && query.traceIds.length > 0) sql += ` AND trace_id IN (${query.traceIds.map(sqlString).join(',')})`;
    if (query.profileIds && query.profileIds.length > 0) {
      sql += ` AND pid IN (SELECT pid FROM profiles WHERE profile_id IN (${query.profileIds.map(sqlString).join(',')}))`;
    }
    return sql;
  }

  /**
   * The query plan for a merge: raw rows for short ranges and for the ragged edges of long ones;
   * whole rolled-up buckets in between (per minute, or per hour for ranges of days). Data older
   * than the raw window exists only in rollups, so there the plan rounds out to whole buckets.
   * Returns the SQL and the earliest time it reads (for the symbol partitions).
   */
  planMerge(query: SelectQuery, seriesIds: string): { sql: string; firstMs: number; rawOnly: boolean } {
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const rawSql = (from: number, to: number): string =>
      `SELECT stack_id, value FROM samples WHERE series_id IN (${seriesIds}) AND time_ms BETWEEN ${from} AND ${to}${this.sampleFilters(query)}`;
    const selective = (query.spanIds?.length ?? 0) > 0 || (query.traceIds?.length ?? 0) > 0 || (query.profileIds?.length ?? 0) > 0;
    const rawCutoff = this.ctx.now() - this.ctx.retentionMs;
    const lengthMs = toMs - fromMs;
    if (selective || (lengthMs < this.ctx.rollupMinRangeMs && fromMs >= rawCutoff)) return { sql: rawSql(fromMs, toMs), firstMs: fromMs, rawOnly: true };
    const state = this.ctx.state;
    const useHours = lengthMs >= 48 * this.ctx.rollupMinRangeMs && state.rollupUntil1h > 0;
    const bucketMs = useHours ? HOUR_MS : MINUTE_MS;
    const table = useHours ? 'rollup_1h' : 'rollup_1m';
    const until = useHours ? state.rollupUntil1h : state.rollupUntil1m;
    let first = Math.ceil(fromMs / bucketMs) * bucketMs;
    if (fromMs < rawCutoff) first = Math.floor(fromMs / bucketMs) * bucketMs;
    const end = Math.min(Math.floor((toMs + 1) / bucketMs) * bucketMs, until);
    if (first >= end) return { sql: rawSql(fromMs, toMs), firstMs: fromMs, rawOnly: true };
    const parts = [`SELECT stack_id, value FROM ${table} WHERE series_id IN (${seriesIds}) AND bucket_ms >= ${first} AND bucket_ms < ${end}`];
    if (fromMs < first) parts.push(rawSql(fromMs, first - 1));
    if (end <= toMs) parts.push(rawSql(end, toMs));
    return { sql: parts.join(' UNION ALL '), firstMs: Math.min(first, fromMs), rawOnly: false };
  }

  /**
   * The common case (a range within one UTC day) on the day's rows: leaves are found once by id,
   * ancestors are followed by row (DaySymbols.resolvePaced), and the answer is laid out as
   * TableBuilder does (by depth, parent, name) with counting sorts over typed arrays. Every pass
   * over the day's rows yields to the event loop (a 1M-node day is ~1 s of work the first time).
   * Null as mergeInMemory.
   */
  private async mergeOneDay(planSql: string, day: DaySymbols): Promise<StackNodeTable | null> {
    const pacer = rowPacer();
    // Leaf rows and sums as streamed (a row may come once per stack id; ids are unique per day).
    let leafRows = new Int32Array(1024);
    let leafSelf = new Float64Array(1024);
    let leafCount = 0;
    let maxLeafRow = -1;
    let rootSelf = 0;
    let missing = false;
    await this.ctx.withReader(async (connection) => {
      const leaves = await connection.stream(`SELECT ${halves('stack_id')}, sum(value)::DOUBLE FROM (${planSql}) GROUP BY stack_id`);
      for (let chunk = await leaves.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await leaves.fetchChunk()) {
        const rows = chunk.rowCount;
        const [lo, hi, self] = [0, 1, 2].map((i) => numbers(chunk.getColumnVector(i), rows));
        if (leafCount + rows > leafRows.length) {
          const capacity = Math.max(2 * leafRows.length, leafCount + rows);
          const grownRows = new Int32Array(capacity);
          grownRows.set(leafRows);
          leafRows = grownRows;
          const grownSelf = new Float64Array(capacity);
          grownSelf.set(leafSelf);
          leafSelf = grownSelf;
        }
        for (let i = 0; i < rows && !missing; i++) {
          const l = lo![i]!;
          const h = hi![i]!;
          if (l === 0 && h === 0) {
            rootSelf += self![i]!;
            continue;
          }
          const row = day.nodes.get(l, h);
          if (row < 0) missing = true;
          if (row > maxLeafRow) maxLeafRow = row;
          leafRows[leafCount] = row;
          leafSelf[leafCount++] = self![i]!;
        }
      }
    });
    if (missing) return null;
    if (leafCount === 0) return rootSelf !== 0 ? { ...EMPTY_TABLE, rootSelf } : EMPTY_TABLE;
    const leaves = { rows: leafRows.subarray(0, leafCount), self: leafSelf.subarray(0, leafCount) };
    // A layout of the day (built by a warm-up or an earlier merge, or being built now) that holds every leaf.
    let layout = day.layoutCovering(maxLeafRow);
    if (layout === null && day.layoutBuild !== null && day.layoutBuild.nodeCount > maxLeafRow) layout = await day.layoutBuild.promise;
    if (layout !== null && layout.nodeCount > maxLeafRow) return mergeByLayout(layout, leaves, rootSelf, pacer);
    // Resolved after the leaves were read: rows the writer added meanwhile are among them.
    await day.resolvePaced(pacer);
    const rowCount = day.nodes.size;
    // No current layout: walk by row, then either lay out just these rows (a small merge of a day
    // that keeps changing) or lay out the whole day once for this and later merges.
    const selfOfRow = new Float64Array(rowCount);
    // touched: rows in the answer (leaves, then ancestors as found); compactOf[row] = position + 1.
    const compactOf = new Int32Array(rowCount);
    const touched = new Int32Array(rowCount);
    let touchedCount = 0;
    for (let i = 0; i < leafCount; i++) {
      const row = leaves.rows[i]!;
      selfOfRow[row]! += leaves.self[i]!;
      if (compactOf[row] === 0) {
        touched[touchedCount++] = row;
        compactOf[row] = touchedCount;
      }
    }
    const { parentRow, nameRow } = day;
    const walkedLeaves = touchedCount;
    for (let i = 0; i < walkedLeaves; i++) {
      if ((i & 1023) === 0) await yieldIfDue(pacer);
      let row = touched[i]!;
      for (let steps = 0; steps <= MAX_STACK_DEPTH; steps++) {
        if (parentRow[row] === -2 || nameRow[row]! < 0) day.resolveRow(row);
        const parent = parentRow[row]!;
        if (parent === -2 || nameRow[row]! < 0) return null;
        if (parent < 0 || compactOf[parent] !== 0) break;
        touched[touchedCount++] = parent;
        compactOf[parent] = touchedCount;
        row = parent;
      }
    }
    if (touchedCount * 2 < rowCount) return (await layOutTable(day, touched.subarray(0, touchedCount), compactOf, selfOfRow, rootSelf, pacer)).table;
    const dayLayout = await this.dayLayout(day);
    if (dayLayout === null || dayLayout.nodeCount <= maxLeafRow) return (await layOutTable(day, touched.subarray(0, touchedCount), compactOf, selfOfRow, rootSelf, pacer)).table;
    return mergeByLayout(dayLayout, leaves, rootSelf, pacer);
  }

  /**
   * The day's layout over all its rows now, building it (paced) unless it is current or being
   * built: a warm-up and the queries that arrive meanwhile share one build. Null while some row's
   * parent or name is not in the day.
   */
  private dayLayout(day: DaySymbols): Promise<DayLayout | null> {
    const current = day.layoutCovering(day.nodes.size - 1);
    if (current !== null) return Promise.resolve(current);
    const running = day.layoutBuild;
    if (running !== null && running.nodeCount >= day.nodes.size) return running.promise;
    const build = { nodeCount: day.nodes.size, promise: null as unknown as Promise<DayLayout | null> };
    build.promise = (async () => {
      try {
        const pacer = rowPacer();
        await day.resolvePaced(pacer);
        const layout = await layOutDay(day, pacer);
        if (layout !== null) day.setLayout(layout);
        return layout;
      } finally {
        if (day.layoutBuild === build) day.layoutBuild = null;
      }
    })();
    day.layoutBuild = build;
    return build.promise;
  }

  /**
   * The walk runs once into a temp table of this connection; nodes and then the names they use are
   * streamed out of it chunk by chunk, ids split into 32-bit halves by SQL so JS handles numbers
   * only. Memory in DuckDB stays within its limit (temp tables spill), in JS it is typed arrays.
   */
  async mergeStacks(query: SelectQuery): Promise<StackNodeTable> {
    const selection = await this.selectSeries(query.tenant, query.selector, query.fromMs, query.toMs, query.profileTypeId, false);
    if (selection.idsSql === null) return EMPTY_TABLE;
    const plan = this.planMerge(query, selection.idsSql);
    // A range long enough for rollups groups many buckets: with DuckDB's idle memory limit its hash
    // table spilled to disk (30 days: ~3× slower), so it runs with room (memoryLimit.ts).
    return plan.rawOnly ? this.mergePlanned(query, plan) : this.ctx.withRoom(() => this.mergePlanned(query, plan));
  }

  private async mergePlanned(query: SelectQuery, plan: { sql: string; firstMs: number }): Promise<StackNodeTable> {
    const days = this.dayList(plan.firstMs, query.toMs);
    const cached = await this.cachedDays(days);
    if (cached !== null) {
      const table = await this.mergeInMemory(plan.sql, cached);
      if (table !== null) {
        this.mergeCounts.inMemory++;
        return table;
      }
    }
    this.mergeCounts.bySql++;
    return this.mergeBySql(plan.sql, this.days(plan.firstMs, query.toMs));
  }

  /**
   * The symbols the writer committed (the day cache learns them). A write that adds many nodes to
   * a recent day (a big profile) warms that day in the background, so the next query finds it
   * loaded and laid out rather than paying ~1–2 s for a 1M-node day.
   */
  symbolsWritten(batch: readonly WrittenSymbols[]): void {
    const nodesBefore = new Map<number, number>();
    for (const written of batch) if (!nodesBefore.has(written.day)) nodesBefore.set(written.day, this.symbols.peek(written.day)?.nodes.size ?? -1);
    this.symbols.written(batch);
    if (this.symbols.budgetBytes <= 0 || this.warmUp.stopped) return;
    // Nodes new to a loaded day; for a day not loaded, the profiles' node counts (some may be stored already).
    const grown = new Map<number, number>();
    for (const written of batch) if (nodesBefore.get(written.day)! < 0) grown.set(written.day, (grown.get(written.day) ?? 0) + written.nodeNames.length);
    // For a loaded day: the nodes its layout lacks, once this write added some (many small writes add up).
    for (const [day, before] of nodesBefore) {
      const loaded = this.symbols.peek(day);
      if (before >= 0 && loaded && loaded.nodes.size > before) grown.set(day, loaded.nodes.size - loaded.laidOutRows);
    }
    const firstRecentDay = dayOf(this.ctx.now()) - (WARM_UP_DAYS - 1);
    const days = [...grown].filter(([day, rows]) => day >= firstRecentDay && rows >= WARM_UP_MIN_NEW_NODES).map(([day]) => day);
    if (days.length > 0) this.scheduleWarmUp(days, WARM_UP_AFTER_WRITE_DELAY_MS);
  }

  /**
   * After the store opened: the newest days with symbols are loaded and laid out in the
   * background (paced, within the merge cache's budget, never evicting a loaded day), so the
   * first query of the day does not pay for it.
   */
  warmUpRecent(): void {
    if (this.symbols.budgetBytes <= 0) return;
    const today = dayOf(this.ctx.now());
    this.scheduleWarmUp(Array.from({ length: WARM_UP_DAYS }, (_, i) => today - i), WARM_UP_AFTER_START_DELAY_MS);
  }

  /** Stops warming up (the store is closing); resolves when a warm-up in flight has ended. */
  async stopWarmUp(): Promise<void> {
    this.warmUp.stopped = true;
    if (this.warmUp.timer !== null) clearTimeout(this.warmUp.timer);
    this.warmUp.timer = null;
    await this.warmUp.running;
  }

  private scheduleWarmUp(days: readonly number[], delayMs: number): void {
    if (this.warmUp.stopped) return;
    for (const day of days) this.warmUp.queue.add(day);
    if (this.warmUp.timer !== null) return;
    this.warmUp.timer = setTimeout(() => {
      this.warmUp.timer = null;
      const queued = [...this.warmUp.queue].sort((a, b) => b - a);
      this.warmUp.queue.clear();
      this.warmUp.running = this.warmUp.running.then(() => this.warmDays(queued));
    }, delayMs);
    this.warmUp.timer.unref?.();
  }

  /** Loads (if it fits without evicting) and lays out each day, newest first; failures only skip a day. */
  private async warmDays(days: readonly number[]): Promise<void> {
    for (const day of days) {
      if (this.warmUp.stopped) return;
      try {
        let symbols = this.symbols.peek(day);
        if (!symbols) {
          if (this.symbols.isEmpty(day)) continue;
          const sizes = await this.ctx.read(
            `SELECT (SELECT count(*) FROM stacks WHERE day = ${day})::DOUBLE, (SELECT count(*) FROM names WHERE day = ${day})::DOUBLE, (SELECT coalesce(sum(length(name)), 0) FROM names WHERE day = ${day})::DOUBLE`,
          );
          const [nodes, names, chars] = sizes.getRows()[0]!.map(Number) as [number, number, number];
          if (nodes === 0 || this.warmUp.stopped) continue;
          // Only into free budget: a warm-up must not push out a day someone is reading.
          if (this.symbols.bytes + DaySymbolCache.estimate(nodes, names, chars) > this.symbols.budgetBytes) continue;
          symbols = await this.symbols.ensure(day, (into) => this.loadDay(day, into), { nodes, names });
          this.mergeCounts.warmLoads++;
        }
        if (this.warmUp.stopped) return;
        if ((await this.dayLayout(symbols)) !== null) this.mergeCounts.warmLayouts++;
      } catch {
        // A closing store or a failing disk: the query that needs the day will load it (and report).
      }
    }
  }

  /** Days and bytes the merge cache holds. */
  mergeCacheSize(): { days: number; bytes: number } {
    return { days: this.symbols.size, bytes: this.symbols.bytes };
  }

  /** Retention dropped days before this one. */
  daysDropped(firstKeptDay: number): void {
    this.symbols.dropBefore(firstKeptDay);
  }

  private dayList(fromMs: number, toMs: number): number[] {
    const first = dayOf(fromMs);
    const last = dayOf(toMs);
    const days: number[] = [];
    for (let day = last; day >= first; day--) days.push(day);
    const legacy = this.ctx.state.legacySymbolsDay;
    if (legacy !== null && legacy >= first && legacy > last) days.unshift(legacy);
    return days;
  }

  /**
   * The days' symbols from the cache, loading the missing ones; null when they do not fit its
   * budget together (the merge then walks in SQL).
   */
  private async cachedDays(days: number[]): Promise<DaySymbols[] | null> {
    const budget = this.symbols.budgetBytes;
    if (budget <= 0) return null;
    let bytes = 0;
    const missing: number[] = [];
    const out: DaySymbols[] = [];
    for (const day of days) {
      const symbols = this.symbols.get(day);
      if (symbols) {
        bytes += symbols.bytes;
        out.push(symbols);
      } else if (!this.symbols.isEmpty(day)) missing.push(day);
    }
    if (missing.length === 0) return out;
    const writesBefore = this.symbols.writeCount;
    // Only days with symbols are loaded (a range of years holds mostly empty days); one statement
    // finds them and their sizes.
    const first = Math.min(...missing);
    const last = Math.max(...missing);
    const sizes = await this.ctx.read(
      `SELECT day, sum(nodes)::DOUBLE, sum(names)::DOUBLE, sum(chars)::DOUBLE FROM (
         SELECT day, count(*) AS nodes, 0 AS names, 0 AS chars FROM stacks WHERE day BETWEEN ${first} AND ${last} GROUP BY day
         UNION ALL
         SELECT day, 0, count(*), sum(length(name)) FROM names WHERE day BETWEEN ${first} AND ${last} GROUP BY day
       ) GROUP BY day`,
    );
    const wanted = new Set(missing);
    const toLoad: Array<{ day: number; nodes: number; names: number }> = [];
    for (const [day, nodes, names, chars] of sizes.getRows()) {
      if (!wanted.has(Number(day))) continue;
      wanted.delete(Number(day));
      toLoad.push({ day: Number(day), nodes: Number(nodes), names: Number(names) });
      bytes += DaySymbolCache.estimate(Number(nodes), Number(names), Number(chars));
    }
    for (const day of wanted) this.symbols.markEmpty(day, writesBefore);
    if (bytes > budget) return null;
    // Newest first, as the walk looks them up.
    toLoad.sort((a, b) => b.day - a.day);
    for (const { day, nodes, names } of toLoad) out.push(await this.symbols.ensure(day, (into) => this.loadDay(day, into), { nodes, names }));
    return out;
  }

  private loadDay(day: number, into: DaySymbols): Promise<void> {
    this.mergeCounts.dayLoads++;
    return this.ctx.withReader(async (connection) => {
      const nodes = await connection.stream(`SELECT ${halves('id')}, ${halves('parent')}, ${halves('name_id')} FROM stacks WHERE day = ${day}`);
      for (let chunk = await nodes.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await nodes.fetchChunk()) {
        const rows = chunk.rowCount;
        const [idLo, idHi, parentLo, parentHi, nameLo, nameHi] = [0, 1, 2, 3, 4, 5].map((i) => numbers(chunk.getColumnVector(i), rows));
        for (let i = 0; i < rows; i++) into.addNode(idLo![i]!, idHi![i]!, parentLo![i]!, parentHi![i]!, nameLo![i]!, nameHi![i]!);
      }
      const names = await connection.stream(`SELECT ${halves('id')}, name FROM names WHERE day = ${day}`);
      for (let chunk = await names.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await names.fetchChunk()) {
        const rows = chunk.rowCount;
        const [lo, hi] = [0, 1].map((i) => numbers(chunk.getColumnVector(i), rows));
        const name = chunk.getColumnVector(2);
        for (let i = 0; i < rows; i++) into.addName(lo![i]!, hi![i]!, String(name.getItem(i)));
      }
    });
  }

  /**
   * Leaf sums from SQL, ancestors and names from the cached days (a node is looked up in each
   * until one holds it; that day holds its ancestors too). Null when a leaf is in none of them — the cache is behind
   * the database, which the SQL walk then answers.
   */
  private async mergeInMemory(planSql: string, days: DaySymbols[]): Promise<StackNodeTable | null> {
    if (days.length === 1) return this.mergeOneDay(planSql, days[0]!);
    const leafSums = await this.ctx.withReader(async (connection) => {
      const sums: number[] = [];
      const leaves = await connection.stream(`SELECT ${halves('stack_id')}, sum(value)::DOUBLE FROM (${planSql}) GROUP BY stack_id`);
      for (let chunk = await leaves.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await leaves.fetchChunk()) {
        const rows = chunk.rowCount;
        const [lo, hi, self] = [0, 1, 2].map((i) => numbers(chunk.getColumnVector(i), rows));
        for (let i = 0; i < rows; i++) sums.push(lo![i]!, hi![i]!, self![i]!);
      }
      return sums;
    });
    const builder = new TableBuilder();
    const pacer = new Pacer();
    const links = new Uint32Array(4);
    for (let i = 0; i < leafSums.length; i += 3) {
      const pause = pacer.tick();
      if (pause) await pause;
      let lo = leafSums[i]!;
      let hi = leafSums[i + 1]!;
      if ((lo === 0 && hi === 0) || builder.has(lo, hi)) continue;
      let day: DaySymbols | undefined;
      let row = -1;
      for (const candidate of days) {
        row = candidate.nodes.get(lo, hi);
        if (row >= 0) {
          day = candidate;
          break;
        }
      }
      if (day === undefined) return null;
      // Up from the leaf until the root or a node already taken; the day's partition holds every
      // ancestor of its nodes.
      for (let steps = 0; steps <= MAX_STACK_DEPTH; steps++) {
        day.linkOf(row, links);
        const nameLo = links[2]!;
        const nameHi = links[3]!;
        builder.addNode(lo, hi, links[0]!, links[1]!, nameLo, nameHi);
        if (!builder.hasName(nameLo, nameHi)) {
          const name = day.name(nameLo, nameHi);
          if (name === undefined) return null;
          builder.addName(nameLo, nameHi, name);
        }
        lo = links[0]!;
        hi = links[1]!;
        if ((lo === 0 && hi === 0) || builder.has(lo, hi)) break;
        row = day.nodes.get(lo, hi);
        if (row < 0) return null;
      }
    }
    for (let i = 0; i < leafSums.length; i += 3) {
      const pause = pacer.tick();
      if (pause) await pause;
      builder.addSelf(leafSums[i]!, leafSums[i + 1]!, leafSums[i + 2]!);
    }
    return builder.build();
  }

  /**
   * The walk runs once into a temp table of this connection; nodes and then the names they use are
   * streamed out of it chunk by chunk, ids split into 32-bit halves by SQL so JS handles numbers
   * only. Memory in DuckDB stays within its limit (temp tables spill), in JS it is typed arrays.
   */
  private async mergeBySql(planSql: string, days: string): Promise<StackNodeTable> {
    const temp = `merge_${++mergeCounter}`;
    // The walk up a big range's stacks is the biggest statement we run (see withRoom).
    return this.ctx.withRoom(() => this.ctx.withReader(async (connection) => {
      // Steps each within DuckDB's memory limit: leaf sums, the walk up to the roots, then reading
      // them out. (One statement joining them ran out of 128 MB at a million nodes.)
      await connection.run(`CREATE TEMP TABLE ${temp}_leaves AS SELECT stack_id AS id, sum(value)::DOUBLE AS self FROM (${planSql}) GROUP BY stack_id`);
      try {
        // Level by level: every node has one depth, so a DISTINCT per level keeps the working set to
        // one level of the tree (a UNION would hash every id visited, which ran out of memory at
        // 3 M nodes). A leaf that is also an ancestor may appear twice; the semi-join below and
        // the table builder take each node once. The depth bound stops a corrupt cycle.
        await connection.run(`CREATE TEMP TABLE ${temp} AS WITH RECURSIVE
          sym AS (SELECT id, parent FROM stacks WHERE ${days}),
          walk(id, depth) AS (
            SELECT id, 0 FROM ${temp}_leaves WHERE id <> 0
            UNION ALL
            SELECT DISTINCT s.parent, w.depth + 1 FROM sym s JOIN walk w ON s.id = w.id WHERE s.parent <> 0 AND w.depth < ${MAX_STACK_DEPTH}
          )
          SELECT id FROM walk`);
        await connection.run(`CREATE TEMP TABLE ${temp}_nodes AS SELECT id, parent, name_id FROM stacks WHERE ${days} AND id IN (SELECT id FROM ${temp})`);
        const builder = new TableBuilder();
        const nodes = await connection.stream(`SELECT ${halves('id')}, ${halves('parent')}, ${halves('name_id')} FROM ${temp}_nodes`);
        for (let chunk = await nodes.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await nodes.fetchChunk()) {
          const rows = chunk.rowCount;
          const [idLo, idHi, parentLo, parentHi, nameLo, nameHi] = [0, 1, 2, 3, 4, 5].map((i) => numbers(chunk.getColumnVector(i), rows));
          for (let i = 0; i < rows; i++) builder.addNode(idLo![i]!, idHi![i]!, parentLo![i]!, parentHi![i]!, nameLo![i]!, nameHi![i]!);
        }
        const leaves = await connection.stream(`SELECT ${halves('id')}, self FROM ${temp}_leaves`);
        for (let chunk = await leaves.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await leaves.fetchChunk()) {
          const rows = chunk.rowCount;
          const [lo, hi, self] = [0, 1, 2].map((i) => numbers(chunk.getColumnVector(i), rows));
          for (let i = 0; i < rows; i++) builder.addSelf(lo![i]!, hi![i]!, self![i]!);
        }
        const names = await connection.stream(
          `SELECT ${halves('id')}, name FROM names WHERE ${days} AND id IN (SELECT name_id FROM ${temp}_nodes)`,
        );
        for (let chunk = await names.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await names.fetchChunk()) {
          const rows = chunk.rowCount;
          const [lo, hi] = [0, 1].map((i) => numbers(chunk.getColumnVector(i), rows));
          const name = chunk.getColumnVector(2);
          for (let i = 0; i < rows; i++) builder.addName(lo![i]!, hi![i]!, String(name.getItem(i)));
        }
        return builder.build();
      } finally {
        await connection.run(`DROP TABLE IF EXISTS ${temp}`).catch(() => undefined);
        await connection.run(`DROP TABLE IF EXISTS ${temp}_leaves`).catch(() => undefined);
        await connection.run(`DROP TABLE IF EXISTS ${temp}_nodes`).catch(() => undefined);
      }
    }));
  }

  /** Where a selection's profiles are: profile rows, or sample rows when spans/traces select samples. */
  private profileSource(query: SelectQuery, ids: string, fromMs: number, toMs: number): { sampleLevel: boolean; from: string } {
    const sampleLevel = (query.spanIds?.length ?? 0) > 0 || (query.traceIds?.length ?? 0) > 0;
    const where = `series_id IN (${ids}) AND time_ms BETWEEN ${fromMs} AND ${toMs}`;
    if (sampleLevel) return { sampleLevel, from: `samples WHERE ${where}${this.sampleFilters(query)}` };
    const byId = query.profileIds && query.profileIds.length > 0 ? ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})` : '';
    return { sampleLevel, from: `profiles WHERE ${where}${byId}` };
  }

  async seriesBuckets(query: SelectQuery, stepMs: number, bucketCount: number): Promise<SeriesBuckets> {
    const empty: SeriesBuckets = { labelSets: [], seriesIndex: new Uint32Array(0), bucketIndex: new Uint32Array(0), sum: new Float64Array(0), count: new Uint32Array(0) };
    const step = Math.floor(stepMs);
    const buckets = Math.floor(bucketCount);
    if (!(step >= 1) || !(buckets >= 1)) return empty;
    const fromMs = Math.floor(query.fromMs);
    // Bucket 0 starts just after fromMs - step; the last one ends at fromMs + (bucketCount - 1)·step.
    const firstMs = fromMs - step + 1;
    const toMs = Math.min(Math.floor(query.toMs), fromMs + (buckets - 1) * step);
    if (toMs < firstMs) return empty;
    const selection = await this.selectSeries(query.tenant, query.selector, firstMs, toMs, query.profileTypeId, true);
    if (selection.idsSql === null) return empty;
    const source = this.profileSource(query, selection.idsSql, firstMs, toMs);
    const bucket = `CASE WHEN time_ms <= ${fromMs} THEN 0 ELSE (time_ms - ${fromMs} + ${step - 1}) // ${step} END`;
    const aggregates = source.sampleLevel ? 'sum(value)::DOUBLE, count(DISTINCT pid)::INTEGER' : 'sum(total)::DOUBLE, count(*)::INTEGER';
    const result = await this.ctx.read(`SELECT series_id, (${bucket})::INTEGER AS k, ${aggregates} FROM ${source.from} GROUP BY ALL ORDER BY series_id, k`);
    const rowCount = result.currentRowCount;
    const columns = result.getColumns();
    const out: SeriesBuckets = {
      labelSets: [],
      seriesIndex: new Uint32Array(rowCount),
      bucketIndex: new Uint32Array(rowCount),
      sum: new Float64Array(rowCount),
      count: new Uint32Array(rowCount),
    };
    const indexOf = new Map<bigint, number>();
    for (let row = 0; row < rowCount; row++) {
      const id = BigInt(columns[0]![row] as bigint);
      let index = indexOf.get(id);
      if (index === undefined) {
        index = out.labelSets.length;
        out.labelSets.push(selection.labels!.get(id) ?? []);
        indexOf.set(id, index);
      }
      out.seriesIndex[row] = index;
      out.bucketIndex[row] = columns[1]![row] as number;
      out.sum[row] = columns[2]![row] as number;
      out.count[row] = columns[3]![row] as number;
    }
    return out;
  }

  /**
   * What a raw-rows merge of `query` reads, as a short string: the selected profiles' count and
   * the xor of their row-id hashes. Equal strings mean equal merges, so `from=now-1h` asked twice
   * a few seconds apart (a new ms each time) shares one cached tree while no profile entered or
   * left the window. Null when the merge reads rollups (it then depends on bucket edges too).
   */
  async selectionVersion(query: SelectQuery): Promise<string | null> {
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const selection = await this.selectSeries(query.tenant, query.selector, fromMs, toMs, query.profileTypeId, false);
    if (selection.idsSql === null) return 'empty';
    if (!this.planMerge(query, selection.idsSql).rawOnly) return null;
    const byId = query.profileIds && query.profileIds.length > 0 ? ` AND profile_id IN (${query.profileIds.map(sqlString).join(',')})` : '';
    const result = await this.ctx.read(`SELECT count(*), coalesce(bit_xor(hash(pid)), 0)::VARCHAR FROM profiles WHERE series_id IN (${selection.idsSql}) AND time_ms BETWEEN ${fromMs} AND ${toMs}${byId}`);
    const [count, xor] = result.getRows()[0] ?? [0, '0'];
    return `${String(count)}:${String(xor)}`;
  }

  async profileCount(query: SelectQuery): Promise<number> {
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const selection = await this.selectSeries(query.tenant, query.selector, fromMs, toMs, query.profileTypeId, false);
    if (selection.idsSql === null) return 0;
    const source = this.profileSource(query, selection.idsSql, fromMs, toMs);
    const result = await this.ctx.read(`SELECT ${source.sampleLevel ? 'count(DISTINCT pid)' : 'count(*)'} FROM ${source.from}`);
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  async profilePoints(query: SelectQuery, limit: number): Promise<ProfilePoints> {
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const out: ProfilePoints = { labelSets: [], points: [] };
    const selection = await this.selectSeries(query.tenant, query.selector, fromMs, toMs, query.profileTypeId, true);
    if (selection.idsSql === null || limit <= 0) return out;
    const source = this.profileSource(query, selection.idsSql, fromMs, toMs);
    const sql = source.sampleLevel
      ? `SELECT s.series_id, s.time_ms, s.value, p.profile_id FROM (SELECT series_id, pid, any_value(time_ms) AS time_ms, sum(value)::DOUBLE AS value FROM ${source.from} GROUP BY series_id, pid) s JOIN profiles p ON p.pid = s.pid ORDER BY s.time_ms LIMIT ${Math.floor(limit)}`
      : `SELECT series_id, time_ms, total, profile_id FROM ${source.from} ORDER BY time_ms LIMIT ${Math.floor(limit)}`;
    const indexOf = new Map<bigint, number>();
    // Up to 200k rows (a heatmap): read in chunks and paced; getRows() of them all was a ~200 ms block.
    await this.forEachRowPaced(sql, ([id, timeMs, value, profileId]) => {
      const seriesId = BigInt(id as bigint);
      let seriesIndex = indexOf.get(seriesId);
      if (seriesIndex === undefined) {
        seriesIndex = out.labelSets.length;
        out.labelSets.push(selection.labels!.get(seriesId) ?? []);
        indexOf.set(seriesId, seriesIndex);
      }
      out.points.push({ seriesIndex, timeMs: Number(timeMs), value: Number(value), profileId: String(profileId) });
    });
    return out;
  }

  async serviceLastSeen(tenant: string, fromMs: number, toMs: number): Promise<Map<string, number>> {
    const from = Math.floor(fromMs);
    const to = Math.floor(toMs);
    const result = await this.ctx.read(
      `SELECT s.service, max(p.time_ms) FROM profiles p
       JOIN (SELECT DISTINCT id, coalesce(label_map['service_name'], '') AS service FROM series WHERE tenant = ${sqlString(tenant)} AND ${this.days(from, to)}) s ON s.id = p.series_id
       WHERE p.time_ms BETWEEN ${from} AND ${to} GROUP BY s.service`,
    );
    const lastSeen = new Map<string, number>();
    for (const [service, timeMs] of result.getRows()) lastSeen.set(String(service), Number(timeMs));
    return lastSeen;
  }

  async meanPeriod(query: SelectQuery): Promise<number | null> {
    const fromMs = Math.floor(query.fromMs);
    const toMs = Math.floor(query.toMs);
    const selection = await this.selectSeries(query.tenant, query.selector, fromMs, toMs, query.profileTypeId, false);
    if (selection.idsSql === null) return null;
    const result = await this.ctx.read(`SELECT avg(period) FROM profiles WHERE period > 0 AND series_id IN (${selection.idsSql}) AND time_ms BETWEEN ${fromMs} AND ${toMs}`);
    const value = result.getRows()[0]?.[0];
    return value === null || value === undefined ? null : Number(value);
  }

  /** Figures without bytesOnDisk (the store adds the file size). */
  async stats(tenant: string | null): Promise<Omit<StoreStats, 'bytesOnDisk'>> {
    const seriesWhere = tenant === null ? '' : ` WHERE tenant = ${sqlString(tenant)}`;
    const where = tenant === null ? '' : ` WHERE series_id IN (SELECT id FROM series${seriesWhere})`;
    const result = await this.ctx.read(
      `SELECT (SELECT count(DISTINCT id) FROM series${seriesWhere}),
              (SELECT count(*) FROM profiles${where}), (SELECT coalesce(min(time_ms), 0) FROM profiles${where}),
              (SELECT coalesce(max(time_ms), 0) FROM profiles${where}), (SELECT count(*) FROM samples${where})`,
    );
    const [series, profiles, oldest, newest, samples] = result.getRows()[0]!.map(Number) as [number, number, number, number, number];
    return { dataIngested: profiles > 0, oldestProfileMs: oldest, newestProfileMs: newest, seriesCount: series, sampleRows: samples };
  }

  /** Rows in the symbol tables (a test and metrics hook: retention must shrink them). */
  async symbolCounts(): Promise<{ names: number; stacks: number; series: number }> {
    const result = await this.ctx.read(`SELECT (SELECT count(*) FROM names), (SELECT count(*) FROM stacks), (SELECT count(*) FROM series)`);
    const [names, stacks, series] = result.getRows()[0]!.map(Number) as [number, number, number];
    return { names, stacks, series };
  }
}

/** Days warmed after a start or a big write: today and yesterday (a last-hour view spans midnight). */
const WARM_UP_DAYS = 2;
/** A write adding at least this many nodes to a recent day warms it (a big profile, not the trickle of a steady service). */
const WARM_UP_MIN_NEW_NODES = 50_000;
/** Let the server finish starting (and a burst of writes land) before warming. */
const WARM_UP_AFTER_START_DELAY_MS = 200;
const WARM_UP_AFTER_WRITE_DELAY_MS = 100;

let mergeCounter = 0;
/** Selections of up to this many series are sent to DuckDB as literal id lists. */
const MAX_LITERAL_IDS = 2_000;

const halves = (column: string): string => `(${column} & 4294967295)::UINTEGER, (${column} >> 32)::UINTEGER`;
/** Deeper stacks than any runtime produces; bounds the walk if symbols were ever corrupt. */
const MAX_STACK_DEPTH = 100_000;

/**
 * A non-null numeric column of a chunk as an array: the vector's own typed array when it has one
 * (UINTEGER/DOUBLE vectors keep `items`; reading it skips a call and a validity check per value).
 */
function numbers(vector: { getItem(index: number): unknown }, count: number): ArrayLike<number> {
  const items = (vector as unknown as { items?: unknown }).items;
  if ((items instanceof Uint32Array || items instanceof Float64Array) && items.length >= count) return items;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Number(vector.getItem(i));
  return out;
}

/**
 * Positions 0..count-1 ordered by key(position) ∈ [0, keyCount), stable: a counting sort, linear
 * in count + keyCount.
 */
function countingSort(count: number, keyCount: number, key: (position: number) => number): Int32Array {
  const counts = new Int32Array(keyCount + 1);
  const keys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const k = key(i);
    keys[i] = k;
    counts[k + 1]!++;
  }
  for (let k = 1; k <= keyCount; k++) counts[k]! += counts[k - 1]!;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[counts[keys[i]!]!++] = i;
  return out;
}

/**
 * A pacer for the passes over a day's rows: they call yieldIfDue once per 1,024 rows (or per phase),
 * so it reads the clock at every call rather than every 1,024th.
 */
function rowPacer(): Pacer {
  return new Pacer(ROW_SLICE_MS, 1);
}

/** Longest stretch a pass over a day's rows runs before giving the event loop a turn. */
const ROW_SLICE_MS = 15;

/** The event loop's turn when the pacer's slice is used up. */
async function yieldIfDue(pacer: Pacer): Promise<void> {
  const pause = pacer.tick();
  if (pause) await pause;
}

/**
 * The touched rows of one day as a StackNodeTable in TableBuilder.build's order (by depth, then
 * parent, then name; names sorted), so both merge paths answer byte-identical tables.
 * `compactOf[row]` = 1 + the row's position in `touched` (0 = not touched). Every pass over the
 * rows yields as `pacer` says: for a whole 1M-node day this is ~0.5 s of work.
 */
async function layOutTable(
  day: DaySymbols,
  touched: Int32Array,
  compactOf: Int32Array,
  selfOfRow: Float64Array,
  rootSelf: number,
  pacer: Pacer,
): Promise<{ table: StackNodeTable; order: Int32Array }> {
  const count = touched.length;
  const { parentRow, nameRow, nameText } = day;
  // Names used, sorted by text; rank = position.
  const nameSlot = new Int32Array(day.names.size).fill(-1);
  const usedNames: number[] = [];
  for (let k = 0; k < count; k++) {
    if ((k & 1023) === 0) await yieldIfDue(pacer);
    const name = nameRow[touched[k]!]!;
    if (nameSlot[name] === -1) {
      nameSlot[name] = usedNames.length;
      usedNames.push(name);
    }
  }
  const nameOrder = usedNames.map((_, i) => i).sort((a, b) => {
    const x = nameText[usedNames[a]!] ?? '';
    const y = nameText[usedNames[b]!] ?? '';
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  await yieldIfDue(pacer);
  const rankOfSlot = new Int32Array(usedNames.length);
  for (let r = 0; r < nameOrder.length; r++) rankOfSlot[nameOrder[r]!] = r;
  const names = nameOrder.map((slot) => nameText[usedNames[slot]!] ?? '');
  // Per compact node: parent (compact, -1 = root), depth, name rank.
  const parentK = new Int32Array(count);
  const rankK = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    if ((k & 1023) === 0) await yieldIfDue(pacer);
    const row = touched[k]!;
    const p = parentRow[row]!;
    parentK[k] = p < 0 ? -1 : compactOf[p]! - 1;
    rankK[k] = rankOfSlot[nameSlot[nameRow[row]!]!]!;
  }
  const depth = new Int32Array(count).fill(-1);
  const chain = new Int32Array(count);
  let maxDepth = 0;
  for (let k = 0; k < count; k++) {
    if ((k & 1023) === 0) await yieldIfDue(pacer);
    let length = 0;
    let node = k;
    while (node >= 0 && depth[node] === -1) {
      chain[length++] = node;
      node = parentK[node]!;
    }
    let d = node >= 0 ? depth[node]! : -1;
    while (length > 0) depth[chain[--length]!] = ++d;
    if (d > maxDepth) maxDepth = d;
  }
  // Stable counting sorts: by name rank, then by depth, then each level by its parent's position.
  const byName = await countingSortPaced(count, names.length, rankK, pacer);
  const starts = new Int32Array(maxDepth + 2);
  for (let k = 0; k < count; k++) starts[depth[k]! + 1]!++;
  for (let d = 1; d < starts.length; d++) starts[d]! += starts[d - 1]!;
  const byDepth = new Int32Array(count);
  const fill = starts.slice();
  for (let i = 0; i < count; i++) {
    if ((i & 1023) === 0) await yieldIfDue(pacer);
    const k = byName[i]!;
    byDepth[fill[depth[k]!]!++] = k;
  }
  const newIndex = new Int32Array(count);
  for (let d = 0; d <= maxDepth; d++) {
    await yieldIfDue(pacer);
    const level = byDepth.subarray(starts[d]!, starts[d + 1]!);
    if (d === 0) {
      for (let i = 0; i < level.length; i++) newIndex[level[i]!] = i;
      continue;
    }
    const above = starts[d - 1]!;
    const ordered = countingSort(level.length, starts[d]! - above, (i) => newIndex[parentK[level[i]!]!]! - above);
    for (let i = 0; i < ordered.length; i++) newIndex[level[ordered[i]!]!] = starts[d]! + i;
  }
  const parent = new Int32Array(count);
  const nameIndex = new Int32Array(count);
  const self = new Float64Array(count);
  const order = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    if ((k & 1023) === 0) await yieldIfDue(pacer);
    const at = newIndex[k]!;
    parent[at] = parentK[k]! < 0 ? -1 : newIndex[parentK[k]!]!;
    nameIndex[at] = rankK[k]!;
    self[at] = selfOfRow[touched[k]!]!;
    order[at] = touched[k]!;
  }
  return { table: { names, parent, nameIndex, self, ...(rootSelf !== 0 ? { rootSelf } : {}) }, order };
}

/** countingSort with the keys given as an array, yielding as `pacer` says between blocks of rows. */
async function countingSortPaced(count: number, keyCount: number, keys: Int32Array, pacer: Pacer): Promise<Int32Array> {
  const counts = new Int32Array(keyCount + 1);
  for (let i = 0; i < count; i++) counts[keys[i]! + 1]!++;
  for (let k = 1; k <= keyCount; k++) counts[k]! += counts[k - 1]!;
  await yieldIfDue(pacer);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    if ((i & 1023) === 0) await yieldIfDue(pacer);
    out[counts[keys[i]!]!++] = i;
  }
  return out;
}

/**
 * The day's rows (all of them now) in answer order, with each position's parent position and name
 * rank, so a merge works in position space: leaves map to positions, ancestors are marked through
 * parentPos, and one sequential pass emits the touched positions (restricting the order keeps
 * depth, parent and name order). Null while some row's parent or name is not in the day (the row
 * path handles it). Rows the writer appends while this runs are left for the next layout.
 */
async function layOutDay(day: DaySymbols, pacer: Pacer): Promise<DayLayout | null> {
  const rowCount = day.nodes.size;
  const nameCount = day.names.size;
  const { parentRow, nameRow } = day;
  if (parentRow.length < rowCount) return null;
  for (let row = 0; row < rowCount; row++) {
    if ((row & 1023) === 0) await yieldIfDue(pacer);
    if (parentRow[row] === -2 || nameRow[row]! < 0 || parentRow[row]! >= rowCount) return null;
  }
  const all = new Int32Array(rowCount);
  const allCompact = new Int32Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    all[row] = row;
    allCompact[row] = row + 1;
  }
  const { table, order } = await layOutTable(day, all, allCompact, new Float64Array(rowCount), 0, pacer);
  // table.parent and table.nameIndex are per position already; invert order for the rows' positions.
  const posOfRow = new Int32Array(rowCount);
  for (let pos = 0; pos < rowCount; pos++) posOfRow[order[pos]!] = pos;
  return { nodeCount: rowCount, nameCount, posOfRow, parentPos: table.parent, rankPos: table.nameIndex, names: table.names };
}

async function mergeByLayout(layout: DayLayout, leaves: { rows: Int32Array; self: Float64Array }, rootSelf: number, pacer: Pacer): Promise<StackNodeTable> {
  const size = layout.nodeCount;
  const { posOfRow, parentPos, rankPos } = layout;
  const selfPos = new Float64Array(size);
  const touched = new Uint8Array(size);
  let count = 0;
  for (let i = 0; i < leaves.rows.length; i++) {
    if ((i & 1023) === 0) await yieldIfDue(pacer);
    let pos = posOfRow[leaves.rows[i]!]!;
    selfPos[pos]! += leaves.self[i]!;
    // Up to the root or a position already marked; parentPos[pos] < pos, so this ends.
    while (pos >= 0 && touched[pos] === 0) {
      touched[pos] = 1;
      count++;
      pos = parentPos[pos]!;
    }
  }
  const parent = new Int32Array(count);
  const nameIndex = new Int32Array(count);
  const self = new Float64Array(count);
  const newIndex = new Int32Array(size);
  const rankUsed = new Int32Array(layout.names.length + 1);
  let at = 0;
  for (let pos = 0; pos < size; pos++) {
    if ((pos & 1023) === 0) await yieldIfDue(pacer);
    if (touched[pos] === 0) continue;
    newIndex[pos] = at;
    const p = parentPos[pos]!;
    parent[at] = p < 0 ? -1 : newIndex[p]!;
    const rank = rankPos[pos]!;
    nameIndex[at] = rank;
    rankUsed[rank + 1] = 1;
    self[at] = selfPos[pos]!;
    at++;
  }
  // Ranks among all the day's names → ranks among the names used (prefix sums).
  const names: string[] = [];
  for (let rank = 0; rank < layout.names.length; rank++) if (rankUsed[rank + 1] === 1) names.push(layout.names[rank]!);
  for (let r = 1; r < rankUsed.length; r++) rankUsed[r]! += rankUsed[r - 1]!;
  for (let k = 0; k < count; k++) nameIndex[k] = rankUsed[nameIndex[k]!]!;
  return { names, parent, nameIndex, self, ...(rootSelf !== 0 ? { rootSelf } : {}) };
}

/** Collects streamed nodes and names, then lays the StackNodeTable out parents first. */
class TableBuilder {
  private readonly nodes = new IdIndex();
  private readonly nameIds = new IdIndex();
  private parentLo: number[] = [];
  private parentHi: number[] = [];
  private nameOf: number[] = [];
  private selfOf: number[] = [];
  private rootSelf = 0;
  private readonly names: string[] = [];

  addNode(lo: number, hi: number, parentLo: number, parentHi: number, nameLo: number, nameHi: number): void {
    const before = this.nodes.size;
    const row = this.nodes.add(lo, hi);
    // Seen already (the walk returns each node once; kept safe for duplicate symbol rows).
    if (row < before) return;
    this.parentLo.push(parentLo);
    this.parentHi.push(parentHi);
    this.nameOf.push(this.nameIds.add(nameLo, nameHi));
    this.selfOf.push(0);
  }

  has(lo: number, hi: number): boolean {
    return this.nodes.get(lo, hi) >= 0;
  }

  hasName(lo: number, hi: number): boolean {
    const index = this.nameIds.get(lo, hi);
    return index >= 0 && this.names[index] !== undefined;
  }

  usesName(lo: number, hi: number): boolean {
    return this.nameIds.get(lo, hi) >= 0;
  }

  /** A leaf sum; id 0 = samples without frames. */
  addSelf(lo: number, hi: number, self: number): void {
    if (lo === 0 && hi === 0) {
      this.rootSelf += self;
      return;
    }
    const row = this.nodes.get(lo, hi);
    // A leaf whose node is missing from the symbols cannot be placed (never expected): counted at the root.
    if (row < 0) this.rootSelf += self;
    else this.selfOf[row]! += self;
  }

  addName(lo: number, hi: number, name: string): void {
    const index = this.nameIds.get(lo, hi);
    if (index >= 0) this.names[index] = name;
  }

  /**
   * Parents before children, in an order that depends on content only (not on the order DuckDB
   * streamed rows in): by depth, then parent, then name; names sorted. Answers to the same query
   * are then identical, as pprof/tree exports compared across requests expect.
   */
  build(): StackNodeTable {
    const count = this.nodes.size;
    const rootSelf = this.rootSelf;
    const nameOrder = Array.from({ length: this.nameIds.size }, (_, i) => i).sort((a, b) => {
      const x = this.names[a] ?? '';
      const y = this.names[b] ?? '';
      return x < y ? -1 : x > y ? 1 : a - b;
    });
    const nameRank = new Int32Array(nameOrder.length);
    nameOrder.forEach((index, rank) => (nameRank[index] = rank));
    const names = nameOrder.map((index) => this.names[index] ?? '');
    if (count === 0) return rootSelf !== 0 ? { ...EMPTY_TABLE, rootSelf } : EMPTY_TABLE;
    const parentRow = new Int32Array(count);
    for (let r = 0; r < count; r++) {
      const lo = this.parentLo[r]!;
      const hi = this.parentHi[r]!;
      parentRow[r] = lo === 0 && hi === 0 ? -1 : this.nodes.get(lo, hi);
    }
    // Depth of every row (walking up until a known depth).
    const depth = new Int32Array(count).fill(-1);
    const pending: number[] = [];
    let maxDepth = 0;
    for (let r = 0; r < count; r++) {
      let node = r;
      while (node >= 0 && depth[node] === -1 && pending.length <= count) {
        pending.push(node);
        node = parentRow[node]!;
      }
      let d = node >= 0 ? depth[node]! : -1;
      while (pending.length > 0) depth[pending.pop()!] = ++d;
      if (d > maxDepth) maxDepth = d;
    }
    // Rows ordered by (depth, parent's new index, name rank) with three stable counting sorts, so
    // the layout is linear in the rows (a comparator sort per level took ~90 ms at 75k nodes):
    // by name rank, then by depth, then each level by its parent's position in the level above.
    const nameCount = this.nameIds.size;
    const rankOf = new Int32Array(count);
    for (let r = 0; r < count; r++) rankOf[r] = nameRank[this.nameOf[r]!]!;
    const byName = countingSort(count, nameCount, (r) => rankOf[r]!);
    const starts = new Int32Array(maxDepth + 2);
    for (let r = 0; r < count; r++) starts[depth[r]! + 1]!++;
    for (let d = 1; d < starts.length; d++) starts[d]! += starts[d - 1]!;
    const byDepth = new Int32Array(count);
    const fill = starts.slice();
    for (let i = 0; i < count; i++) {
      const r = byName[i]!;
      byDepth[fill[depth[r]!]!++] = r;
    }
    const newIndex = new Int32Array(count);
    for (let d = 0; d <= maxDepth; d++) {
      const level = byDepth.subarray(starts[d]!, starts[d + 1]!);
      const above = d === 0 ? 0 : starts[d - 1]!;
      const width = d === 0 ? 1 : starts[d]! - starts[d - 1]!;
      const ordered = countingSort(level.length, width, (i) => (d === 0 ? 0 : newIndex[parentRow[level[i]!]!]! - above));
      for (let i = 0; i < ordered.length; i++) newIndex[level[ordered[i]!]!] = starts[d]! + i;
    }
    const parent = new Int32Array(count);
    const nameIndex = new Int32Array(count);
    const self = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      const at = newIndex[r]!;
      parent[at] = parentRow[r]! < 0 ? -1 : newIndex[parentRow[r]!]!;
      nameIndex[at] = nameRank[this.nameOf[r]!]!;
      self[at] = this.selfOf[r]!;
    }
    return { names, parent, nameIndex, self, ...(rootSelf !== 0 ? { rootSelf } : {}) };
  }
}
