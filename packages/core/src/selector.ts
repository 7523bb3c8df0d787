/**
 * Prometheus-style label selectors: `{service_name="x", env=~"prod.*", region!="eu", host!~"a|b"}`.
 * Regexes are fully anchored (as in Prometheus/RE2).
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** An AND of matchers; empty = match everything. */
export type Selector = readonly Matcher[];
