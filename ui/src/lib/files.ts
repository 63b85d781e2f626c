// Pure helpers of the Files tab: the diff shown before an edit is saved, the hex view of a
// binary file's start, where a link inside the container leads, and the words for a change.
import { diffLines } from 'diff';
import type { ChangeKind } from './api';

export interface DiffLine {
  op: 'same' | 'add' | 'del';
  text: string;
}

/** Line by line, what `after` changes in `before` (jsdiff's line diff). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const part of diffLines(before, after)) {
    const op = part.added ? 'add' : part.removed ? 'del' : 'same';
    const lines = part.value.endsWith('\n') ? part.value.slice(0, -1).split('\n') : part.value.split('\n');
    for (const text of lines) out.push({ op, text });
  }
  return out;
}

/** `od`-like rows of 16 bytes: offset, hex, and the printable ASCII (anything else is `.`). */
export function hexRows(base64: string): { offset: number; line: string }[] {
  const bin = atob(base64);
  const rows: { offset: number; line: string }[] = [];
  for (let off = 0; off < bin.length; off += 16) {
    const chunk = bin.slice(off, off + 16);
    const hex = Array.from(chunk, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (c) => {
      const b = c.charCodeAt(0);
      return b >= 0x20 && b < 0x7f ? c : '.';
    }).join('');
    rows.push({ offset: off, line: `${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}` });
  }
  return rows;
}

/**
 * Where a link in the folder `dirId` (a percent-encoded path) points, as a plain absolute
 * path inside the container: `..` is resolved by name and stops at the root, as the kernel
 * does inside the container's root. `null` for an empty target.
 */
export function resolveLink(dirId: string, target: string): string | null {
  if (!target) return null;
  const base = target.startsWith('/') ? [] : dirId.split('/').filter(Boolean).map(decodeURIComponent);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') base.pop();
    else base.push(part);
  }
  return '/' + base.join('/');
}

export function changeLabel(kind: ChangeKind): string {
  return kind === 'added' ? 'added' : kind === 'deleted' ? 'deleted' : 'modified';
}
