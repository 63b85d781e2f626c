// The exposure map's model, from the live lists: who can reach what. Pure, so it is tested
// without a window; ExposureMap.svelte lays it out (dagre) and draws it as SVG.
import type { ContainerSummary, NetworkSummary, PortMapping } from './api';

/** Where a published port can be reached from. */
export type Reach = 'everywhere' | 'machine' | 'address';

/** `0.0.0.0`, `::` or nothing: every interface, so every network the host is on (and past a UFW firewall: Docker writes its own iptables rules). */
export function reachOf(hostIp: string | null): Reach {
  const ip = (hostIp ?? '').trim();
  if (ip === '' || ip === '0.0.0.0' || ip === '::' || ip === '[::]') return 'everywhere';
  if (ip.startsWith('127.') || ip === '::1' || ip === '[::1]') return 'machine';
  return 'address';
}

export interface MapPort {
  key: string;
  containerId: string;
  label: string;
  reach: Reach;
  hostIp: string;
}

export interface MapNetwork {
  id: string;
  name: string;
  driver: string;
  icc: boolean;
  internal: boolean;
  /** macvlan/ipvlan: containers have addresses of the LAN itself. */
  lan: boolean;
}

export interface MapContainer {
  id: string;
  name: string;
  state: string;
  /** --network host: part of the host, every port it opens is the host's. */
  hostNetwork: boolean;
  /** The network it is drawn in (its first), then the others it is also on. */
  home: string | null;
  also: string[];
  ports: MapPort[];
}

export interface ExposureModel {
  containers: MapContainer[];
  networks: MapNetwork[];
  /** Containers reachable from other machines (a port on all interfaces or an address, host network, LAN network). */
  exposed: number;
  /** Networks with none of the containers on them: not drawn. */
  hiddenNetworks: number;
}

function portLabel(p: PortMapping): string {
  const ip = p.hostIp ?? '0.0.0.0';
  const host = ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
  return `${host}:${p.hostPort} → ${p.containerPort}/${p.protocol}`;
}

export function exposure(containers: ContainerSummary[], networks: NetworkSummary[]): ExposureModel {
  const drawn = networks.filter((n) => n.driver !== 'null' && n.driver !== 'host');
  const byId = new Map(drawn.map((n) => [n.id, n]));
  const byName = new Map(drawn.map((n) => [n.name, n]));
  const model: MapNetwork[] = drawn.map((n) => ({
    id: n.id,
    name: n.name,
    driver: n.driver,
    icc: n.driver !== 'bridge' || n.icc,
    internal: n.internal,
    lan: n.driver === 'macvlan' || n.driver === 'ipvlan',
  }));
  let exposed = 0;
  const list: MapContainer[] = containers.map((c) => {
    const hostNetwork = c.networkMode === 'host';
    const on = c.networks
      .map((e) => (e.networkId && byId.get(e.networkId)) || byName.get(e.network))
      .filter((n): n is NetworkSummary => !!n)
      .map((n) => n.id);
    // Only running containers publish: a stopped one has no ports in the list.
    const ports = c.ports
      .filter((p) => p.hostPort !== null)
      .map((p, i) => ({ key: `${c.id}:${i}`, containerId: c.id, label: portLabel(p), reach: reachOf(p.hostIp), hostIp: p.hostIp ?? '' }));
    const reachable =
      hostNetwork || ports.some((p) => p.reach !== 'machine') || on.some((id) => model.find((n) => n.id === id)?.lan);
    if (reachable && c.state === 'running') exposed++;
    return { id: c.id, name: c.name, state: c.state, hostNetwork, home: hostNetwork ? null : on[0] ?? null, also: hostNetwork ? [] : on.slice(1), ports };
  });
  // A network nobody shown is on is left out of the picture (and counted).
  const used = new Set(list.flatMap((c) => (c.home ? [c.home, ...c.also] : c.also)));
  const shown = model.filter((n) => used.has(n.id));
  return { containers: list, networks: shown, exposed, hiddenNetworks: model.length - shown.length };
}
