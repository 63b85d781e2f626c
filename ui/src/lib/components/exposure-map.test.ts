// The map stays readable at 50 containers on 10 networks: no two boxes overlap, every
// container is drawn inside its network's group, every published port gets its own box.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import ExposureMap from './ExposureMap.svelte';
import { exposure } from '../exposure';
import type { ContainerSummary, NetworkSummary } from '../api';

const net = (i: number): NetworkSummary => ({
  id: `net${i}`, shortId: `net${i}`, name: `project-${i}_default`, driver: i === 9 ? 'macvlan' : 'bridge', scope: 'local', subnets: [],
  ipv6: false, internal: i === 3, attachable: false, ingress: false, icc: i !== 4, predefined: false, labels: [], options: [], created: 0,
});
const container = (i: number): ContainerSummary => ({
  id: `c${i}`, shortId: `c${i}`, name: `project-${i % 10}-service-${i}`, image: 'img', imageId: 'sha256:x', command: '', state: 'running',
  status: '', created: 0, mounts: [], compose: null, networkMode: i === 0 ? 'host' : `project-${i % 10}_default`,
  ports: i % 7 === 0 ? [{ hostIp: i % 2 ? '127.0.0.1' : '0.0.0.0', hostPort: 8000 + i, containerPort: 80, protocol: 'tcp' }] : [],
  networks: i === 0 ? [] : [{ network: `project-${i % 10}_default`, networkId: `net${i % 10}`, ipv4: '', ipv6: '' }, ...(i % 11 === 0 ? [{ network: 'project-1_default', networkId: 'net1', ipv4: '', ipv6: '' }] : [])],
});

function rect(el: Element) {
  const r = el.querySelector('rect')!;
  const n = (a: string) => Number(r.getAttribute(a));
  return { x: n('x'), y: n('y'), w: n('width'), h: n('height') };
}
const overlap = (a: ReturnType<typeof rect>, b: ReturnType<typeof rect>) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (a: ReturnType<typeof rect>, b: ReturnType<typeof rect>) => a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w && a.y + a.h <= b.y + b.h;

describe('the exposure map at 50 containers and 10 networks', () => {
  it('draws every container and port without overlaps, each inside its network', () => {
    const containers = Array.from({ length: 50 }, (_, i) => container(i));
    const model = exposure(containers, Array.from({ length: 10 }, (_, i) => net(i)));
    const { container: root } = render(ExposureMap, { model });
    const boxes = [...root.querySelectorAll('[data-testid=map-container], [data-testid=map-port], [data-testid=map-network-label]')];
    expect(root.querySelectorAll('[data-testid=map-container]')).toHaveLength(50);
    expect(root.querySelectorAll('[data-testid=map-port]')).toHaveLength(8);
    expect(root.querySelectorAll('[data-testid=map-network]'), 'ten networks and the host').toHaveLength(11);
    const rects = boxes.map(rect);
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlap(rects[i], rects[j]), `${boxes[i].textContent} / ${boxes[j].textContent}`).toBe(false);
    for (const c of model.containers) {
      const group = c.hostNetwork ? 'host' : c.home;
      const g = root.querySelector(`[data-testid=map-network][data-id='${group}']`)!;
      const box = root.querySelector(`[data-testid=map-container][data-id='${c.id}']`)!;
      expect(inside(rect(box), rect(g)), c.name).toBe(true);
    }
    expect(root.querySelector(`[data-testid=map-network][data-id=net4]`)?.classList.contains('dashed')).toBe(true);
    expect(root.querySelectorAll('[data-reach=everywhere]').length).toBeGreaterThan(0);
  });
});
