import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render } from '@testing-library/svelte';
import ImagesView from './ImagesView.svelte';
import VolumesView from './VolumesView.svelte';
import NetworksView from './NetworksView.svelte';
import type { ImageSummary, NetworkSummary, VolumeSummary } from '../lib/api';

const image = (id: string, tag: string): ImageSummary =>
  ({ id: `sha256:${id.repeat(64 / id.length)}`, shortId: id.repeat(12 / id.length), repoTags: [tag], repoDigests: [], size: 1, created: 1, dangling: false, labels: [] }) as unknown as ImageSummary;

const current = (rows: HTMLElement[]) => rows.findIndex((r) => r.getAttribute('aria-current') === 'true');

describe('images, volumes and networks from the keyboard', () => {
  it('moves with j/k and End, opens with Enter, and / goes to the filter', async () => {
    const onopen = vi.fn();
    const images = [image('a1', 'one:1'), image('b2', 'two:2'), image('c3', 'three:3')];
    const { getAllByTestId, getByTestId } = render(ImagesView, { images, containers: [], onopen });
    await fireEvent.keyDown(window, { key: 'j' });
    expect(current(getAllByTestId('image-row'))).toBe(0);
    await fireEvent.keyDown(window, { key: 'ArrowDown' });
    await fireEvent.keyDown(window, { key: 'Enter' });
    expect(onopen).toHaveBeenLastCalledWith(images[1].id);
    await fireEvent.keyDown(window, { key: 'End' });
    await fireEvent.keyDown(window, { key: 'k' });
    expect(current(getAllByTestId('image-row'))).toBe(1);
    await fireEvent.keyDown(window, { key: '/' });
    expect(document.activeElement).toBe(getByTestId('image-filter'));
    // Typed into the filter: text, not a move.
    await fireEvent.keyDown(getByTestId('image-filter'), { key: 'j' });
    expect(current(getAllByTestId('image-row'))).toBe(1);
  });

  it('opens a volume by name and a network by ID', async () => {
    const onvol = vi.fn();
    const volumes = [{ name: 'data', driver: 'local', labels: [], anonymous: false, created: 1, mountpoint: '/x', scope: 'local' }] as unknown as VolumeSummary[];
    const v = render(VolumesView, { volumes, containers: [], onopen: onvol });
    await fireEvent.keyDown(window, { key: 'Home' });
    await fireEvent.keyDown(window, { key: 'Enter' });
    expect(onvol).toHaveBeenLastCalledWith('data');
    v.unmount();
    const onnet = vi.fn();
    const networks = [{ id: 'n1'.repeat(32), name: 'bridge', driver: 'bridge', subnets: [], icc: true, internal: false, created: 1, labels: [] }] as unknown as NetworkSummary[];
    render(NetworksView, { networks, containers: [], onopen: onnet });
    await fireEvent.keyDown(window, { key: 'j' });
    await fireEvent.keyDown(window, { key: 'Enter' });
    expect(onnet).toHaveBeenLastCalledWith('n1'.repeat(32));
  });
});
