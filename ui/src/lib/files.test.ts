import { describe, expect, it } from 'vitest';
import { hexRows, lineDiff, resolveLink } from './files';
import { encodePath } from './api';

describe('files helpers', () => {
  it('diffs line by line', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toEqual([
      { op: 'same', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'add', text: 'B' },
      { op: 'same', text: 'c' },
    ]);
  });

  it('shows bytes as hex rows with printable ASCII only', () => {
    const rows = hexRows(btoa('\x7fELF\x00\x1b[2J'));
    expect(rows).toHaveLength(1);
    expect(rows[0].line).toContain('7f 45 4c 46 00 1b 5b 32 4a');
    expect(rows[0].line.endsWith('.ELF..[2J')).toBe(true);
  });

  it('resolves links inside the container, never above its root', () => {
    expect(resolveLink('/bin', '../usr/bin/busybox')).toBe('/usr/bin/busybox');
    expect(resolveLink('/a/b', '/etc/shadow')).toBe('/etc/shadow');
    expect(resolveLink('/a', '../../../../etc')).toBe('/etc');
    expect(resolveLink('/d%0Ax', 'f')).toBe('/d\nx/f');
    expect(resolveLink('/a', '')).toBeNull();
  });

  it('encodes typed paths as the backend reads them', () => {
    expect(encodePath('/etc/my file')).toBe('/etc/my%20file');
    expect(encodePath('usr/bin')).toBe('/usr/bin');
    expect(encodePath('/a%b')).toBe('/a%25b');
  });
});
