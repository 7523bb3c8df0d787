// @vitest-environment jsdom
import { act, type JSX } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { useViewState } from '../src/hooks/useViewState.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * `defer`: the render for a URL change runs at transition priority; the input's own task renders the
 * page with the previous state (the same object, so a memoised explorer skips it).
 */
let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
});

function mount(): { seen: { urlFocus: string; stateFocus: string }[]; update: ReturnType<typeof useViewState>[1]; states: ReturnType<typeof useViewState>[0][] } {
  window.history.replaceState(null, '', '/explore?service=a');
  const out = { seen: [] as { urlFocus: string; stateFocus: string }[], update: null as unknown as ReturnType<typeof useViewState>[1], states: [] as ReturnType<typeof useViewState>[0][] };
  function Probe(): JSX.Element | null {
    const [state, update] = useViewState();
    out.update = update;
    out.states.push(state);
    out.seen.push({ urlFocus: new URLSearchParams(window.location.search).get('focus') ?? '', stateFocus: state.focus.join(';') });
    return null;
  }
  root = createRoot(document.createElement('div'));
  act(() => root!.render(<Probe />));
  return out;
}

describe('useViewState defer', () => {
  it('renders a deferred change first with the previous state object, then with the new one', () => {
    const probe = mount();
    const before = probe.states[probe.states.length - 1]!;
    act(() => probe.update({ focus: ['main', 'x'] }, { defer: true }));
    const lagging = probe.seen.findIndex((s) => s.urlFocus === 'main;x' && s.stateFocus === '');
    expect(lagging).toBeGreaterThan(0);
    expect(probe.states[lagging]).toBe(before);
    expect(probe.seen[probe.seen.length - 1]).toEqual({ urlFocus: 'main;x', stateFocus: 'main;x' });
  });

  it('renders any other change at once', () => {
    const probe = mount();
    act(() => probe.update({ focus: ['main', 'y'] }));
    expect(probe.seen.some((s) => s.urlFocus === 'main;y' && s.stateFocus === '')).toBe(false);
    expect(probe.seen[probe.seen.length - 1]).toEqual({ urlFocus: 'main;y', stateFocus: 'main;y' });
  });
});
