/**
 * The flame graph's frame-filter bar: the active filters as removable chips and a menu to add one
 * (hide by regex, the language's "hide runtime and standard library" preset, "my code only" by
 * package prefix, collapse recursion). The server applies them (docs/api.md "Frame filters"); this
 * component only edits the list, which lives in the URL as `frameFilter=`.
 */
import { useMemo, useState, type JSX } from 'react';
import { detectFrameLanguage, FRAME_FILTER_PRESETS, parseFrameFilter, type FrameFilter, type FramePresetId } from '@cinder/core';

export interface FrameFiltersProps {
  filters: readonly string[];
  onChange: (filters: string[]) => void;
  /** Frame names of the unfiltered view, to guess the language for the preset offered first. */
  names: readonly string[];
}

/** How a filter reads on its chip. */
export function describeFrameFilter(text: string): string {
  let filter: FrameFilter;
  try {
    filter = parseFrameFilter(text);
  } catch {
    return text;
  }
  switch (filter.kind) {
    case 'hide':
    case 'focus':
    case 'show-from':
      return `${filter.kind === 'show-from' ? 'show from' : filter.kind} ${filter.match.kind === 're' ? `/${filter.match.value}/` : filter.match.value}`;
    case 'collapse-recursion':
      return 'collapse recursion';
    case 'preset':
      return `hide ${FRAME_FILTER_PRESETS[filter.preset].language} runtime + std`;
    case 'my-code':
      return `my code: ${filter.prefixes.join(', ')}`;
  }
}

/** Checks a filter the way the server will, so a typo is caught before a round trip. */
function check(text: string): string | null {
  try {
    parseFrameFilter(text);
    return null;
  } catch (error) {
    // The server's message ends with the list of accepted forms; the first sentence is what matters here.
    return (error as Error).message.split('. Use ')[0] ?? String(error);
  }
}

export function FrameFilters(props: FrameFiltersProps): JSX.Element {
  const [open, setOpen] = useState(false);
  const [hidePattern, setHidePattern] = useState('');
  const [prefix, setPrefix] = useState('');
  const [error, setError] = useState<string | null>(null);
  const detected = useMemo(() => detectFrameLanguage(props.names), [props.names]);
  const presetIds = Object.keys(FRAME_FILTER_PRESETS) as FramePresetId[];
  const [preset, setPreset] = useState<FramePresetId | ''>('');
  const chosenPreset: FramePresetId = preset || detected || 'go-runtime';
  const collapse = props.filters.includes('collapse-recursion');

  const add = (text: string): boolean => {
    const problem = check(text);
    setError(problem);
    if (problem) return false;
    if (!props.filters.includes(text)) props.onChange([...props.filters, text]);
    return true;
  };

  return (
    <div className="frame-filters" data-testid="frame-filters">
      <button type="button" className="btn btn-small" aria-expanded={open} data-testid="frame-filters-toggle" onClick={() => setOpen(!open)}>
        Filters{props.filters.length > 0 ? ` (${props.filters.length})` : ''}
      </button>
      {props.filters.map((filter) => (
        <span key={filter} className="chip" data-testid="frame-filter-chip" data-filter={filter} title={filter}>
          {describeFrameFilter(filter)}
          <button type="button" className="chip-remove" aria-label={`Remove filter ${filter}`} onClick={() => props.onChange(props.filters.filter((f) => f !== filter))}>
            ×
          </button>
        </span>
      ))}
      {open ? (
        <div className="frame-filters-menu" data-testid="frame-filters-menu">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (hidePattern !== '' && add(`hide:re:${hidePattern}`)) setHidePattern('');
            }}
          >
            <label>
              Hide frames matching (RE2){' '}
              <input value={hidePattern} placeholder="^runtime\." onChange={(event) => setHidePattern(event.target.value)} data-testid="frame-filter-hide-input" />
            </label>
            <button type="submit" className="btn btn-small" data-testid="frame-filter-hide-add">
              Hide
            </button>
          </form>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              add(`preset:${chosenPreset}`);
            }}
          >
            <label>
              Preset{' '}
              <select value={chosenPreset} onChange={(event) => setPreset(event.target.value as FramePresetId)} data-testid="frame-filter-preset">
                {presetIds.map((id) => (
                  <option key={id} value={id}>
                    {FRAME_FILTER_PRESETS[id].label}
                    {id === detected ? ' (detected)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="btn btn-small" data-testid="frame-filter-preset-add">
              Apply
            </button>
          </form>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              const prefixes = prefix
                .split(',')
                .map((p) => p.trim())
                .filter(Boolean);
              // One my-code filter: two would hide each other's frames.
              const others = props.filters.filter((f) => !f.startsWith('my-code:'));
              const text = `my-code:${prefixes.join(',')}`;
              const problem = check(text);
              setError(problem);
              if (!problem) props.onChange([...others, text]);
            }}
          >
            <label>
              My code only: package prefix{' '}
              <input value={prefix} placeholder="github.com/acme/" onChange={(event) => setPrefix(event.target.value)} data-testid="frame-filter-mycode-input" />
            </label>
            <button type="submit" className="btn btn-small" data-testid="frame-filter-mycode-add">
              Keep only
            </button>
          </form>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={collapse}
              data-testid="frame-filter-collapse"
              onChange={(event) => props.onChange(event.target.checked ? [...props.filters, 'collapse-recursion'] : props.filters.filter((f) => f !== 'collapse-recursion'))}
            />{' '}
            Collapse recursion
          </label>
          {props.filters.length > 0 ? (
            <button type="button" className="btn btn-small" data-testid="frame-filters-clear" onClick={() => props.onChange([])}>
              Clear filters
            </button>
          ) : null}
          <p className="hint">Hide and presets keep the total (a hidden frame’s time goes to its caller); focus keeps only stacks through the frame, so the total becomes that frame’s.</p>
          {error ? (
            <p className="error-text" role="alert" data-testid="frame-filter-error">
              {error}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
