/** Output rendering for the CLI: an aligned box-drawing grid, or pretty JSON. */
export type Format = 'table' | 'json';

export interface ColumnSpec<T> {
  label: string;
  value: (row: T) => unknown;
}

function cell(value: unknown): string {
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

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
