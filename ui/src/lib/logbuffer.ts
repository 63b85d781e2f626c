// A bounded buffer of log lines: memory stays flat however long a container talks.
import type { LogLine, LogStream } from './api';
import { parseAnsi, type Segment } from './ansi';

export interface Row {
  /** A running number, stable while the row is in the buffer. */
  n: number;
  stream: LogStream;
  /** The service a project's line came from. */
  source: string | null;
  ts: string | null;
  segments: Segment[];
  /** Lower-case plain text, for search. */
  lower: string;
}

export class LogBuffer {
  rows: Row[] = [];
  dropped = 0;
  private next = 0;
  // A colour left open carries to the next line of the same stream (of the same service).
  private carry = new Map<string, Segment | object>();

  constructor(readonly max = 20_000) {}

  push(lines: LogLine[]) {
    for (const l of lines) {
      const key = `${l.source ?? ''}\u0000${l.stream}`;
      const { segments, style } = parseAnsi(l.text, this.carry.get(key) ?? {});
      this.carry.set(key, style);
      this.rows.push({
        n: this.next++,
        stream: l.stream,
        source: l.source ?? null,
        ts: l.ts,
        segments,
        lower: segments.map((s) => s.text).join('').toLowerCase(),
      });
    }
    // Drop in chunks, so a full buffer does not shift 20,000 rows on every batch.
    if (this.rows.length > this.max) {
      const excess = this.rows.length - this.max + Math.floor(this.max / 10);
      this.rows.splice(0, excess);
      this.dropped += excess;
    }
  }

  clear() {
    this.rows = [];
    this.dropped = 0;
    this.carry.clear();
  }
}

/** Splits text around case-insensitive matches of `q` for highlighting. */
export function splitMatches(text: string, q: string): { text: string; hit: boolean }[] {
  if (!q) return [{ text, hit: false }];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  const out: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, i + needle.length)) {
    if (i > at) out.push({ text: text.slice(at, i), hit: false });
    out.push({ text: text.slice(i, i + needle.length), hit: true });
    at = i + needle.length;
  }
  if (at < text.length) out.push({ text: text.slice(at), hit: false });
  return out;
}
