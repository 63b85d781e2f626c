import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';

const enginesList = vi.fn();
const engineSwitch = vi.fn();
const engineRemove = vi.fn();
const watchLists = vi.fn();
vi.mock('../api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../api')>();
  return { ...real, api: { enginesList, engineSwitch, engineRemove, watchLists } };
});

const { default: EngineSwitcher } = await import('./EngineSwitcher.svelte');
const { default: ConfirmDialog } = await import('./ConfirmDialog.svelte');

const entry = (id: string, over: Record<string, unknown> = {}) => ({
  id, name: id, description: '', endpoint: `unix:///${id}.sock`, source: 'dockerContext', error: null, warning: null, needsConfirmation: false, removable: id !== 'default', ...over,
});
const status = { state: 'connected', engine: 'default', product: 'Docker', endpoint: 'unix:///var/run/docker.sock', apiVersion: '1.41', engineApiVersion: '1.41', engineVersion: '20.10', error: null } as const;

beforeEach(() => {
  for (const f of [enginesList, engineSwitch, engineRemove, watchLists]) f.mockReset();
  enginesList.mockResolvedValue({
    engines: [
      entry('default'),
      entry('far', { endpoint: 'tcp://10.1.2.3:2375', warning: 'Plain TCP: unauthenticated root access', needsConfirmation: true }),
      entry('broken', { error: { kind: 'invalidArgument', message: 'key.pem is missing' } }),
    ],
    broken: [],
    current: 'default',
    watched: ['default'],
  });
  engineSwitch.mockResolvedValue({ ...status, engine: 'far' });
  watchLists.mockResolvedValue(undefined);
});

describe('the engine switcher', () => {
  it('asks before plain TCP to another host, and switches only when confirmed', async () => {
    const view = render(EngineSwitcher, { status });
    const confirm = render(ConfirmDialog);
    view.getByTestId('engine-pill').click();
    const far = await view.findByText('far');
    (far.closest('button') as HTMLButtonElement).click();
    const dialog = await confirm.findByTestId('confirm');
    expect(dialog.textContent).toContain('unauthenticated root access');
    expect(engineSwitch).not.toHaveBeenCalled();
    confirm.getByTestId('confirm-cancel').click();
    await waitFor(() => expect(confirm.queryByTestId('confirm')).toBeNull());
    expect(engineSwitch).not.toHaveBeenCalled();

    (far.closest('button') as HTMLButtonElement).click();
    (await confirm.findByTestId('confirm-ok')).click();
    await waitFor(() => expect(engineSwitch).toHaveBeenCalledWith('far', true));
    await waitFor(() => expect(watchLists).toHaveBeenCalled());
  });

  it('shows why a broken engine cannot be used, and does not switch to it', async () => {
    const view = render(EngineSwitcher, { status });
    view.getByTestId('engine-pill').click();
    const error = await view.findByText('key.pem is missing');
    const button = error.closest('button') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    button.click();
    expect(engineSwitch).not.toHaveBeenCalled();
  });
});
