// Compose projects as the user acts on them: one action on every container of the project
// (through the Engine API, so Compose need not be installed), removal after a plan that says
// what goes, and what failed, by container.
import { api, toAppError, type ProjectAction, type ProjectResult } from './api';
import { confirmer } from './confirm.svelte';
import { toaster } from './toast.svelte';

export const projectActionLabels: Record<ProjectAction, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  pause: 'Pause',
  unpause: 'Unpause',
};

/** Says what failed (one toast per failure) or that it is done. True when nothing failed. */
export function reportProject(verb: string, project: string, r: ProjectResult): boolean {
  const failed = [...r.containers, ...r.networks, ...r.volumes].filter((x) => x.error);
  for (const f of failed) toaster.show(`${verb} ${project}: ${f.target}: ${f.error?.message}`, 'error');
  if (failed.length === 0) {
    const n = r.containers.length;
    toaster.show(n === 0 ? `${verb} ${project}: nothing to do.` : `${verb} ${project}: ${n} container${n === 1 ? '' : 's'} done.`);
  }
  return failed.length === 0;
}

export async function actOnProject(project: string, action: ProjectAction): Promise<boolean> {
  try {
    return reportProject(projectActionLabels[action], project, await api.projectAct(project, action));
  } catch (e) {
    toaster.show(`${projectActionLabels[action]} ${project}: ${toAppError(e).message}`, 'error');
    return false;
  }
}

/** Shows what removing the project takes away, asks, then removes exactly that. */
export async function removeProject(project: string): Promise<boolean> {
  let plan;
  try {
    plan = await api.projectRemovePlan(project);
  } catch (e) {
    toaster.show(`Remove ${project}: ${toAppError(e).message}`, 'error');
    return false;
  }
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  const { ok, option: volumes } = await confirmer.askWithOption({
    title: `Remove the Compose project “${project}”?`,
    body:
      `Containers (stopped first, then removed): ${list(plan.containers)}. ` +
      `Networks Compose made for it: ${list(plan.networks)}. ` +
      (plan.volumes.length ? `Its volumes are kept unless you tick the box.` : 'It has no volumes of its own.'),
    option: plan.volumes.length ? { label: `Also remove its volumes and the data in them: ${plan.volumes.join(', ')}`, checked: false } : undefined,
    confirm: 'Remove project',
    danger: true,
    destructive: true,
  });
  if (!ok) return false;
  try {
    return reportProject('Remove', project, await api.projectRemove(project, volumes && plan.volumes.length > 0));
  } catch (e) {
    toaster.show(`Remove ${project}: ${toAppError(e).message}`, 'error');
    return false;
  }
}

const COLLAPSED_KEY = 'bulkhead.collapsedProjects';

/** The projects the user folded in the list, remembered across restarts. */
export function loadCollapsed(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function saveCollapsed(projects: Iterable<string>) {
  try {
    localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...projects]));
  } catch {
    // Storage full or off: folding still works for this session.
  }
}

/** A stable colour per service, for log tags (readable on light and dark backgrounds). */
export function serviceColour(service: string): string {
  let h = 0;
  for (const ch of service) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return `hsl(${h % 360} 60% 42%)`;
}
