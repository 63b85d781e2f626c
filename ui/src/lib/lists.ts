// The live lists, as pure functions: the reducer that applies the backend's events, the filter
// box's matcher and the small derivations the tables show.
import type { ContainerSummary, EngineStatus, ImageSummary, ListEvent } from './api';

export interface Lists {
  status: EngineStatus | null;
  containers: ContainerSummary[];
  images: ImageSummary[];
}

export const emptyLists = (): Lists => ({ status: null, containers: [], images: [] });

const byCreatedDesc = <T extends { created: number; id: string }>(a: T, b: T) =>
  b.created - a.created || a.id.localeCompare(b.id);

function upsert<T extends { id: string; created: number }>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i === -1) return [...list, item].sort(byCreatedDesc);
  const next = list.slice();
  next[i] = item;
  return next;
}

/** Applies one event from the backend; returns a new Lists (the old one is not touched). */
export function applyEvent(s: Lists, ev: ListEvent): Lists {
  switch (ev.event) {
    case 'snapshot':
      return { status: ev.data.status, containers: ev.data.containers, images: ev.data.images };
    case 'status':
      return { ...s, status: ev.data };
    case 'containerChanged':
      return { ...s, containers: upsert(s.containers, ev.data) };
    case 'containerRemoved':
      return { ...s, containers: s.containers.filter((c) => c.id !== ev.data.id) };
    case 'imageChanged':
      return { ...s, images: upsert(s.images, ev.data) };
    case 'imageRemoved':
      return { ...s, images: s.images.filter((i) => i.id !== ev.data.id) };
  }
}

const hexOnly = /^[0-9a-f]+$/;

/** Does an ID match what was typed? A prefix of the hex ID, as on the docker CLI. */
export function idMatches(id: string, q: string): boolean {
  const hex = id.startsWith('sha256:') ? id.slice(7) : id;
  const query = q.startsWith('sha256:') ? q.slice(7) : q;
  return query.length > 0 && hexOnly.test(query) && hex.startsWith(query);
}

/** The filter box: names, images and ID prefixes (4 characters are enough). */
export function containerMatches(c: ContainerSummary, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return c.name.toLowerCase().includes(q) || c.image.toLowerCase().includes(q) || idMatches(c.id, q);
}

export function imageMatches(i: ImageSummary, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return i.repoTags.some((t) => t.toLowerCase().includes(q)) || idMatches(i.id, q) || (i.dangling && '<none>'.includes(q));
}

/** How many containers (running or not) use each image ID. */
export function usage(containers: ContainerSummary[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of containers) m.set(c.imageId, (m.get(c.imageId) ?? 0) + 1);
  return m;
}
