import { describe, expect, it } from 'vitest';
import { exposure, reachOf } from './exposure';
import type { ContainerSummary, NetworkSummary } from './api';

const c = (over: Partial<ContainerSummary>): ContainerSummary => ({
  id: 'id', shortId: 'id', name: 'c', image: 'i', imageId: 'sha256:i', command: '', state: 'running', status: '', ports: [], created: 0,
  mounts: [], networks: [], networkMode: 'default', compose: null, ...over,
});
const n = (id: string, over: Partial<NetworkSummary> = {}): NetworkSummary => ({
  id, shortId: id, name: `${id}-name`, driver: 'bridge', scope: 'local', subnets: [], ipv6: false, internal: false, attachable: false,
  ingress: false, icc: true, predefined: false, labels: [], options: [], created: 0, ...over,
});
const port = (hostIp: string | null, hostPort: number | null = 8080) => ({ hostIp, hostPort, containerPort: 80, protocol: 'tcp' });

describe('the exposure model', () => {
  it('tells every interface, one address and this machine apart', () => {
    expect(['0.0.0.0', '::', '', null].map(reachOf)).toEqual(['everywhere', 'everywhere', 'everywhere', 'everywhere']);
    expect(['127.0.0.1', '127.1.2.3', '::1'].map(reachOf)).toEqual(['machine', 'machine', 'machine']);
    expect(reachOf('192.168.1.5')).toBe('address');
  });

  it('puts containers in their networks, the host network apart, and counts who others reach', () => {
    const nets = [n('a'), n('b', { icc: false }), n('lan', { driver: 'macvlan' }), n('none', { driver: 'null', name: 'none' }), n('host', { driver: 'host', name: 'host' })];
    const m = exposure(
      [
        c({ id: 'web', name: 'web', ports: [port('0.0.0.0'), port('127.0.0.1', 9090), port(null, null)], networks: [{ network: 'a-name', networkId: 'a', ipv4: '', ipv6: '' }, { network: 'b-name', networkId: '', ipv4: '', ipv6: '' }] }),
        c({ id: 'db', name: 'db', networks: [{ network: 'b-name', networkId: 'b', ipv4: '', ipv6: '' }] }),
        c({ id: 'host', name: 'hostnet', networkMode: 'host', networks: [{ network: 'host', networkId: 'host', ipv4: '', ipv6: '' }] }),
        c({ id: 'nas', name: 'nas', networks: [{ network: 'lan-name', networkId: 'lan', ipv4: '', ipv6: '' }] }),
        c({ id: 'off', name: 'off', state: 'exited', ports: [], networks: [{ network: 'a-name', networkId: 'a', ipv4: '', ipv6: '' }] }),
      ],
      nets,
    );
    expect(m.networks.map((x) => x.id)).toEqual(['a', 'b', 'lan']);
    expect(exposure([], nets)).toMatchObject({ networks: [], hiddenNetworks: 3 });
    expect(m.networks.find((x) => x.id === 'b')?.icc).toBe(false);
    expect(m.networks.find((x) => x.id === 'lan')?.lan).toBe(true);
    const web = m.containers[0];
    expect([web.home, web.also]).toEqual(['a', ['b']]);
    expect(web.ports.map((p) => [p.label, p.reach])).toEqual([['0.0.0.0:8080 → 80/tcp', 'everywhere'], ['127.0.0.1:9090 → 80/tcp', 'machine']]);
    expect(m.containers[2]).toMatchObject({ hostNetwork: true, home: null });
    expect(m.exposed).toBe(3);
  });
});
