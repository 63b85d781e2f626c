// The live lists, as pure functions: the reducer that applies the backend's events, the filter
// box's matcher and the small derivations the tables show.
import type { ContainerSummary, EngineStatus, ImageSummary, ListEvent, NetworkSummary, VolumeSummary } from './api';

export interface Lists {
  status: EngineStatus | null;
  containers: ContainerSummary[];
  images: ImageSummary[];
  volumes: VolumeSummary[];
  networks: NetworkSummary[];
}

export const emptyLists = (): Lists => ({ status: null, containers: [], images: [], volumes: [], networks: [] });

const byCreatedDesc = <T extends { created: number; id: string }>(a: T, b: T) =>
  b.created - a.created || a.id.localeCompare(b.id);

function upsert<T extends { id: string; created: number }>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i === -1) return [...list, item].sort(byCreatedDesc);
  const next = list.slice();
  next[i] = item;
  return next;
}

/** Inserts or replaces by a key, keeping the list sorted by name. */
function upsertByName<T extends { name: string }>(list: T[], item: T, key: (x: T) => string): T[] {
  const i = list.findIndex((x) => key(x) === key(item));
  const next = i === -1 ? [...list, item] : list.slice();
  if (i !== -1) next[i] = item;
  return i === -1 ? next.sort((a, b) => a.name.localeCompare(b.name)) : next;
}

/** Applies one event from the backend; returns a new Lists (the old one is not touched). */
export function applyEvent(s: Lists, ev: ListEvent): Lists {
  switch (ev.event) {
    case 'snapshot':
      return { status: ev.data.status, containers: ev.data.containers, images: ev.data.images, volumes: ev.data.volumes, networks: ev.data.networks };
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
    case 'volumeChanged':
      return { ...s, volumes: upsertByName(s.volumes, ev.data, (v) => v.name) };
    case 'volumeRemoved':
      return { ...s, volumes: s.volumes.filter((v) => v.name !== ev.data.name) };
    case 'networkChanged':
      return { ...s, networks: upsertByName(s.networks, ev.data, (n) => n.id) };
    case 'networkRemoved':
      return { ...s, networks: s.networks.filter((n) => n.id !== ev.data.id) };
  }
}

const hexOnly = /^[0-9a-f]+$/;

/** Does an ID match what was typed? A prefix of the hex ID, as on the docker CLI. */
export function idMatches(id: string, q: string): boolean {
  const hex = id.startsWith('sha256:') ? id.slice(7) : id;
  const query = q.startsWith('sha256:') ? q.slice(7) : q;
  return query.length > 0 && hexOnly.test(query) && hex.startsWith(query);
}

/** The filter box: names, images, ID prefixes (4 characters are enough), Compose projects and services. */
export function containerMatches(c: ContainerSummary, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return (
    c.name.toLowerCase().includes(q) ||
    c.image.toLowerCase().includes(q) ||
    idMatches(c.id, q) ||
    (c.compose != null && (c.compose.project.toLowerCase().includes(q) || c.compose.service.toLowerCase().includes(q)))
  );
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

/** A container that mounts a volume, and how. */
export interface VolumeUse {
  container: ContainerSummary;
  destination: string;
  readOnly: boolean;
}

/** The containers (running or not) that mount the volume `name`: running ones first. */
export function volumeUsers(name: string, containers: ContainerSummary[]): VolumeUse[] {
  const out: VolumeUse[] = [];
  for (const c of containers) for (const m of c.mounts) if (m.name === name) out.push({ container: c, destination: m.destination, readOnly: !m.rw });
  return out.sort((a, b) => Number(b.container.state === 'running') - Number(a.container.state === 'running') || a.container.name.localeCompare(b.container.name));
}

/** How many containers use each volume, by name. */
export function volumeUsage(containers: ContainerSummary[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of containers) for (const name of new Set(c.mounts.map((x) => x.name).filter((n): n is string => !!n))) m.set(name, (m.get(name) ?? 0) + 1);
  return m;
}

/** The containers on a network, with their endpoint on it. */
export function networkUsers(n: NetworkSummary, containers: ContainerSummary[]) {
  const out: { container: ContainerSummary; ipv4: string; ipv6: string }[] = [];
  for (const c of containers) {
    const e = c.networks.find((x) => x.networkId === n.id || (!x.networkId && x.network === n.name));
    if (e) out.push({ container: c, ipv4: e.ipv4, ipv6: e.ipv6 });
  }
  return out.sort((a, b) => a.container.name.localeCompare(b.container.name));
}

export function volumeMatches(v: VolumeSummary, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return v.name.toLowerCase().includes(q) || v.driver.toLowerCase().includes(q) || v.labels.some((l) => `${l.key}=${l.value}`.toLowerCase().includes(q)) || (v.anonymous && 'anonymous'.includes(q));
}

export function networkMatches(n: NetworkSummary, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return n.name.toLowerCase().includes(q) || n.driver.toLowerCase().includes(q) || idMatches(n.id, q) || n.subnets.some((s) => s.subnet.includes(q));
}

/** A Compose project as the containers list groups it (from its containers' labels). */
export interface ProjectGroup {
  project: string;
  /** By service, then replica number; one-off `run` containers last. */
  containers: ContainerSummary[];
  running: number;
  /** all running, some, or none. */
  state: 'running' | 'partial' | 'stopped';
  /** Service names, sorted. */
  services: string[];
  workingDir: string;
  configFiles: string[];
  /** The newest container's creation time: where the group sits in the list. */
  created: number;
}

/** A row of the grouped containers list. */
export type ContainerRow = { kind: 'project'; group: ProjectGroup } | { kind: 'container'; c: ContainerSummary; project: string | null };

const byService = (a: ContainerSummary, b: ContainerSummary) =>
  Number(a.compose?.oneoff ?? false) - Number(b.compose?.oneoff ?? false) ||
  (a.compose?.service ?? '').localeCompare(b.compose?.service ?? '') ||
  (a.compose?.number ?? 0) - (b.compose?.number ?? 0) ||
  a.name.localeCompare(b.name);

/** Groups Compose containers under their projects; the others stay as they are. */
export function projectGroups(containers: ContainerSummary[]): Map<string, ProjectGroup> {
  const groups = new Map<string, ProjectGroup>();
  for (const c of containers) {
    const l = c.compose;
    if (!l) continue;
    let g = groups.get(l.project);
    if (!g) {
      g = { project: l.project, containers: [], running: 0, state: 'stopped', services: [], workingDir: l.workingDir, configFiles: l.configFiles, created: c.created };
      groups.set(l.project, g);
    }
    g.containers.push(c);
    if (c.state === 'running') g.running++;
    if (!l.oneoff && !g.services.includes(l.service)) g.services.push(l.service);
    if (c.created > g.created) g.created = c.created;
    // The newest replica's labels say where the project lives now.
    if (!g.workingDir && l.workingDir) g.workingDir = l.workingDir;
    if (g.configFiles.length === 0 && l.configFiles.length > 0) g.configFiles = l.configFiles;
  }
  for (const g of groups.values()) {
    g.containers.sort(byService);
    g.services.sort();
    g.state = g.running === 0 ? 'stopped' : g.running === g.containers.length ? 'running' : 'partial';
  }
  return groups;
}

/** What a container's replica is called in its project: `web #2`, `web (run)`. */
export function replicaLabel(c: ContainerSummary): string {
  const l = c.compose;
  if (!l) return c.name;
  if (l.oneoff) return `${l.service} (run)`;
  return l.number != null ? `${l.service} #${l.number}` : l.service;
}

/** The filter box on projects: a project matches by its name or a service's. */
export function projectMatches(g: ProjectGroup, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return g.project.toLowerCase().includes(q) || g.services.some((s) => s.toLowerCase().includes(q));
}

/**
 * The rows of the containers list: each project where its newest shown container would be, its
 * shown containers under it unless collapsed; containers of no project as they are. `groups`
 * (from every container) gives each header the whole project's state.
 */
export function containerRows(shown: ContainerSummary[], groups: Map<string, ProjectGroup>, collapsed: ReadonlySet<string>): ContainerRow[] {
  const rows: ContainerRow[] = [];
  const byProject = new Map<string, ContainerSummary[]>();
  for (const c of shown) {
    const p = c.compose?.project;
    if (p) byProject.set(p, [...(byProject.get(p) ?? []), c]);
  }
  const placed = new Set<string>();
  for (const c of [...shown].sort(byCreatedDesc)) {
    const p = c.compose?.project;
    if (!p) {
      rows.push({ kind: 'container', c, project: null });
      continue;
    }
    if (placed.has(p)) continue;
    placed.add(p);
    const g = groups.get(p);
    if (!g) continue;
    rows.push({ kind: 'project', group: g });
    if (!collapsed.has(p)) for (const m of (byProject.get(p) ?? []).sort(byService)) rows.push({ kind: 'container', c: m, project: p });
  }
  return rows;
}
