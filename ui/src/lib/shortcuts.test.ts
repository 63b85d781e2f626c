import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, fireEvent } from '@testing-library/svelte';
import type { ContainerSummary } from './api';

const containersAct = vi.fn();
vi.mock('./api', async (importOriginal) => {
  const real = await importOriginal<typeof import('./api')>();
  return { ...real, api: { ...real.api, containersAct, securityAudit: vi.fn(() => new Promise(() => {})) } };
});
const { listCommand, pageIndex, isTyping, shortcutGroups } = await import('./shortcuts');
const ContainersView = (await import('../views/ContainersView.svelte')).default;
const { confirmer } = await import('./confirm.svelte');

const c = (id: string, name: string, state: ContainerSummary['state']): ContainerSummary => ({
  id: id.repeat(64 / id.length), shortId: id.repeat(12 / id.length), name, image: 'busybox', imageId: 'sha256:x', command: '', state, status: '', ports: [], created: 1, mounts: [], networks: [], networkMode: 'default', compose: null,
});
const key = (k: string, extra: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...extra });

beforeEach(() => {
  containersAct.mockReset();
  containersAct.mockImplementation(async (ids: string[]) => ids.map((target) => ({ target, error: null })));
});

describe('shortcuts', () => {
  it('maps the lazydocker keys and leaves modified ones alone', () => {
    expect(listCommand(key('j'))).toBe('next');
    expect(listCommand(key('ArrowUp'))).toBe('prev');
    expect(listCommand(key('s'))).toBe('toggle-run');
    expect(listCommand(key('d'))).toBe('remove');
    expect(listCommand(key('Delete'))).toBe('remove');
    expect(listCommand(key('l'))).toBe('logs');
    expect(listCommand(key('e'))).toBe('terminal');
    expect(listCommand(key('s', { ctrlKey: true }))).toBeNull();
    expect(listCommand(key('q'))).toBeNull();
    expect(pageIndex({ key: '¡', code: 'Digit1', altKey: true, ctrlKey: false, metaKey: false })).toBe(0);
    expect(pageIndex({ key: '0', code: 'Digit0', altKey: true, ctrlKey: false, metaKey: false })).toBe(9);
    expect(pageIndex({ key: '1', code: 'Digit1', altKey: false, ctrlKey: false, metaKey: false })).toBeNull();
  });

  it('keys typed into a field or a terminal are not shortcuts', () => {
    const input = document.createElement('input');
    const term = document.createElement('div');
    term.className = 'xterm';
    const inner = document.createElement('textarea');
    term.append(inner);
    document.body.append(input, term);
    expect(isTyping(input)).toBe(true);
    expect(isTyping(inner)).toBe(true);
    expect(isTyping(document.body)).toBe(false);
    input.remove();
    term.remove();
  });

  it('every shortcut of the sheet says what it does', () => {
    for (const g of shortcutGroups) for (const s of g.items) expect(s.does.length).toBeGreaterThan(5);
  });

  it('the containers list: j moves, s stops the running one and starts the stopped one, Enter and l open', async () => {
    const onopen = vi.fn();
    const list = [c('a', 'alpha', 'running'), c('b', 'beta', 'exited')];
    const { getAllByTestId } = render(ContainersView, { containers: list, onopen });
    await fireEvent.keyDown(window, { key: 'j' });
    expect(getAllByTestId('container-row')[0].classList.contains('cursor')).toBe(true);
    await fireEvent.keyDown(window, { key: 's' });
    await vi.waitFor(() => expect(containersAct).toHaveBeenLastCalledWith([list[0].id], { action: 'stop', timeout: 10 }));
    await fireEvent.keyDown(window, { key: 'j' });
    expect(getAllByTestId('container-row')[1].getAttribute('aria-current')).toBe('true');
    await fireEvent.keyDown(window, { key: 's' });
    await vi.waitFor(() => expect(containersAct).toHaveBeenLastCalledWith([list[1].id], { action: 'start' }));
    await fireEvent.keyDown(window, { key: 'Enter' });
    expect(onopen).toHaveBeenLastCalledWith(list[1].id);
    await fireEvent.keyDown(window, { key: 'l' });
    expect(onopen).toHaveBeenLastCalledWith(list[1].id, 'logs');
  });

  it('d asks before removing; a key typed in the filter is text, not a shortcut', async () => {
    const list = [c('a', 'alpha', 'exited')];
    const { getByTestId } = render(ContainersView, { containers: list });
    await fireEvent.keyDown(window, { key: 'k' });
    await fireEvent.keyDown(window, { key: 'd' });
    await vi.waitFor(() => expect(confirmer.pending?.title).toContain('Remove'));
    confirmer.answer(false);
    const filter = getByTestId('container-filter');
    await fireEvent.keyDown(filter, { key: 'd' });
    expect(confirmer.pending).toBeNull();
    expect(containersAct).not.toHaveBeenCalled();
  });
});
