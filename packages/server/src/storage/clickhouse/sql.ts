/**
 * The few pieces of ClickHouse's text formats Cinder writes and reads itself. Everything crosses
 * the HTTP interface as TabSeparated: it exists unchanged from 18.16 to current releases, needs no
 * query parameters (18.16 has none), and 64-bit integers stay exact as decimal text (read as
 * strings, turned into BigInt), where JSON would give numbers or quoted strings depending on
 * settings.
 */

/** TabSeparated escaping of one field (the backslash escapes ClickHouse reads and writes). */
export function tsvField(value: string): string {
  return /[\\\t\n\r\0]/.test(value) ? value.replace(/[\\\t\n\r\0]/g, escapeChar) : value;
}

function escapeChar(char: string): string {
  switch (char) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\'':
      return "\\'";
    default:
      return '\\0';
  }
}

/** A string literal for SQL text and for values inside arrays: single quotes, backslash escapes. */
export function sqlString(value: string): string {
  return `'${value.replace(/[\\\t\n\r\0']/g, escapeChar)}'`;
}

/**
 * `['a','b']`: an Array(String) field in TabSeparated. The quoted form is read as is (no second
 * TSV escaping layer); its escapes leave no raw tab or newline in the field.
 */
export function tsvStringArray(values: readonly string[]): string {
  return `[${values.map(sqlString).join(',')}]`;
}

const UNESCAPES: Record<string, string> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', '0': '\0', a: '\x07', v: '\v', '\\': '\\', "'": "'", '"': '"', '/': '/' };

/** Undoes TabSeparated escaping of one field. */
export function unescapeTsv(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/gs, (_, char: string) => UNESCAPES[char] ?? char);
}

/** Rows of a TabSeparated answer (fields still escaped: unescape only the string columns). */
export function tsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    rows.push(text.slice(start, end).split('\t'));
    start = end + 1;
  }
  return rows;
}

/** `[1,2,3]` (Array(UInt64) in TabSeparated) → the ids as decimal strings (no BigInt per element: merges parse millions). */
export function parseIdArray(field: string): string[] {
  if (field.length <= 2) return [];
  return field.slice(1, -1).split(',');
}

/** A UTC day as ClickHouse's Date text, 'YYYY-MM-DD'. */
export function dayOf(timeMs: number): string {
  return new Date(Math.floor(timeMs / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
}

/** Integer ms for SQL text (never a float or exponent). */
export function ms(value: number): string {
  return String(Math.floor(value));
}
