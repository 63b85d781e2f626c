import { describe, expect, it } from 'vitest';
import { neutralise, neutraliseDeep } from './text';

describe('neutralise', () => {
  it('replaces controls and direction marks, keeps the rest', () => {
    expect(neutralise('web-1 ünïcode ✓')).toBe('web-1 ünïcode ✓');
    expect(neutralise('evil\u202Egpj.exe')).toBe('evil\uFFFDgpj.exe');
    expect(neutralise('a\u001b[2Jb\u0007\u009b\u200e\u2067')).toBe('a\uFFFD[2Jb\uFFFD\uFFFD\uFFFD\uFFFD');
    expect(neutralise('a\tb\nc', { keepTabs: true })).toBe('a\tb\uFFFDc');
  });

  it('reaches every string of a value, keys included, and leaves bytes alone', () => {
    const bytes = new ArrayBuffer(4);
    const out = neutraliseDeep({ list: ['x\u202E'], n: 1, nil: null, bytes, nested: { 'k\u202E': { v: 'y\u0007' } } });
    expect(out).toEqual({ list: ['x\uFFFD'], n: 1, nil: null, bytes, nested: { 'k\uFFFD': { v: 'y\uFFFD' } } });
    expect(out.bytes).toBe(bytes);
  });

  it('keeps both of two keys that differ only in what was neutralised', () => {
    expect(Object.keys(neutraliseDeep({ 'a\u202E': 1, 'a\u202D': 2 }))).toEqual(['a\uFFFD', 'a\uFFFD (2)']);
  });
});
