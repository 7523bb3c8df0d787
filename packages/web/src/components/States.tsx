/** The troubleshooting states people must be able to read (spec: "Troubleshooting states"). */
import type { JSX, ReactNode } from 'react';
import type { ApiError } from '../api/client.js';
import { AlertIcon } from './Icons.js';

export function Spinner({ label }: { label: string }): JSX.Element {
  return (
    <div className="spinner-row" role="status" aria-live="polite" data-testid="slow-query-spinner">
      <span className="spinner animate-spin" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorState({ error, what }: { error: ApiError; what: string }): JSX.Element {
  if (error.kind === 'unreachable') {
    return (
      <div className="state state-error" role="alert" data-testid="server-unreachable">
        <AlertIcon />
        <div>
          <strong>Cannot reach the Cinder server.</strong>
          <p>
            {what} could not be loaded: {error.message} Check that the server is running and that this page can reach it, then press
            Refresh.
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="state state-error" role="alert" data-testid="query-failed">
      <AlertIcon />
      <div>
        <strong>{what} failed.</strong>
        <p>
          The server said: <q>{error.message}</q>
          {error.code ? <code className="error-code"> ({error.code})</code> : null}
        </p>
      </div>
    </div>
  );
}

export function Notice({ testId, title, children }: { testId: string; title: string; children: ReactNode }): JSX.Element {
  return (
    <div className="state" data-testid={testId}>
      <strong>{title}</strong>
      {children}
    </div>
  );
}
