import { describe, expect, it } from 'vitest';
import { eventTime, matchesEvent } from './events';
import type { EngineEvent } from './api';

const ev = (over: Partial<EngineEvent> = {}): EngineEvent => ({
  timeNano: 0, kind: 'container', action: 'start', id: 'abcdef012345', name: 'web', attributes: [['com.example.team', 'blue'], ['name', 'web']], notable: null, ...over,
});
const none = { action: '', object: '', label: '', onlyNotable: false };

describe('event filters', () => {
  it('match action, object (name or ID prefix) and labels', () => {
    expect(matchesEvent(ev(), none)).toBe(true);
    expect(matchesEvent(ev(), { ...none, action: 'STA' })).toBe(true);
    expect(matchesEvent(ev(), { ...none, action: 'die' })).toBe(false);
    expect(matchesEvent(ev(), { ...none, object: 'we' })).toBe(true);
    expect(matchesEvent(ev(), { ...none, object: 'abcd' })).toBe(true);
    expect(matchesEvent(ev(), { ...none, object: 'cdef' })).toBe(false);
    expect(matchesEvent(ev(), { ...none, label: 'com.example.team' })).toBe(true);
    expect(matchesEvent(ev(), { ...none, label: 'com.example.team=blue' })).toBe(true);
    expect(matchesEvent(ev(), { ...none, label: 'com.example.team=red' })).toBe(false);
    expect(matchesEvent(ev(), { ...none, onlyNotable: true })).toBe(false);
    expect(matchesEvent(ev({ notable: 'exec' }), { ...none, onlyNotable: true })).toBe(true);
  });

  it('reads a time as a clock today, with the date otherwise', () => {
    const now = new Date(2026, 11, 3, 12, 0, 0);
    expect(eventTime(new Date(2026, 11, 3, 8, 5, 7, 42).getTime() * 1e6, now)).toBe('08:05:07.042');
    expect(eventTime(new Date(2026, 10, 30, 23, 1, 2).getTime() * 1e6, now)).toBe('2026-11-30 23:01:02');
  });
});
