/** The app's page links (the header pages share), for pages that have no controls of their own. */
import type { JSX } from 'react';
import { navigate } from '../router.js';

const LINKS: ReadonlyArray<[href: string, label: string]> = [
  ['/pyroscope', 'Profiling'],
  ['/explore', 'Explore'],
  ['/compare', 'Compare'],
  ['/upload', 'Open a file'],
  ['/snapshots', 'Snapshots'],
  ['/rules', 'Rules'],
];

/**
 * `carry`: per page path, the link to use instead of the bare path, for a page whose selection should
 * travel along (Explore's "Compare" keeps its service, type and range), with an optional test id.
 */
export function AppNav({ current, carry = {} }: { current?: string; carry?: Readonly<Record<string, { href: string; testId?: string }>> }): JSX.Element {
  return (
    <nav className="app-nav" aria-label="Cinder pages" data-testid="app-nav">
      {LINKS.map(([page, label]) => {
        const href = carry[page]?.href ?? page;
        return (
          <a
            key={page}
            className={`btn btn-small${current === page ? ' active' : ''}`}
            href={href}
            data-testid={carry[page]?.testId}
            aria-current={current === page ? 'page' : undefined}
            onClick={(event) => {
              if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
              event.preventDefault();
              navigate(href);
            }}
          >
            {label}
          </a>
        );
      })}
    </nav>
  );
}
