import { describe, expect, it } from 'vitest';
import { LogBuffer, splitMatches } from './logbuffer';
import type { LogLine } from './api';

const line = (text: string, stream: LogLine['stream'] = 'stdout'): LogLine => ({ stream, ts: null, text, source: null });

describe('LogBuffer', () => {
  it('stays bounded, dropping the oldest lines in chunks', () => {
    const b = new LogBuffer(100);
    for (let i = 0; i < 1000; i++) b.push([line(`line ${i}`)]);
    expect(b.rows.length).toBeLessThanOrEqual(100);
    expect(b.rows[b.rows.length - 1].lower).toBe('line 999');
    expect(b.dropped + b.rows.length).toBe(1000);
  });
  it('keeps colours per stream across lines', () => {
    const b = new LogBuffer();
    b.push([line('\u001b[31mred'), line('plain', 'stderr'), line('still red')]);
    expect(b.rows[2].segments[0].fg).toBe('#cd3131');
    expect(b.rows[1].segments[0].fg).toBeUndefined();
  });
});

describe('splitMatches', () => {
  it('marks every case-insensitive match', () => {
    expect(splitMatches('Error: an error', 'error')).toEqual([
      { text: 'Error', hit: true },
      { text: ': an ', hit: false },
      { text: 'error', hit: true },
    ]);
    expect(splitMatches('abc', '')).toEqual([{ text: 'abc', hit: false }]);
  });
});
