import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { ContainerSummary, Preferences } from './api';

const prefsGet = vi.fn();
const prefsSet = vi.fn();
const containersAct = vi.fn();
vi.mock('./api', async (importOriginal) => {
  const real = await importOriginal<typeof import('./api')>();
  return { ...real, api: { prefsGet, prefsSet, containersAct } };
});
const { prefs, defaults, resolveTheme } = await import('./prefs.svelte');
const { hiddenClasses } = await import('./columns');
const { perform } = await import('./actions');
const { confirmer } = await import('./confirm.svelte');
const { toaster } = await import('./toast.svelte');
const { AppError } = await import('./api');

const c = (id: string, state: ContainerSummary['state']): ContainerSummary => ({
  id, shortId: id.slice(0, 12), name: `c-${id}`, image: 'busybox', imageId: 'sha256:x', command: '', state, status: '', ports: [], created: 1, mounts: [], networks: [], networkMode: 'default', compose: null,
});

beforeEach(async () => {
  prefsGet.mockReset();
  prefsSet.mockReset();
  containersAct.mockReset();
  prefsGet.mockResolvedValue({ prefs: { ...defaults }, path: '/x/preferences.json', problems: [] });
  prefsSet.mockImplementation(async (p: Preferences) => p);
  await prefs.load();
  toaster.items = [];
});

describe('preferences', () => {
  it('the document follows the theme: a choice, or the desktop when "as the system"', async () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    await prefs.set({ theme: 'dark', density: 'compact' });
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(document.documentElement.dataset.density).toBe('compact');
    expect(prefsSet).toHaveBeenLastCalledWith(expect.objectContaining({ theme: 'dark', density: 'compact', stopGraceSeconds: 10 }));
    await prefs.set({ theme: 'light' });
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('a value the backend refuses is undone and said', async () => {
    prefsSet.mockRejectedValueOnce(new AppError('invalidArgument', 'The terminal font size must be between 8 and 32 (got 99).'));
    expect(await prefs.set({ terminalFontSize: 99 })).toBe(false);
    expect(prefs.value.terminalFontSize).toBe(13);
    expect(toaster.items.map((t) => t.text).join()).toContain('between 8 and 32');
  });

  it('what was wrong with the file at start-up is kept for the window to show', async () => {
    prefsGet.mockResolvedValueOnce({ prefs: { ...defaults, theme: 'dark' }, path: '/x/preferences.json', problems: ['theme: unknown variant'] });
    await prefs.load();
    expect(prefs.problems).toEqual(['theme: unknown variant']);
    expect(prefs.value.theme).toBe('dark');
  });

  it('the backend cannot be asked: the defaults, and a problem to show', async () => {
    prefsGet.mockRejectedValueOnce(new AppError('internal', 'no backend'));
    await prefs.load();
    expect(prefs.value).toEqual(defaults);
    expect(prefs.problems[0]).toContain('no backend');
  });

  it('hidden columns become table classes, toggled one at a time', async () => {
    expect(hiddenClasses('containers')).toBe('');
    await prefs.toggleColumn('containers', 'ports');
    await prefs.toggleColumn('containers', 'created');
    expect(hiddenClasses('containers')).toBe('hide-ports hide-created');
    await prefs.toggleColumn('containers', 'ports');
    expect(hiddenClasses('containers')).toBe('hide-created');
    await prefs.toggleColumn('containers', 'created');
    expect(prefs.value.hiddenColumns).toEqual({});
  });

  it('stop uses the grace period of the Settings unless one is chosen', async () => {
    containersAct.mockResolvedValue([{ target: 'a', error: null }]);
    await prefs.set({ stopGraceSeconds: 42 });
    await perform('stop', [c('a', 'running')]);
    expect(containersAct).toHaveBeenLastCalledWith(['a'], { action: 'stop', timeout: 42 });
    await perform('restart', [c('a', 'running')], { timeout: 2 });
    expect(containersAct).toHaveBeenLastCalledWith(['a'], { action: 'restart', timeout: 2 });
  });

  it('with confirmations off, remove and kill act at once; a security warning still asks', async () => {
    containersAct.mockResolvedValue([{ target: 'a', error: null }]);
    await prefs.set({ confirmDestructive: false });
    expect(await perform('kill', [c('a', 'running')])).toBe(true);
    expect(await perform('remove', [c('a', 'exited')])).toBe(true);
    expect(containersAct).toHaveBeenLastCalledWith(['a'], { action: 'remove', force: false, volumes: true });
    expect(confirmer.pending).toBeNull();
    const asked = confirmer.ask({ title: 'Use it over plain TCP?', body: '', confirm: 'Use it anyway', danger: true });
    expect(confirmer.pending?.title).toBe('Use it over plain TCP?');
    confirmer.answer(false);
    expect(await asked).toBe(false);
  });

  it('with confirmations on, remove waits for the answer', async () => {
    containersAct.mockResolvedValue([{ target: 'a', error: null }]);
    const done = perform('remove', [c('a', 'exited')]);
    await vi.waitFor(() => expect(confirmer.pending?.title).toContain('Remove'));
    confirmer.answer(false);
    expect(await done).toBe(false);
    expect(containersAct).not.toHaveBeenCalled();
  });
});
