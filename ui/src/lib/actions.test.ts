import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { ContainerSummary } from './api';

const containersAct = vi.fn();
vi.mock('./api', async (importOriginal) => {
  const real = await importOriginal<typeof import('./api')>();
  return { ...real, api: { containersAct } };
});
const { perform, available } = await import('./actions');
const { confirmer } = await import('./confirm.svelte');

const c = (id: string, state: ContainerSummary['state']): ContainerSummary => ({
  id, shortId: id.slice(0, 12), name: `c-${id}`, image: 'busybox', imageId: 'sha256:x', command: '', state, status: '', ports: [], created: 1, mounts: [], networks: [], networkMode: 'default', compose: null,
});

/** Answers the next confirmation with `ok`. */
function answer(ok: boolean) {
  return new Promise<string>((resolve) => {
    const t = setInterval(() => {
      if (confirmer.pending) {
        clearInterval(t);
        const title = confirmer.pending.title;
        confirmer.answer(ok);
        resolve(title);
      }
    }, 1);
  });
}

beforeEach(() => containersAct.mockReset());

describe('actions', () => {
  it('offers only what fits the state', () => {
    expect(available(c('a', 'running'))).toEqual(['stop', 'restart', 'pause', 'kill', 'remove']);
    expect(available(c('a', 'exited'))).toEqual(['start', 'remove']);
    expect(available(c('a', 'paused'))).toContain('unpause');
  });

  it('removing asks first, and a running container is force-removed only after saying so', async () => {
    containersAct.mockResolvedValue([{ target: 'a', error: null }]);
    const asked = answer(true);
    expect(await perform('remove', [c('a', 'running')])).toBe(true);
    expect(await asked).toContain('Remove');
    expect(containersAct).toHaveBeenCalledWith(['a'], { action: 'remove', force: true, volumes: true });
  });

  it('keeps anonymous volumes when the user unticks the option, and passes the stop timeout', async () => {
    containersAct.mockResolvedValue([{ target: 'a', error: null }]);
    const t = setInterval(() => {
      if (confirmer.pending) {
        clearInterval(t);
        confirmer.option = false;
        confirmer.answer(true);
      }
    }, 1);
    await perform('remove', [c('a', 'exited')]);
    expect(containersAct).toHaveBeenLastCalledWith(['a'], { action: 'remove', force: false, volumes: false });
    await perform('stop', [c('a', 'running')], { timeout: 2 });
    expect(containersAct).toHaveBeenLastCalledWith(['a'], { action: 'stop', timeout: 2 });
  });

  it('nothing happens when the user cancels', async () => {
    const asked = answer(false);
    expect(await perform('kill', [c('a', 'running')])).toBe(false);
    await asked;
    expect(containersAct).not.toHaveBeenCalled();
  });

  it('an engine conflict offers the force variant instead of a raw error', async () => {
    containersAct
      .mockResolvedValueOnce([{ target: 'b', error: { kind: 'conflict', message: 'container is running' } }])
      .mockResolvedValueOnce([{ target: 'b', error: null }]);
    const first = answer(true);
    const done = perform('remove', [c('b', 'exited')]);
    await first;
    const second = await answer(true);
    expect(second).toContain('running');
    expect(await done).toBe(true);
    expect(containersAct.mock.calls[1]).toEqual([['b'], { action: 'remove', force: true, volumes: true }]);
  });
});
