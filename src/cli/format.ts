/**
 * Output rendering for the CLI (spec/tui-cli.md §3): an aligned box-drawing
 * grid, pretty JSON (an array of objects keyed by snake_case names), or CSV
 * whose header is the display labels and whose cells are the table's cells.
 */
export type Format = 'table' | 'json' | 'csv';
export const FORMATS: readonly Format[] = ['table', 'json', 'csv'];

export interface ColumnSpec<T> {
  label: string;
  value: (row: T) => unknown;
}

/** The cell text shared by table and CSV: NULL empty, booleans yes/no. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

export function renderTable<T>(rows: T[], columns: ColumnSpec<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r)).replaceAll('\n', ' ')));
  const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((r) => r[i]!.length)));
  const line = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const row = (values: string[]) => '│' + values.map((v, i) => ` ${v.padEnd(widths[i]!)} `).join('│') + '│';
  return [
    line('┌', '┬', '┐'),
    row(columns.map((c) => c.label)),
    line('├', '┼', '┤'),
    ...cells.map(row),
    line('└', '┴', '┘'),
  ].join('\n');
}

/** RFC 4180 quoting: only a cell holding `,`, `"` or a newline is quoted; inner quotes doubled. */
export function csvCell(text: string, alwaysQuote = false): string {
  return alwaysQuote || /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function renderCsv<T>(rows: T[], columns: ColumnSpec<T>[]): string {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(cell(c.value(r)))).join(','));
  return lines.join('\n');
}

/** Parses CSV as renderCsv writes it (for tests and scripts reading it back). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (ch !== '\r') field += ch;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * Renders rows in the format asked for. JSON gets `json(row)` (the spec's keys
 * and raw values), table and CSV the columns' display cells.
 */
export function render<T>(format: Format, rows: T[], columns: ColumnSpec<T>[], json: (row: T) => unknown = (r) => r): string {
  if (format === 'json') return renderJson(rows.map(json));
  if (format === 'csv') return renderCsv(rows, columns);
  return renderTable(rows, columns);
}

/** `<n> B` below 1024, else one decimal with KB/MB/GB, base 1024. */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${value.toFixed(1)} ${units[unit]}`;
}
