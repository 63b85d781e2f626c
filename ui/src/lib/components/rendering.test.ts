import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import ContainersView from '../../views/ContainersView.svelte';
import EngineDown from './EngineDown.svelte';
import type { ContainerSummary } from '../api';

const hostile = '<img src=x onerror="window.pwned=1">';

const row = (over: Partial<ContainerSummary>): ContainerSummary => ({
  id: 'ab12'.repeat(16), shortId: 'ab12ab12ab12', name: 'web', image: 'busybox', imageId: 'sha256:ee',
  command: '', state: 'running', status: 'Up', ports: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  created: 1, mounts: [], networks: [], networkMode: 'default', compose: null, ...over,
});

describe('untrusted strings render as text', () => {
  it('shows a hostile container name literally, never as markup', () => {
    const { container, getAllByTestId } = render(ContainersView, { containers: [row({ name: hostile, image: hostile })] });
    expect(container.querySelector('img')).toBeNull();
    expect(getAllByTestId('container-row')[0].textContent).toContain(hostile);
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  });

  it('shows the short ID and the published port with its host IP', () => {
    const { getAllByTestId } = render(ContainersView, { containers: [row({})] });
    const text = getAllByTestId('container-row')[0].textContent ?? '';
    expect(text).toContain('ab12ab12ab12');
    expect(text).toContain('127.0.0.1:8080→80/tcp');
  });
});

describe('engine down', () => {
  it('says which endpoint was tried, why, and what to do', () => {
    const { getByTestId } = render(EngineDown, {
      status: {
        state: 'disconnected', engine: 'default', product: null, endpoint: 'unix:///nope.sock', apiVersion: null, engineApiVersion: null, engineVersion: null,
        error: { kind: 'engineSocketMissing', message: 'No Docker socket at unix:///nope.sock. Install Docker.' },
      },
    });
    expect(getByTestId('engine-down').dataset.kind).toBe('engineSocketMissing');
    expect(getByTestId('engine-endpoint').textContent).toBe('unix:///nope.sock');
    expect(getByTestId('engine-reason').textContent).toContain('Install Docker');
    expect(getByTestId('engine-down').textContent).toContain('No Docker engine at this address');
  });
});
