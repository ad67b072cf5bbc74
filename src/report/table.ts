/**
 * Markdown tables, as every report draws them.
 *
 * @module
 */

/** An empty cell. */
export const DASH = "–";

/** A table column: its header and each row's cell. */
export type Column<T> = readonly [header: string, cell: (row: T) => string];

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replaceAll("|", "\\|").replaceAll("\n", " ")).join(" | ")} |`;
}

/** A Markdown table: the first `textColumns` columns left-aligned, the rest right-aligned. */
export function table<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  textColumns = 1,
): string[] {
  const align = `|${":---|".repeat(textColumns)}${"---:|".repeat(columns.length - textColumns)}`;
  const cells = (r: T) => row(columns.map(([, cell]) => cell(r)));
  return [row(columns.map(([header]) => header)), align, ...rows.map(cells)];
}
