/**
 * /upload: view a profile file (pprof, folded, speedscope, Chrome .cpuprofile, flamebearer JSON) in
 * the browser without ingesting it, with the views stored data has (search, top table, sandwich,
 * exports), or diff it against what the server holds. Decoding runs here with core's decoders;
 * nothing is sent.
 */
import { useMemo, useState, type JSX } from 'react';
import {
  callTreeFromProfile,
  decodeCollapsed,
  decodeCpuprofile,
  emptyFlameGraph,
  formatValue,
  sandwich,
  sniffFormat,
  topTable,
  decodeFlamebearer,
  decodeLevels,
  decodePprof,
  decodeSpeedscope,
  diffColor,
  diffFlameGraph,
  diffToFlameGraph,
  flameGraphFromTree,
  profileTypeLabels,
  sortProfileTypes,
  type Profile,
  type ServiceInfo,
} from '@cinder/core';
import type { ApiClient } from '../api/client.js';
import { ExportMenu } from '../components/ExportMenu.js';
import { FlameGraphView } from '../components/FlameGraphView.js';
import { FlameIcon } from '../components/Icons.js';
import { AppNav } from '../components/AppNav.js';
import { Notice } from '../components/States.js';
import { TopTable } from '../components/TopTable.js';
import { useQuery } from '../hooks/useQuery.js';
import type { FlameView } from '../state/viewState.js';
import { ViewTabs } from '../components/ViewTabs.js';

/** The views /upload draws from a file in the browser (the call tree is offered for stored data). */
const UPLOAD_VIEWS: readonly FlameView[] = ['both', 'flamegraph', 'table', 'sandwich'];

interface Loaded {
  fileName: string;
  format: 'pprof' | 'folded' | 'speedscope' | 'flamebearer JSON' | 'Chrome .cpuprofile';
  profile: Profile;
}

async function gunzipIfNeeded(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Which format a file is, by content (names lie): JSON → speedscope, protobuf → pprof, else folded text. */
export async function decodeFile(fileName: string, raw: Uint8Array): Promise<Loaded> {
  let bytes: Uint8Array;
  try {
    bytes = await gunzipIfNeeded(raw);
  } catch {
    throw new Error(`${fileName} starts like a gzip file but does not decompress.`);
  }
  if (bytes.length === 0) throw new Error(`${fileName} is empty.`);
  const firstChar = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (firstChar === 0x7b) {
    const text = new TextDecoder().decode(bytes);
    if (/^\s*\{\s*"version"\s*:\s*1\s*,\s*"flamebearer"/.test(text) || /"flamebearer"\s*:\s*\{\s*"names"/.test(text.slice(0, 200))) {
      return { fileName, format: 'flamebearer JSON', profile: decodeFlamebearer(text) };
    }
    // Chrome DevTools / `node --cpu-prof` files: core's sniffer tells them from speedscope by their keys.
    if (sniffFormat(bytes).format === 'cpuprofile') return { fileName, format: 'Chrome .cpuprofile', profile: decodeCpuprofile(text) };
    const entries = decodeSpeedscope(text);
    return { fileName, format: 'speedscope', profile: entries[0]!.profile };
  }
  try {
    const profile = decodePprof(bytes);
    if (profile.sampleTypes.length > 0 && profile.stacks.length > 0) return { fileName, format: 'pprof', profile };
  } catch {
    // not pprof: try text below
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${fileName} is not a profile Cinder can read: not pprof (protobuf), not folded stacks and not speedscope JSON.`);
  }
  try {
    const profile = decodeCollapsed(text);
    if (profile.stacks.length === 0) throw new Error('no stacks');
    return { fileName, format: 'folded', profile };
  } catch {
    throw new Error(`${fileName} is text but has no "frame;frame;frame count" lines: not a folded profile.`);
  }
}

export function UploadPage({ client }: { client: ApiClient }): JSX.Element {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sampleType, setSampleType] = useState(0);
  const [focus, setFocus] = useState<string[]>([]);
  const [compareWith, setCompareWith] = useState<{ service: string; type: string } | null>(null);
  const [nowMs] = useState(() => Date.now());
  const [view, setView] = useState<FlameView>('both');
  const [search, setSearch] = useState({ text: '', regex: false });
  const [selectedFunction, setSelectedFunction] = useState('');

  const open = async (file: File): Promise<void> => {
    setError(null);
    setLoaded(null);
    setCompareWith(null);
    setFocus([]);
    setSelectedFunction('');
    setSearch({ text: '', regex: false });
    try {
      const decoded = await decodeFile(file.name, new Uint8Array(await file.arrayBuffer()));
      setLoaded(decoded);
      setSampleType(preferredSampleType(decoded.profile));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  const tree = useMemo(() => (loaded ? callTreeFromProfile(loaded.profile, Math.min(sampleType, loaded.profile.sampleTypes.length - 1)) : null), [loaded, sampleType]);
  const flamegraph = useMemo(() => (tree ? flameGraphFromTree(tree, 0).flamegraph : null), [tree]);
  const frames = useMemo(() => (flamegraph ? decodeLevels(flamegraph) : null), [flamegraph]);
  const unit = loaded?.profile.sampleTypes[sampleType]?.unit ?? '';
  const topRows = useMemo(() => (tree ? topTable(tree, 2000) : []), [tree]);
  const sandwichFrames = useMemo(() => {
    if (!tree || view !== 'sandwich' || selectedFunction === '') return null;
    const result = sandwich(tree, selectedFunction);
    const render = (t: typeof result.callers) => decodeLevels(t.nodeCount > 1 ? flameGraphFromTree(t, 0).flamegraph : emptyFlameGraph());
    return { callers: render(result.callers), callees: render(result.callees), self: result.self, total: result.total };
  }, [tree, view, selectedFunction]);
  const sampleTypeText = loaded?.profile.sampleTypes[sampleType] ? `${loaded.profile.sampleTypes[sampleType]!.type} (${unit})` : '';
  const title = loaded ? `${loaded.fileName} · ${sampleTypeText}` : '';

  const servicesQuery = useQuery<ServiceInfo[]>(loaded ? `services|${nowMs}` : null, (signal) => client.services(nowMs - 3_600_000, nowMs, signal));
  const storedKey = compareWith ? `stored|${compareWith.service}|${compareWith.type}` : null;
  const storedQuery = useQuery<string>(storedKey, (signal) =>
    client.flameGraphCollapsed({ query: `${compareWith!.type}{service_name=${JSON.stringify(compareWith!.service)}}`, fromMs: nowMs - 3_600_000, untilMs: nowMs }, signal),
  );
  const diff = useMemo(() => {
    if (!tree || storedQuery.data === null || !compareWith) return null;
    const stored = callTreeFromProfile(decodeCollapsed(storedQuery.data || ''), 0);
    const result = diffFlameGraph(stored, tree, 8192);
    const combined = diffToFlameGraph(result);
    return { combined, frames: decodeLevels(combined.flamegraph), leftTicks: result.leftTicks, rightTicks: result.rightTicks };
  }, [tree, storedQuery.data, compareWith]);

  return (
    <div className="page upload-page" data-testid="upload-page">
      <header className="page-header slim">
        <FlameIcon size={22} color="#76B900" className="page-icon" />
        <h1>Open a profile file</h1>
        <AppNav current="/upload" />
      </header>
      <main className="explore-main">
        <label
          className="drop-zone"
          data-testid="upload-drop"
          onDragOver={(event) => event.preventDefault()}
          onDrop={(event) => {
            event.preventDefault();
            const file = event.dataTransfer.files[0];
            if (file) void open(file);
          }}
        >
          Drop a pprof, folded, speedscope, Chrome .cpuprofile or flamebearer JSON file here, or{' '}
          <input type="file" data-testid="upload-input" onChange={(event) => event.target.files?.[0] && void open(event.target.files[0])} />
          <span className="muted drop-zone-note">Read in this browser; nothing is uploaded to the server.</span>
        </label>
        {error ? (
          <div className="state state-error" role="alert" data-testid="upload-error">
            {error}
          </div>
        ) : null}
        {loaded && frames ? (
          <section className="panel" data-testid="upload-view">
            <h2>
              {loaded.fileName} <span className="muted">({loaded.format})</span>
            </h2>
            <div className="controls">
              {loaded.profile.sampleTypes.length > 1 ? (
                <label className="field">
                  <span className="field-label">Sample type</span>
                  <select value={sampleType} onChange={(e) => setSampleType(Number(e.target.value))} data-testid="upload-sample-type">
                    {loaded.profile.sampleTypes.map((st, i) => (
                      <option key={`${st.type}:${st.unit}`} value={i}>
                        {st.type} ({st.unit})
                      </option>
                    ))}
                  </select>
                </label>
              ) : null}
              <label className="field">
                <span className="field-label">Compare with stored data (last hour)</span>
                <select
                  value={compareWith ? `${compareWith.service}\u0000${compareWith.type}` : ''}
                  onChange={(e) => {
                    const [service = '', type = ''] = e.target.value.split('\u0000');
                    setCompareWith(e.target.value ? { service, type } : null);
                  }}
                  data-testid="upload-compare"
                >
                  <option value="">(just view the file)</option>
                  {(servicesQuery.data ?? []).flatMap((s) => {
                    const ids = s.profileTypes.map((t) => t.id);
                    const labels = profileTypeLabels(ids);
                    return sortProfileTypes(ids).map((id) => (
                      <option key={`${s.serviceName}${id}`} value={`${s.serviceName}\u0000${id}`} title={id}>
                        {s.serviceName} · {labels.get(id)}
                      </option>
                    ));
                  })}
                </select>
              </label>
            </div>
            {storedQuery.error ? (
              <div className="state state-error" role="alert" data-testid="upload-compare-error">
                Could not load the stored data to compare with: {storedQuery.error.message}
              </div>
            ) : null}
            {diff ? (
              <FlameGraphView
                frames={diff.frames}
                unit={unit}
                focusPath={focus}
                onFocusPath={setFocus}
                search=""
                searchRegex={false}
                selectedFunction=""
                label="Stored data (baseline) against the file (comparison)"
                testId="upload-diff"
                colorOf={(f) => diffColor(diff.combined.leftTotal[f]!, diff.combined.rightTotal[f]!, diff.leftTicks, diff.rightTicks, 'relative')}
                hideLegend
              />
            ) : (
              <>
                <div className="panel-head">
                  <span className="muted" data-testid="upload-total" data-total={frames.totalValue}>
                    total {formatValue(frames.totalValue, unit)}
                  </span>
                  {flamegraph && tree ? (
                    <ExportMenu client={client} query={null} localTree={tree} fromMs={nowMs} untilMs={nowMs} profileTypeId={`file:${sampleTypeText}`} unit={unit} data={flamegraph} frames={frames} title={title} />
                  ) : null}
                  <ViewTabs view={view} onChange={setView} views={UPLOAD_VIEWS} />
                </div>
                <div className={`flame-layout view-${view}`}>
                  {view !== 'table' ? (
                    <FlameGraphView
                      frames={frames}
                      unit={unit}
                      focusPath={focus}
                      onFocusPath={setFocus}
                      search={search.text}
                      searchRegex={search.regex}
                      onSearch={(text, regex) => setSearch({ text, regex })}
                      selectedFunction={selectedFunction}
                      onSelectFunction={setSelectedFunction}
                      label={`Flame graph of ${loaded.fileName}`}
                      testId="upload-flamegraph"
                    />
                  ) : null}
                  {view === 'sandwich' ? (
                    sandwichFrames ? (
                      <div className="sandwich" data-testid="sandwich">
                        <h3>
                          {selectedFunction}{' '}
                          <span className="muted">
                            self {formatValue(sandwichFrames.self, unit)} · total {formatValue(sandwichFrames.total, unit)}
                          </span>
                        </h3>
                        <h4>Callers</h4>
                        <FlameGraphView frames={sandwichFrames.callers} unit={unit} label={`Callers of ${selectedFunction}`} focusPath={[]} search="" searchRegex={false} selectedFunction={selectedFunction} maxHeightCssPx={260} testId="sandwich-callers" />
                        <h4>Callees</h4>
                        <FlameGraphView frames={sandwichFrames.callees} unit={unit} label={`Callees of ${selectedFunction}`} focusPath={[]} search="" searchRegex={false} selectedFunction="" maxHeightCssPx={260} testId="sandwich-callees" />
                      </div>
                    ) : (
                      <Notice testId="sandwich-empty" title="Sandwich view">
                        <p>Click a frame in the flame graph (or a row of the top table) to see who calls that function and what it calls.</p>
                      </Notice>
                    )
                  ) : (
                    <TopTable
                      rows={topRows}
                      totalValue={frames.totalValue}
                      unit={unit}
                      caption="Top functions"
                      selectedFunction={selectedFunction}
                      onSelectFunction={setSelectedFunction}
                      search={search.text}
                      searchRegex={search.regex}
                    />
                  )}
                </div>
              </>
            )}
          </section>
        ) : null}
      </main>
    </div>
  );
}

const TIME_UNITS = new Set(['nanoseconds', 'microseconds', 'milliseconds', 'seconds']);

/** Time, then bytes, before counts (as the profile-type picker orders them): Go's CPU pprof opens on CPU time, not samples. */
export function preferredSampleType(profile: Profile): number {
  const time = profile.sampleTypes.findIndex((st) => TIME_UNITS.has(st.unit));
  if (time >= 0) return time;
  const bytes = profile.sampleTypes.findIndex((st) => st.unit === 'bytes');
  return bytes >= 0 ? bytes : 0;
}
