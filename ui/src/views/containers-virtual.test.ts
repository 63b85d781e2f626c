import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render } from '@testing-library/svelte';
import { tick } from 'svelte';
import ContainersView from './ContainersView.svelte';
import type { ContainerSummary } from '../lib/api';

// 10,000 containers, newest first: container i is created at 20000 - i.
const many = (n: number): ContainerSummary[] =>
  Array.from({ length: n }, (_, i) => {
    const hex = i.toString(16).padStart(8, '0');
    return {
      id: hex.repeat(8), shortId: hex.repeat(2).slice(0, 12), name: `svc-${i}`, image: 'busybox', imageId: 'sha256:x', command: '',
      state: i % 2 ? 'exited' : 'running', status: '', ports: [], created: 20000 - i, mounts: [], networks: [], networkMode: 'default', compose: null,
    };
  });

describe('a long container list is virtualised', () => {
  it('renders a screenful of 10,000 rows, with spacers for the rest', () => {
    const { getAllByTestId, container } = render(ContainersView, { containers: many(10_000) });
    const rows = getAllByTestId('container-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(100);
    expect(rows[0].dataset.id).toBe(many(1)[0].id);
    // The spacer below stands for the rows not drawn: nearly all of them.
    const pads = [...container.querySelectorAll<HTMLElement>('tr.virt-pad')];
    expect(pads.length).toBe(1);
    expect(parseFloat(pads[0].style.height)).toBeGreaterThan(9_000 * 30);
    expect(getAllByTestId('containers-table')[0].getAttribute('aria-rowcount')).toBe('10001');
  });

  it('finds a row far down through the filter, and the keyboard reaches the last row', async () => {
    const list = many(10_000);
    const { getAllByTestId, getByTestId, queryByText } = render(ContainersView, { containers: list });
    expect(queryByText('svc-9876')).toBeNull();
    await fireEvent.input(getByTestId('container-filter'), { target: { value: 'svc-9876' } });
    await tick();
    expect(getAllByTestId('container-row').map((r) => r.textContent?.includes('svc-9876'))).toEqual([true]);

    await fireEvent.input(getByTestId('container-filter'), { target: { value: '' } });
    await tick();
    (document.activeElement as HTMLElement | null)?.blur();
    // jsdom lays nothing out and does not scroll: the scroller scrolls as a browser's would.
    const scroller = getByTestId('containers-scroll');
    let top = 0;
    Object.defineProperty(scroller, 'scrollTop', { get: () => top, set: (v: number) => (top = v), configurable: true });
    Object.defineProperty(scroller, 'clientHeight', { get: () => 900, configurable: true });
    Object.defineProperty(scroller, 'scrollHeight', { get: () => 50 * 10_001, configurable: true });
    scroller.scrollTo = ((o: ScrollToOptions) => {
      top = o.top ?? top;
      scroller.dispatchEvent(new Event('scroll'));
    }) as typeof scroller.scrollTo;
    await fireEvent.keyDown(window, { key: 'End' });
    await vi.waitFor(() => expect(getAllByTestId('container-row').some((r) => r.getAttribute('aria-current') === 'true')).toBe(true));
    expect(top).toBeGreaterThan(9_000 * 30);
    const cursor = getAllByTestId('container-row').find((r) => r.getAttribute('aria-current') === 'true');
    expect(cursor?.dataset.id).toBe(list[9_999].id);
    expect(cursor?.getAttribute('aria-rowindex')).toBe('10001');
  });
});
