/**
 * The call tree view (Grafana Drilldown's "call tree", Pyroscope's tree table): the flame graph's
 * frames as an expandable table, one row per call path with its total and self. Built from the very
 * frames the flame graph draws, so every total here is the flame graph's.
 */
import { useMemo, useState, type JSX } from 'react';
import { formatPercent, formatValue, frameName, type FlameFrames } from '@cinder/core';

export interface CallTreeProps {
  frames: FlameFrames;
  unit: string;
  selectedFunction: string;
  onSelectFunction?: (name: string) => void;
}

/** Rows beyond this are not rendered (a person expands what they look at); the notice says so. */
const MAX_ROWS = 2000;
/** Expanded on open: the root and the heaviest path this deep, so the hot path is visible at once. */
const OPEN_DEPTH = 4;

interface ChildLists {
  start: Int32Array;
  children: Int32Array;
}

/** Children of every frame, heaviest first (CSR: `children.subarray(start[f], start[f + 1])`). */
function childLists(frames: FlameFrames): ChildLists {
  const start = new Int32Array(frames.count + 1);
  for (let i = 0; i < frames.count; i++) if (frames.parent[i]! >= 0) start[frames.parent[i]! + 1]!++;
  for (let i = 0; i < frames.count; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, frames.count);
  const children = new Int32Array(Math.max(0, start[frames.count]!));
  for (let i = 0; i < frames.count; i++) if (frames.parent[i]! >= 0) children[fill[frames.parent[i]!]!++] = i;
  for (let f = 0; f < frames.count; f++) {
    const list = children.subarray(start[f]!, start[f + 1]!);
    if (list.length > 1) list.sort((a, b) => frames.totalValues[b]! - frames.totalValues[a]! || a - b);
  }
  return { start, children };
}

export function CallTree(props: CallTreeProps): JSX.Element {
  const { frames, unit } = props;
  const lists = useMemo(() => childLists(frames), [frames]);
  const roots = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i < frames.count && frames.depth[i] === 0; i++) out.push(i);
    return out;
  }, [frames]);
  const initial = useMemo(() => {
    const open = new Set<number>(roots);
    let node = roots[0] ?? -1;
    for (let depth = 0; node >= 0 && depth < OPEN_DEPTH; depth++) {
      open.add(node);
      node = lists.start[node + 1]! > lists.start[node]! ? lists.children[lists.start[node]!]! : -1;
    }
    return open;
  }, [roots, lists]);
  const [expanded, setExpanded] = useState<{ frames: FlameFrames; open: Set<number> }>({ frames, open: initial });
  // A new profile (or filter) opens afresh rather than keeping indices that now mean other frames.
  const open = expanded.frames === frames ? expanded.open : initial;

  const rows = useMemo(() => {
    const out: number[] = [];
    const stack = [...roots].reverse();
    while (stack.length > 0 && out.length < MAX_ROWS) {
      const frame = stack.pop()!;
      out.push(frame);
      if (!open.has(frame)) continue;
      const list = lists.children.subarray(lists.start[frame]!, lists.start[frame + 1]!);
      for (let i = list.length - 1; i >= 0; i--) stack.push(list[i]!);
    }
    return out;
  }, [roots, open, lists]);

  const toggle = (frame: number): void => {
    const next = new Set(open);
    if (next.has(frame)) next.delete(frame);
    else next.add(frame);
    setExpanded({ frames, open: next });
  };
  const total = frames.totalValue;

  return (
    <div className="calltree" data-testid="calltree">
      <table className="calltree-table">
        <thead>
          <tr>
            <th scope="col">Call path</th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col" className="num">
              Total %
            </th>
            <th scope="col" className="num">
              Self
            </th>
            <th scope="col" className="num">
              Self %
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((frame) => {
            const hasChildren = lists.start[frame + 1]! > lists.start[frame]!;
            const isOpen = open.has(frame);
            const name = frameName(frames, frame);
            const depth = frames.depth[frame]!;
            return (
              <tr
                key={frame}
                data-testid="calltree-row"
                data-name={name}
                data-depth={depth}
                data-total={frames.totalValues[frame]}
                data-self={frames.selfValues[frame]}
                className={name === props.selectedFunction ? 'selected' : undefined}
                aria-expanded={hasChildren ? isOpen : undefined}
              >
                <td style={{ paddingLeft: 6 + depth * 14 }}>
                  {hasChildren ? (
                    <button type="button" className="calltree-toggle" aria-label={`${isOpen ? 'Collapse' : 'Expand'} ${name}`} data-testid="calltree-toggle" onClick={() => toggle(frame)}>
                      {isOpen ? '▾' : '▸'}
                    </button>
                  ) : (
                    <span className="calltree-toggle" aria-hidden="true" />
                  )}
                  <button type="button" className="linklike calltree-name" title={name} onClick={() => props.onSelectFunction?.(name)}>
                    {depth === 0 ? 'total' : name}
                  </button>
                </td>
                <td className="num">{formatValue(frames.totalValues[frame]!, unit)}</td>
                <td className="num">{formatPercent(total > 0 ? frames.totalValues[frame]! / total : 0)}</td>
                <td className="num">{formatValue(frames.selfValues[frame]!, unit)}</td>
                <td className="num">{formatPercent(total > 0 ? frames.selfValues[frame]! / total : 0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length >= MAX_ROWS ? <p className="hint">Showing the first {MAX_ROWS} rows; collapse a branch to see the rest.</p> : null}
    </div>
  );
}
