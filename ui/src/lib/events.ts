// Pure helpers of the events timeline: which rows a filter keeps, and how a time reads.
import type { EngineEvent } from './api';

export const KINDS = ['container', 'image', 'volume', 'network', 'daemon'] as const;
export type Kind = (typeof KINDS)[number];

/** How far back the timeline starts (the engine keeps only its last 256 events). */
export const HISTORY_CHOICES = [
  { value: '0', label: 'from now on' },
  { value: '600', label: 'last 10 minutes' },
  { value: '3600', label: 'last hour' },
  { value: '86400', label: 'last 24 hours' },
];

export interface EventFilter {
  action: string;
  object: string;
  /** `key` or `key=value`. */
  label: string;
  onlyNotable: boolean;
}

/** Whether a row passes the filters typed in the window (each a case-insensitive substring). */
export function matchesEvent(e: EngineEvent, f: EventFilter): boolean {
  if (f.onlyNotable && e.notable === null) return false;
  const action = f.action.trim().toLowerCase();
  if (action && !e.action.toLowerCase().includes(action)) return false;
  const object = f.object.trim().toLowerCase();
  if (object && !e.name.toLowerCase().includes(object) && !e.id.toLowerCase().startsWith(object)) return false;
  const label = f.label.trim();
  if (label) {
    const [k, ...rest] = label.split('=');
    const v = rest.join('=');
    const hit = e.attributes.some(([ak, av]) => ak === k && (rest.length === 0 || av === v));
    if (!hit) return false;
  }
  return true;
}

/** `HH:MM:SS.mmm` today, else `YYYY-MM-DD HH:MM:SS`, in local time. */
export function eventTime(timeNano: number, now: Date = new Date()): string {
  const d = new Date(Math.round(timeNano / 1e6));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return `${clock}.${pad(d.getMilliseconds(), 3)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}
