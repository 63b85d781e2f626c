// Renders what a container wrote, safely: SGR colour sequences become styled segments; every
// other escape sequence (cursor moves, OSC titles and clipboard writes, …) is dropped; other
// control characters become U+FFFD. The result is rendered as text — never as HTML.

import { neutralise } from './text';

export interface Segment {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

const BASIC = [
  '#1e1e1e', '#cd3131', '#0dbc79', '#b58900', '#2472c8', '#bc3fbc', '#11a8cd', '#a0a0a0',
  '#666666', '#f14c4c', '#23d18b', '#d7ba7d', '#3b8eea', '#d670d6', '#29b8db', '#e5e5e5',
];

function color256(n: number): string | undefined {
  if (n < 0 || n > 255) return undefined;
  if (n < 16) return BASIC[n];
  if (n < 232) {
    const v = n - 16;
    const c = (x: number) => (x === 0 ? 0 : 55 + x * 40);
    return `rgb(${c(Math.floor(v / 36))}, ${c(Math.floor(v / 6) % 6)}, ${c(v % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g}, ${g}, ${g})`;
}

type Style = Omit<Segment, 'text'>;

function applySgr(params: number[], s: Style): Style {
  const st = { ...s };
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) {
      for (const k of Object.keys(st)) delete (st as Record<string, unknown>)[k];
    } else if (p === 1) st.bold = true;
    else if (p === 2) st.dim = true;
    else if (p === 3) st.italic = true;
    else if (p === 4) st.underline = true;
    else if (p === 22) st.bold = st.dim = false;
    else if (p === 23) st.italic = false;
    else if (p === 24) st.underline = false;
    else if (p >= 30 && p <= 37) st.fg = BASIC[p - 30];
    else if (p >= 90 && p <= 97) st.fg = BASIC[p - 90 + 8];
    else if (p === 39) delete st.fg;
    else if (p >= 40 && p <= 47) st.bg = BASIC[p - 40];
    else if (p >= 100 && p <= 107) st.bg = BASIC[p - 100 + 8];
    else if (p === 49) delete st.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5) {
        const c = color256(params[i + 2] ?? -1);
        if (c) st[key] = c;
        i += 2;
      } else if (params[i + 1] === 2) {
        const [r, g, b] = [params[i + 2], params[i + 3], params[i + 4]].map((x) => Math.max(0, Math.min(255, x ?? 0)));
        st[key] = `rgb(${r}, ${g}, ${b})`;
        i += 4;
      }
    }
  }
  return st;
}


/** Splits a line into styled segments; `carry` is the style left open by the previous line. */
export function parseAnsi(line: string, carry: Style = {}): { segments: Segment[]; style: Style } {
  const segments: Segment[] = [];
  let style = carry;
  let buf = '';
  const flush = () => {
    if (buf) segments.push({ text: neutralise(buf, { keepTabs: true }), ...style });
    buf = '';
  };
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 0x1b) {
      const next = line[i + 1];
      if (next === '[') {
        // CSI: parameters, intermediates, one final byte.
        let j = i + 2;
        while (j < line.length && /[0-9;:?<=>]/.test(line[j])) j++;
        while (j < line.length && /[ -/]/.test(line[j])) j++;
        const final = line[j];
        if (final === 'm') {
          flush();
          const params = line.slice(i + 2, j).split(/[;:]/).filter((x) => x !== '').map(Number).filter(Number.isFinite);
          style = applySgr(params, style);
        }
        i = j + 1;
        continue;
      }
      if (next === ']' || next === 'P' || next === '_' || next === '^' || next === 'X') {
        // OSC / DCS / APC / PM / SOS: swallowed up to BEL or ST (this is where clipboard writes hide).
        let j = i + 2;
        while (j < line.length && line.charCodeAt(j) !== 0x07 && !(line[j] === '\u001b' && line[j + 1] === '\\')) j++;
        i = line.charCodeAt(j) === 0x07 ? j + 1 : j + 2;
        continue;
      }
      i += 2; // a two-character escape
      continue;
    }
    if (c === 0x9b) {
      // 8-bit CSI: drop it and its parameters.
      let j = i + 1;
      while (j < line.length && /[0-9;:?<=> -/]/.test(line[j])) j++;
      i = j + 1;
      continue;
    }
    buf += line[i];
    i++;
  }
  flush();
  return { segments, style };
}

/** Plain text of a line, escape sequences removed (for search and copy). */
export function plainText(line: string): string {
  return parseAnsi(line).segments.map((s) => s.text).join('');
}
