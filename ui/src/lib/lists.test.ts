import { describe, expect, it } from 'vitest';
import { applyEvent, containerMatches, containerRows, emptyLists, imageMatches, networkUsers, projectGroups, replicaLabel, usage, volumeUsage, volumeUsers } from './lists';
import type { ComposeLabels } from './api';
import type { ContainerSummary, EngineStatus, ImageSummary, NetworkSummary, VolumeSummary } from './api';

const status: EngineStatus = {
  state: 'connected', engine: 'default', product: 'Docker', endpoint: 'unix:///var/run/docker.sock', apiVersion: '1.41',
  engineApiVersion: '1.41', engineVersion: '20.10.24', error: null,
};
const c = (over: Partial<ContainerSummary>): ContainerSummary => ({
  id: 'abcd1234'.repeat(8), shortId: 'abcd1234abcd', name: 'web', image: 'busybox:latest',
  imageId: 'sha256:' + 'ee'.repeat(32), command: 'sleep 1000', state: 'running', status: 'Up 1 second',
  ports: [], created: 100, mounts: [], networks: [], networkMode: 'default', compose: null, ...over,
});
const img = (over: Partial<ImageSummary>): ImageSummary => ({
  id: 'sha256:' + 'ee'.repeat(32), shortId: 'eeeeeeeeeeee', repoTags: ['busybox:latest'], repoDigests: [],
  size: 1000, created: 50, dangling: false, ...over,
});

describe('applyEvent', () => {
  it('replaces everything on a snapshot and applies changes after it', () => {
    let s = applyEvent(emptyLists(), { event: 'snapshot', data: { status, containers: [c({})], images: [img({})], volumes: [], networks: [] } });
    expect(s.containers).toHaveLength(1);
    const newer = c({ id: '1111'.repeat(16), name: 'db', created: 200 });
    s = applyEvent(s, { event: 'containerChanged', data: newer });
    expect(s.containers.map((x) => x.name)).toEqual(['db', 'web']);
    s = applyEvent(s, { event: 'containerChanged', data: { ...newer, state: 'exited' } });
    expect(s.containers).toHaveLength(2);
    expect(s.containers[0].state).toBe('exited');
    s = applyEvent(s, { event: 'containerRemoved', data: { id: newer.id } });
    expect(s.containers.map((x) => x.name)).toEqual(['web']);
    s = applyEvent(s, { event: 'imageRemoved', data: { id: img({}).id } });
    expect(s.images).toHaveLength(0);
    s = applyEvent(s, { event: 'status', data: { ...status, state: 'disconnected' } });
    expect(s.status?.state).toBe('disconnected');
  });

  it('does not mutate the previous state', () => {
    const s0 = applyEvent(emptyLists(), { event: 'snapshot', data: { status, containers: [c({})], images: [], volumes: [], networks: [] } });
    const s1 = applyEvent(s0, { event: 'containerRemoved', data: { id: c({}).id } });
    expect(s0.containers).toHaveLength(1);
    expect(s1.containers).toHaveLength(0);
  });
});

describe('filter box', () => {
  it('matches names, images and ID prefixes of 4 characters', () => {
    const x = c({ id: '9f3a' + '0'.repeat(60), name: 'payments-api', image: 'registry.local/pay:2' });
    expect(containerMatches(x, '')).toBe(true);
    expect(containerMatches(x, 'PAYMENTS')).toBe(true);
    expect(containerMatches(x, 'registry.local')).toBe(true);
    expect(containerMatches(x, '9f3a')).toBe(true);
    expect(containerMatches(x, '  9f3a ')).toBe(true);
    expect(containerMatches(x, '0000')).toBe(false); // only a prefix of the ID counts
    expect(containerMatches(x, 'nginx')).toBe(false);
  });

  it('matches image tags, ID prefixes with or without sha256:, and dangling ones by <none>', () => {
    const i = img({});
    expect(imageMatches(i, 'busy')).toBe(true);
    expect(imageMatches(i, 'eeee')).toBe(true);
    expect(imageMatches(i, 'sha256:eeee')).toBe(true);
    expect(imageMatches(i, 'ffff')).toBe(false);
    expect(imageMatches(img({ repoTags: [], dangling: true }), '<none>')).toBe(true);
  });

  it('counts the containers of each image', () => {
    const u = usage([c({}), c({ id: 'x' }), c({ id: 'y', imageId: 'sha256:other' })]);
    expect(u.get(img({}).id)).toBe(2);
    expect(u.get('sha256:other')).toBe(1);
  });
});

const vol = (name: string): VolumeSummary => ({ name, anonymous: false, shortName: name, driver: 'local', scope: 'local', mountpoint: '', labels: [], options: [], created: 0 });
const net = (id: string, name: string): NetworkSummary => ({
  id, shortId: id.slice(0, 12), name, driver: 'bridge', scope: 'local', subnets: [], ipv6: false, internal: false, attachable: false,
  ingress: false, icc: true, predefined: false, labels: [], options: [], created: 0,
});

describe('volumes and networks', () => {
  it('are kept sorted by name and removed by their key', () => {
    let s = applyEvent(emptyLists(), { event: 'volumeChanged', data: vol('b') });
    s = applyEvent(s, { event: 'volumeChanged', data: vol('a') });
    s = applyEvent(s, { event: 'volumeChanged', data: { ...vol('b'), driver: 'other' } });
    expect(s.volumes.map((v) => `${v.name}:${v.driver}`)).toEqual(['a:local', 'b:other']);
    s = applyEvent(s, { event: 'volumeRemoved', data: { name: 'a' } });
    expect(s.volumes.map((v) => v.name)).toEqual(['b']);
    s = applyEvent(s, { event: 'networkChanged', data: net('n2', 'zeta') });
    s = applyEvent(s, { event: 'networkChanged', data: net('n1', 'alpha') });
    expect(s.networks.map((n) => n.name)).toEqual(['alpha', 'zeta']);
    s = applyEvent(s, { event: 'networkRemoved', data: { id: 'n2' } });
    expect(s.networks.map((n) => n.id)).toEqual(['n1']);
  });

  it('know who uses them from the containers list', () => {
    const m = (name: string | null, destination: string, rw = true) => ({ kind: name ? 'volume' : 'bind', name, source: '', destination, rw });
    const list = [
      c({ id: 'stopped', name: 'b-stopped', state: 'exited', mounts: [m('v', '/data', false)] }),
      c({ id: 'up', name: 'a-up', mounts: [m('v', '/srv'), m('v', '/again'), m(null, '/v')], networks: [{ network: 'alpha', networkId: 'n1', ipv4: '10.0.0.2', ipv6: '' }] }),
    ];
    const users = volumeUsers('v', list);
    expect(users.map((u) => `${u.container.id}:${u.destination}:${u.readOnly}`)).toEqual(['up:/srv:false', 'up:/again:false', 'stopped:/data:true']);
    expect(volumeUsage(list).get('v')).toBe(2);
    expect(networkUsers(net('n1', 'alpha'), list).map((u) => `${u.container.id}:${u.ipv4}`)).toEqual(['up:10.0.0.2']);
    expect(networkUsers(net('n9', 'other'), list)).toEqual([]);
  });
});

describe('Compose projects', () => {
  const labels = (project: string, service: string, number: number | null, oneoff = false): ComposeLabels => ({
    project, service, number, oneoff, workingDir: `/srv/${project}`, configFiles: [`/srv/${project}/compose.yaml`], version: '1.29.2',
  });
  const hex = (n: number) => n.toString(16).padStart(4, '0').repeat(16);
  const shop = [
    c({ id: hex(1), name: 'shop_web_2', created: 10, compose: labels('shop', 'web', 2) }),
    c({ id: hex(2), name: 'shop_web_1', created: 11, compose: labels('shop', 'web', 1), state: 'exited' }),
    c({ id: hex(3), name: 'shop-db-1', created: 12, compose: labels('shop', 'db', 1) }),
    c({ id: hex(4), name: 'shop_web_run_1', created: 13, compose: labels('shop', 'web', 1, true), state: 'exited' }),
  ];
  const loose = c({ id: hex(5), name: 'alone', created: 20 });
  const other = c({ id: hex(6), name: 'blog-app-1', created: 5, compose: labels('blog', 'app', 1) });
  const all = [loose, ...shop, other];

  it('groups containers under their project with its state, services and files', () => {
    const g = projectGroups(all);
    expect([...g.keys()].sort()).toEqual(['blog', 'shop']);
    const s = g.get('shop')!;
    expect(s.services).toEqual(['db', 'web']);
    expect(s.containers.length).toBe(4);
    expect(s.running).toBe(2);
    expect(s.state).toBe('partial');
    expect(g.get('blog')!.state).toBe('running');
    expect(s.containers.map(replicaLabel)).toEqual(['db #1', 'web #1', 'web #2', 'web (run)']);
    expect(s.configFiles).toEqual(['/srv/shop/compose.yaml']);
    expect(s.created).toBe(13);
  });

  it('places each project where its newest container is and folds it', () => {
    const rows = containerRows(all, projectGroups(all), new Set());
    expect(rows.map((r) => (r.kind === 'project' ? `[${r.group.project}]` : r.c.name))).toEqual([
      'alone', '[shop]', 'shop-db-1', 'shop_web_1', 'shop_web_2', 'shop_web_run_1', '[blog]', 'blog-app-1',
    ]);
    const folded = containerRows(all, projectGroups(all), new Set(['shop']));
    expect(folded.map((r) => (r.kind === 'project' ? `[${r.group.project}]` : r.c.name))).toEqual(['alone', '[shop]', '[blog]', 'blog-app-1']);
  });

  it('finds projects and services in the filter box, and the header keeps the whole project state', () => {
    expect(all.filter((x) => containerMatches(x, 'shop')).map((x) => x.name)).toHaveLength(4);
    expect(all.filter((x) => containerMatches(x, 'db')).map((x) => x.name)).toEqual(['shop-db-1']);
    const shown = all.filter((x) => containerMatches(x, 'db'));
    const rows = containerRows(shown, projectGroups(all), new Set());
    expect(rows).toHaveLength(2);
    expect(rows[0].kind === 'project' && rows[0].group.containers.length).toBe(4);
  });
});
