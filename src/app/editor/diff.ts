/** The one replacement that turns `from` into `to`: offsets in `from` and the new text between them. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * The smallest single edit from `from` to `to` (common prefix and suffix kept), so applying an
 * external change (a preset, a share link, a one-click fix) leaves a cursor outside it where it was.
 * Null when the texts are equal.
 */
export function minimalEdit(from: string, to: string): TextEdit | null {
  if (from === to) return null;
  let start = 0;
  const max = Math.min(from.length, to.length);
  while (start < max && from.charCodeAt(start) === to.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && from.charCodeAt(from.length - 1 - tail) === to.charCodeAt(to.length - 1 - tail)) tail++;
  return { start, end: from.length - tail, text: to.slice(start, to.length - tail) };
}
