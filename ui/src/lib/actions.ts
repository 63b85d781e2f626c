// Container actions as the user experiences them: confirm what destroys, offer force when the
// engine says the container is running, say what failed and why.
import { api, toAppError, type ContainerAction, type ContainerSummary } from './api';
import { confirmer } from './confirm.svelte';
import { prefs } from './prefs.svelte';
import { toaster } from './toast.svelte';

export type ActionName = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause' | 'remove';

export const actionLabels: Record<ActionName, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  kill: 'Kill',
  pause: 'Pause',
  unpause: 'Unpause',
  remove: 'Remove',
};

/** Which actions make sense for a container in this state. */
export function available(c: Pick<ContainerSummary, 'state'>): ActionName[] {
  switch (c.state) {
    case 'running':
      return ['stop', 'restart', 'pause', 'kill', 'remove'];
    case 'paused':
      return ['unpause', 'kill', 'remove'];
    case 'restarting':
      return ['stop', 'kill', 'remove'];
    default:
      return ['start', 'remove'];
  }
}

function toAction(name: ActionName, opts: { force?: boolean; volumes?: boolean; timeout?: number | null } = {}): ContainerAction {
  switch (name) {
    case 'stop':
      return { action: 'stop', timeout: opts.timeout ?? null };
    case 'restart':
      return { action: 'restart', timeout: opts.timeout ?? null };
    case 'remove':
      return { action: 'remove', force: opts.force ?? false, volumes: opts.volumes ?? true };
    default:
      return { action: name };
  }
}

const describe = (targets: ContainerSummary[]) =>
  targets.length === 1 ? `“${targets[0].name}”` : `${targets.length} containers`;

/** Seconds a stop or restart waits for the container to exit before killing it (null: the grace
 * period of the Settings). */
export const stopTimeouts: { label: string; value: number | null }[] = [
  { label: 'the grace period', value: null },
  { label: '2 s', value: 2 },
  { label: '30 s', value: 30 },
  { label: '2 min', value: 120 },
];

/** Runs `name` on the targets, confirming first when it destroys. Returns true when all succeeded. */
export async function perform(name: ActionName, targets: ContainerSummary[], opts: { timeout?: number | null } = {}): Promise<boolean> {
  if (targets.length === 0) return true;
  const what = describe(targets);
  if (name === 'remove') {
    const running = targets.filter((t) => t.state === 'running' || t.state === 'paused' || t.state === 'restarting');
    const { ok, option: volumes } = await confirmer.askWithOption({
      title: `Remove ${what}?`,
      option: { label: 'Also remove its anonymous volumes (named volumes and bind mounts are kept)', checked: true },
      body:
        'The container is deleted.' +
        (running.length ? ` ${running.length === 1 ? 'It is' : `${running.length} of them are`} running: removing kills ${running.length === 1 ? 'it' : 'them'}.` : ''),
      confirm: running.length ? 'Force remove' : 'Remove',
      danger: true,
      destructive: true,
    });
    if (!ok) return false;
    return report(name, targets, await run(targets, toAction('remove', { force: running.length > 0, volumes })), volumes);
  }
  if (name === 'kill') {
    const ok = await confirmer.ask({
      title: `Kill ${what}?`,
      body: 'SIGKILL stops it at once, without a chance to save or clean up. Stop asks it to finish first.',
      confirm: 'Kill',
      danger: true,
      destructive: true,
    });
    if (!ok) return false;
  }
  return report(name, targets, await run(targets, toAction(name, { timeout: opts.timeout ?? prefs.value.stopGraceSeconds })));
}

async function run(targets: ContainerSummary[], action: ContainerAction) {
  try {
    return await api.containersAct(targets.map((t) => t.id), action);
  } catch (e) {
    const err = toAppError(e);
    return targets.map((t) => ({ target: t.id, error: { kind: err.kind, message: err.message } }));
  }
}

async function report(
  name: ActionName,
  targets: ContainerSummary[],
  results: Awaited<ReturnType<typeof run>>,
  volumes = true,
): Promise<boolean> {
  const failed = results.filter((r) => r.error);
  // A container that became running meanwhile: the engine says conflict; offer the force variant.
  const conflicts = failed.filter((r) => r.error?.kind === 'conflict' && name === 'remove');
  if (conflicts.length) {
    const again = targets.filter((t) => conflicts.some((c) => c.target === t.id));
    const ok = await confirmer.ask({
      title: `${describe(again)} ${again.length === 1 ? 'is' : 'are'} running`,
      body: conflicts[0].error?.message ?? '',
      confirm: 'Force remove',
      danger: true,
      destructive: true,
    });
    if (ok) {
      const second = await run(again, toAction('remove', { force: true, volumes }));
      return report(name, again, second, volumes);
    }
    return false;
  }
  for (const f of failed) {
    const t = targets.find((x) => x.id === f.target);
    toaster.show(`${actionLabels[name]} ${t ? `“${t.name}”` : f.target}: ${f.error?.message}`, 'error');
  }
  if (!failed.length && targets.length > 1) toaster.show(`${actionLabels[name]}: ${targets.length} containers done.`);
  return failed.length === 0;
}
