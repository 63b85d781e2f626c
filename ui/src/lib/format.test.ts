import { describe, expect, it } from 'vitest';
import { formatBytes, formatPort, relativeTime } from './format';

describe('format', () => {
  it('formats ports as the docker CLI does', () => {
    expect(formatPort({ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' })).toBe('0.0.0.0:8080→80/tcp');
    expect(formatPort({ hostIp: '::', hostPort: 8080, containerPort: 80, protocol: 'tcp' })).toBe('[::]:8080→80/tcp');
    expect(formatPort({ hostIp: null, hostPort: null, containerPort: 53, protocol: 'udp' })).toBe('53/udp');
  });
  it('formats sizes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1_234_567)).toBe('1.23 MB');
    expect(formatBytes(987_000_000)).toBe('987 MB');
  });
  it('formats relative times', () => {
    const now = 1_000_000 * 1000;
    expect(relativeTime(1_000_000, now)).toBe('just now');
    expect(relativeTime(1_000_000 - 120, now)).toBe('2 minutes ago');
    expect(relativeTime(1_000_000 - 3 * 3600, now)).toBe('3 hours ago');
    expect(relativeTime(0, now)).toBe('—');
  });
});
