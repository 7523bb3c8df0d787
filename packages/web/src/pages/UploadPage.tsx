/**
 * /upload: view a profile file (pprof, folded, speedscope) in the browser without ingesting it, or
 * diff it against what the server holds. Decoding runs here with core's decoders; nothing is sent.
 */
import { useMemo, useState, type JSX } from 'react';
import {
  callTreeFromProfile,
  decodeCollapsed,
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
import { FlameGraphView } from '../components/FlameGraphView.js';
import { FlameIcon } from '../components/Icons.js';
import { useQuery } from '../hooks/useQuery.js';

interface Loaded {
  fileName: string;
  format: 'pprof' | 'folded' | 'speedscope' | 'flamebearer JSON';
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

  const open = async (file: File): Promise<void> => {
    setError(null);
    setLoaded(null);
    setCompareWith(null);
    setFocus([]);
    try {
      setLoaded(await decodeFile(file.name, new Uint8Array(await file.arrayBuffer())));
      setSampleType(0);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  const tree = useMemo(() => (loaded ? callTreeFromProfile(loaded.profile, Math.min(sampleType, loaded.profile.sampleTypes.length - 1)) : null), [loaded, sampleType]);
  const frames = useMemo(() => (tree ? decodeLevels(flameGraphFromTree(tree, 0).flamegraph) : null), [tree]);
  const unit = loaded?.profile.sampleTypes[sampleType]?.unit ?? '';

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
        <a className="btn btn-small" href="/pyroscope">
          Profiling page
        </a>
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
          Drop a pprof, folded, speedscope or flamebearer JSON file here, or{' '}
          <input type="file" data-testid="upload-input" onChange={(event) => event.target.files?.[0] && void open(event.target.files[0])} />
          <span className="muted"> (read in this browser; nothing is uploaded to the server)</span>
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
              <FlameGraphView frames={frames} unit={unit} focusPath={focus} onFocusPath={setFocus} search="" searchRegex={false} selectedFunction="" label={`Flame graph of ${loaded.fileName}`} testId="upload-flamegraph" />
            )}
          </section>
        ) : null}
      </main>
    </div>
  );
}
