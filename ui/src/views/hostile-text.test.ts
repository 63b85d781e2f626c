// Every view, fed hostile engine text through the real API layer (only Tauri's invoke and
// Channel are replaced): no control character or direction mark reaches the page, in text or
// in attributes, markup stays text, and the hostile strings are shown (neutralised), so a view
// that drops them cannot pass.
import { describe, expect, it, vi, beforeAll } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import containerInspect from '../test-fixtures/container-inspect.json';
import imageInspect from '../test-fixtures/image-inspect.json';
import audit from '../test-fixtures/audit.json';
import type { ContainerSummary, EngineStatus, ImageSummary, NetworkSummary, VolumeSummary } from '../lib/api';

// A right-to-left override (reads "evilexe.jpg"), a screen clear, a bell, a C1 CSI, a newline,
// a zero-width direction mark, an isolate, and markup.
const HOSTILE = 'evil\u202Egpj.exe\u001b[2J\u0007\u009b1m\nnext\u200Fline\u2067<img src=x onerror="window.pwned=1">';
const SHOWN = 'evil\uFFFDgpj.exe';
// Written out here, independently of lib/text, so a broken helper cannot pass its own test.
const BAD = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const id = 'ab12'.repeat(16);
const imageId = 'sha256:' + 'cd34'.repeat(16);
const status = {
  state: 'connected', endpoint: `unix:///run/${HOSTILE}.sock`, apiVersion: '1.41', engineApiVersion: '1.41', engineVersion: `20.10 ${HOSTILE}`, error: null,
};
const netId = 'ef56'.repeat(16);
const summary = {
  id, shortId: id.slice(0, 12), name: `web${HOSTILE}`, image: `busybox${HOSTILE}`, imageId, command: `sh -c ${HOSTILE}`,
  state: 'running', status: `Up ${HOSTILE}`, ports: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }], created: 1,
  mounts: [{ kind: 'volume', name: `data${HOSTILE}`, source: `/var/lib/docker/volumes/${HOSTILE}`, destination: `/data${HOSTILE}`, rw: true }],
  networks: [{ network: `net${HOSTILE}`, networkId: netId, ipv4: `10.0.0.2${HOSTILE}`, ipv6: '' }],
  networkMode: `net${HOSTILE}`,
  compose: {
    project: `shop${HOSTILE}`, service: `web${HOSTILE}`, number: 1, oneoff: false, workingDir: `/srv/${HOSTILE}`,
    configFiles: [`/srv/${HOSTILE}/compose.yaml`], version: `1.29${HOSTILE}`,
  },
};
const finding = { ruleId: 'container.privileged', severity: 'critical', title: `Runs privileged${HOSTILE}`, why: HOSTILE, evidence: [`privileged: ${HOSTILE}`], fix: HOSTILE, cis: '5.5', owasp: null, quickFix: null };
const composeReport = {
  file: {
    path: `/srv/${HOSTILE}/compose.yaml`, dir: `/srv/${HOSTILE}`, project: `shop${HOSTILE}`,
    services: [{ name: `web${HOSTILE}`, line: 3, image: `busybox${HOSTILE}`, build: null, ports: [`8080:80${HOSTILE}`], volumes: [`/:/host${HOSTILE}`], networks: [`back${HOSTILE}`], profiles: [] }],
    volumes: [`data${HOSTILE}`], networks: [`back${HOSTILE}`], unsetVariables: [`VAR${HOSTILE}`], notes: [`note ${HOSTILE}`],
  },
  services: [{ service: `web${HOSTILE}`, score: 60, grade: 'F', findings: [{ service: `web${HOSTILE}`, location: { line: 5, column: 5, key: `services.web${HOSTILE}.privileged` }, finding }] }],
  grade: 'F',
  summary: { containers: 1, critical: 1, high: 0, medium: 0, low: 0, info: 0 },
};
const kv = [{ key: `key${HOSTILE}`, value: HOSTILE }];
const volume = {
  name: `data${HOSTILE}`, anonymous: false, shortName: `data${HOSTILE}`, driver: `local${HOSTILE}`, scope: 'local',
  mountpoint: `/var/lib/docker/volumes/${HOSTILE}`, labels: kv, options: kv, created: 1,
};
const network = {
  id: netId, shortId: netId.slice(0, 12), name: `net${HOSTILE}`, driver: 'bridge', scope: 'local',
  subnets: [{ subnet: `10.0.0.0/24${HOSTILE}`, gateway: `10.0.0.1${HOSTILE}`, ipRange: '', ipv6: false }],
  ipv6: false, internal: false, attachable: false, ingress: false, icc: true, predefined: false, labels: kv, options: kv, created: 1,
};
const image = { id: imageId, shortId: imageId.slice(7, 19), repoTags: [`busybox:${HOSTILE}`], repoDigests: [], size: 1000, created: 1, dangling: false };

/** The fixture with HOSTILE added to every string (and to a label's key). */
function poison<T>(v: T): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return x + HOSTILE;
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v) as T;
}
const hostileInspect = {
  ...containerInspect, Id: id, State: { ...containerInspect.State, Status: 'running', Running: true },
  Config: { ...poison(containerInspect.Config), OpenStdin: true, Labels: { [`key${HOSTILE}`]: HOSTILE } },
  Name: `/web${HOSTILE}`, Mounts: poison(containerInspect.Mounts),
};
const hostileImage = { ...imageInspect, Id: imageId, Config: { ...poison(imageInspect.Config), Labels: { [`key${HOSTILE}`]: HOSTILE } }, RepoTags: [`busybox:${HOSTILE}`] };
// Words the security view looks up (severity, grade) stay real; what the engine wrote is hostile.
const hostileAudit = {
  ...audit,
  engine: { ...audit.engine, findings: audit.engine.findings.map((f) => ({ ...f, evidence: f.evidence.map((e) => e + HOSTILE) })) },
  containers: audit.containers.map((c) => ({
    ...c, id, name: `web${HOSTILE}`, image: `busybox${HOSTILE}`,
    findings: c.findings.map((f) => ({ ...f, evidence: [...f.evidence, `label ${HOSTILE}`] })),
  })),
  images: audit.images.map((i) => ({ ...i, reference: `busybox:${HOSTILE}`, findings: i.findings.map((f) => ({ ...f, evidence: [...f.evidence, HOSTILE] })) })),
};

/** An audit report as `security_audit` answers a window that holds nothing yet. */
function asFleet(r: Omit<typeof hostileAudit, 'images'> & { images: unknown[] }) {
  const { generatedAt, engine, images, summary, containers } = r;
  return { generatedAt, engine, images, summary, order: containers.map((c, i) => ({ id: c.id, fingerprint: i.toString(16).padStart(16, '0') })), changed: containers };
}

const answers: Record<string, (args: Record<string, unknown>) => unknown> = {
  engine_status: () => status,
  watch_lists: (args) => {
    (args.onEvent as { onmessage: (e: unknown) => void }).onmessage({ event: 'snapshot', data: { status, containers: [summary], images: [image], volumes: [volume], networks: [network] } });
  },
  engines_list: () => ({
    engines: [
      { id: 'default', name: 'default', description: `Current ${HOSTILE}`, endpoint: status.endpoint, source: 'dockerContext', error: null, warning: null, needsConfirmation: false, removable: false },
      { id: `box${HOSTILE}`, name: `box${HOSTILE}`, description: `the home server ${HOSTILE}`, endpoint: `ssh://me@box${HOSTILE}`, source: 'dockerContext', error: { kind: 'invalidArgument', message: `broken ${HOSTILE}` }, warning: `careful ${HOSTILE}`, needsConfirmation: false, removable: true },
    ],
    broken: [{ kind: 'invalidArgument', message: `The docker context file /x/${HOSTILE}/meta.json is not valid JSON` }],
    current: 'default',
    watched: ['default'],
  }),
  container_inspect: () => hostileInspect,
  image_inspect: () => hostileImage,
  image_history: () => [{ id: imageId, createdBy: `/bin/sh -c ${HOSTILE}`, created: 1, size: 10, tags: [`t${HOSTILE}`], comment: HOSTILE }],
  system_info: () => ({
    endpoint: status.endpoint, engineVersion: `20.10${HOSTILE}`, apiVersion: '1.41', engineApiVersion: '1.41', hostname: `host${HOSTILE}`,
    operatingSystem: `Debian${HOSTILE}`, osType: 'linux', kernelVersion: `6.1${HOSTILE}`, architecture: 'x86_64', cpus: 2, memory: 1 << 30,
    storageDriver: `overlay2${HOSTILE}`, dockerRootDir: `/var/lib/docker${HOSTILE}`, loggingDriver: 'json-file', cgroupDriver: 'cgroupfs', cgroupVersion: '1',
    defaultRuntime: 'runc', securityOptions: [{ name: `seccomp${HOSTILE}`, details: [`profile=${HOSTILE}`] }], seccomp: true, apparmor: false, selinux: false, userns: false,
    rootless: false, liveRestore: false, containers: 1, containersRunning: 1, containersPaused: 0, containersStopped: 0, images: 1, warnings: [`warning ${HOSTILE}`],
  }),
  diagnostics: () => ({ terminalSessions: 0, terminalTasks: 0, alerts: [`web${HOSTILE} started privileged`], streams: 0, listStreams: 1 }),
  security_audit: () => asFleet(hostileAudit),
  security_review: () => hostileAudit.containers[0],
  container_top: () => ({ titles: ['PID', `CMD${HOSTILE}`], processes: [['1', `sleep ${HOSTILE}`]] }),
  container_stats: () => 1,
  container_logs: () => 2,
  stream_stop: () => true,
  compose_review: () => composeReport,
  compose_tool: () => ({ command: `docker-compose${HOSTILE}`, version: `1.29${HOSTILE}`, v2: false }),
  project_logs: () => 3,
  volume_inspect: () => ({ Name: `data${HOSTILE}`, Labels: { [`key${HOSTILE}`]: HOSTILE } }),
  network_inspect: () => ({ Name: `net${HOSTILE}`, Labels: { [`key${HOSTILE}`]: HOSTILE } }),
  files_browse: () => ({
    path: `/srv${HOSTILE}`, id: '/srv%0A', more: 0, readBytes: 1024,
    entries: [
      { name: `a${HOSTILE}`, path: `/srv/a${HOSTILE}`, id: '/srv/a%1B', kind: 'file', size: 3, items: 0, mode: 'rw-r--r--', uid: 0, gid: 0, modified: 1, linkTarget: '', change: 'added' },
      { name: `link${HOSTILE}`, path: `/srv/link${HOSTILE}`, id: '/srv/link%E2%80%AE', kind: 'symlink', size: 0, items: 0, mode: 'rwxrwxrwx', uid: 0, gid: 0, modified: 1, linkTarget: `/etc/shadow${HOSTILE}`, change: null },
    ],
    deleted: [{ path: `/srv/gone${HOSTILE}`, id: '/srv/gone%07', kind: 'deleted' }],
  }),
  files_changes: () => [{ path: `/etc/cron.d/evil${HOSTILE}`, id: '/etc/cron.d/evil%1B', kind: 'added' }],
  files_read: () => ({
    path: `/srv/a${HOSTILE}`, id: '/srv/a%1B', size: 3, mode: 'rw-r--r--', uid: 0, gid: 0, modified: 1,
    text: `line one\n${HOSTILE}\nlast`, headBase64: null, truncated: false, sha256: '00', notEditable: `controls ${HOSTILE}`,
  }),
  watch_drops: () => 4,
  events_watch: (args) => {
    const ev = { timeNano: 1_700_000_000_000_000_000, kind: 'container', action: `exec_start: sh ${HOSTILE}`, id, name: `web${HOSTILE}`, attributes: [[`key${HOSTILE}`, HOSTILE], ['name', `web${HOSTILE}`]], notable: `A process was started inside it: ${HOSTILE}` };
    setTimeout(() => (args.onEvent as { onmessage: (e: unknown) => void }).onmessage({ event: 'events', data: [ev] }), 0);
    return 5;
  },
  network_members: () => [{ containerId: id, containerName: `web${HOSTILE}`, ipv4: `10.0.0.2/24${HOSTILE}`, ipv6: '', mac: HOSTILE, aliases: [`db${HOSTILE}`] }],
};

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(async (cmd: string, args: Record<string, unknown> = {}) => {
    const answer = answers[cmd];
    if (!answer) throw { kind: 'internal', message: `not in the test: ${cmd}` };
    return structuredClone(answer(args) ?? null);
  }),
  Channel: class {
    onmessage: (e: unknown) => void = () => {};
  },
}));

const { api } = await import('../lib/api');
const { default: ContainersView } = await import('./ContainersView.svelte');
const { default: ImagesView } = await import('./ImagesView.svelte');
const { default: ContainerDetail } = await import('./ContainerDetail.svelte');
const { default: ImageDetail } = await import('./ImageDetail.svelte');
const { default: SystemView } = await import('./SystemView.svelte');
const { default: SecurityView } = await import('./SecurityView.svelte');
const { default: EngineDown } = await import('../lib/components/EngineDown.svelte');
const { default: VolumesView } = await import('./VolumesView.svelte');
const { default: VolumeDetail } = await import('./VolumeDetail.svelte');
const { default: NetworksView } = await import('./NetworksView.svelte');
const { default: NetworkDetail } = await import('./NetworkDetail.svelte');
const { default: ExposureView } = await import('./ExposureView.svelte');
const { default: EngineSwitcher } = await import('../lib/components/EngineSwitcher.svelte');
const { default: ProjectView } = await import('./ProjectView.svelte');
const { default: ComposeView } = await import('./ComposeView.svelte');
const { projectGroups } = await import('../lib/lists');

/** What a user can read in the rendered view: its text and every attribute value. */
function everything(root: HTMLElement): string[] {
  const out = [root.textContent ?? ''];
  for (const el of root.querySelectorAll('*')) for (const a of el.attributes) out.push(a.value);
  for (const el of root.querySelectorAll('input, textarea')) out.push((el as HTMLInputElement).value);
  return out;
}

function expectNeutral(root: HTMLElement) {
  const found = everything(root).filter((s) => BAD.test(s));
  expect(found.map((s) => JSON.stringify(s.slice(Math.max(0, s.search(BAD) - 60), s.search(BAD) + 40)))).toEqual([]);
  expect(root.querySelector('img')).toBeNull();
  expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  expect(root.textContent).toContain(SHOWN);
}

let lists: { status: EngineStatus; containers: ContainerSummary[]; images: ImageSummary[]; volumes: VolumeSummary[]; networks: NetworkSummary[] };
beforeAll(async () => {
  lists = await new Promise((resolve) => {
    void api.watchLists((e) => {
      if (e.event === 'snapshot') resolve(e.data);
    });
  });
});

describe('hostile engine text is neutralised in every view', () => {
  it('the lists (through the list channel)', () => {
    expect(lists.containers[0].name).toContain(SHOWN);
    expectNeutral(render(ContainersView, { containers: lists.containers }).container);
    expectNeutral(render(ImagesView, { images: lists.images, containers: lists.containers }).container);
    expectNeutral(render(VolumesView, { volumes: lists.volumes, containers: lists.containers }).container);
    expectNeutral(render(NetworksView, { networks: lists.networks, containers: lists.containers }).container);
  });

  it('a Compose project: its row, its page, and the review of a compose file', async () => {
    const list = render(ContainersView, { containers: lists.containers });
    expect(list.container.querySelector('[data-testid=project-row]')?.textContent).toContain(`shop${SHOWN}`);
    expectNeutral(list.container);
    list.unmount();
    const group = projectGroups(lists.containers).get(lists.containers[0].compose!.project)!;
    const page = render(ProjectView, { group, onback: () => {} });
    expectNeutral(page.container);
    page.unmount();
    const review = await api.composeReview('/srv/x/compose.yaml');
    const file = render(ComposeView, { report: review, onback: () => {} });
    await waitFor(() => expect(file.container.querySelector('[data-testid=compose-tool]')).not.toBeNull());
    expect(file.container.querySelector('[data-testid=compose-finding]')?.textContent).toContain(`line 5`);
    expectNeutral(file.container);
  });

  it('a volume: labels, options, who uses it, where', async () => {
    const view = render(VolumeDetail, { volume: lists.volumes[0], containers: lists.containers, onback: () => {} });
    await waitFor(() => expect(view.container.textContent).toContain(`at /data${SHOWN}`));
    expectNeutral(view.container);
  });

  it('the exposure map: container and network names drawn as SVG text', async () => {
    const view = render(ExposureView, { containers: lists.containers, networks: lists.networks });
    await waitFor(() => expect(view.container.querySelector('[data-testid=map-container]')).not.toBeNull());
    expect(view.container.querySelector('svg text')?.namespaceURI).toBe('http://www.w3.org/2000/svg');
    expect(view.container.querySelector('foreignObject')).toBeNull();
    expectNeutral(view.container);
  });

  it('a network: subnets, labels, its members with their aliases', async () => {
    const view = render(NetworkDetail, { network: lists.networks[0], containers: lists.containers, onback: () => {} });
    await waitFor(() => expect(view.container.textContent).toContain(`db${SHOWN}`));
    expectNeutral(view.container);
  });

  it('the container overview and its inspect tree (keys too)', async () => {
    const c = lists.containers[0];
    const overview = render(ContainerDetail, { container: c, onback: () => {} });
    await waitFor(() => expect(overview.container.textContent).toContain(`→ /data${SHOWN}`));
    expectNeutral(overview.container);
    overview.unmount();

    const inspect = render(ContainerDetail, { container: c, onback: () => {} });
    (await inspect.findByTestId('tab-inspect')).click();
    await waitFor(() => expect(inspect.container.querySelector('.jt')).not.toBeNull());
    // Open every branch, level by level.
    for (let round = 0; round < 10; round++) {
      const closed = inspect.container.querySelectorAll<HTMLButtonElement>('.jt-toggle[aria-expanded=false]');
      if (closed.length === 0) break;
      for (const t of closed) t.click();
      await new Promise((r) => setTimeout(r, 0));
    }
    await waitFor(() => expect(inspect.container.textContent).toContain(`key${SHOWN}`));
    expectNeutral(inspect.container);
  });

  it('the image detail: config, labels and layers', async () => {
    const img = lists.images[0];
    const view = render(ImageDetail, { image: img, containers: [], onback: () => {}, onrun: () => {} });
    await waitFor(() => expect(view.container.textContent).toContain(`10 B`));
    expectNeutral(view.container);
  });

  it('the system page: engine facts, warnings and alerts', async () => {
    const view = render(SystemView, { status: lists.status });
    await waitFor(() => expect(view.container.textContent).toContain(`warning ${SHOWN}`));
    expectNeutral(view.container);
  });

  it('the security view: ranked containers, findings and their evidence', async () => {
    const { security } = await import('../lib/security.svelte');
    await security.refresh();
    const view = render(SecurityView, { onopen: () => {} });
    await waitFor(() => expect(view.container.textContent).toContain(`web${SHOWN}`));
    for (const b of view.container.querySelectorAll<HTMLElement>('[data-testid=risk-row] .risk-head')) b.click();
    await waitFor(() => expect(view.container.textContent).toContain(`label ${SHOWN}`));
    expectNeutral(view.container);
  });

  it('the engine switcher: names, descriptions, endpoints, warnings and broken context files', async () => {
    const view = render(EngineSwitcher, { status: { ...lists.status, engine: 'default' } });
    (await view.findByTestId('engine-pill')).click();
    await waitFor(() => expect(view.container.textContent).toContain(`the home server ${SHOWN}`));
    expect(view.container.textContent).toContain(`broken ${SHOWN}`);
    expect(view.getByTestId('engine-broken').textContent).toContain(SHOWN);
    expectNeutral(view.container);
  });

  it("a container's files: names, link targets, changes, deleted entries and a file's text", async () => {
    const { default: ContainerFiles } = await import('../lib/components/ContainerFiles.svelte');
    const view = render(ContainerFiles, { container: lists.containers[0] });
    const row = await view.findByTestId('files-table');
    expect(row.textContent).toContain(`/etc/shadow${SHOWN}`);
    expect(row.textContent).toContain(`gone${SHOWN}`);
    expectNeutral(view.container);
    // The viewer keeps the file's lines (and only its newlines and tabs).
    (view.container.querySelector('[data-testid=file-row][data-kind=file] td.name') as HTMLElement).click();
    const text = await view.findByTestId('viewer-text');
    expect(text.textContent?.split('\n')).toHaveLength(4);
    expect(text.textContent).toContain(SHOWN);
    expect(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text.textContent ?? '')).toBe(false);
    text.remove();
    expectNeutral(view.container);
    view.unmount();
    // What changed, as a list.
    const changes = render(ContainerFiles, { container: lists.containers[0] });
    (await changes.findByTestId('files-mode-changes')).click();
    await waitFor(() => expect(changes.container.textContent).toContain(`evil${SHOWN}`));
    expectNeutral(changes.container);
  });

  it('the events timeline: actions, names, attributes and why a row stands out', async () => {
    const { default: EventsView } = await import('./EventsView.svelte');
    const view = render(EventsView, { onopen: () => {} });
    await waitFor(() => expect(view.container.querySelector('[data-testid=event-row]')).not.toBeNull());
    expect(view.getByTestId('event-notable').textContent).toContain(SHOWN);
    expectNeutral(view.container);
  });

  it('an engine error message', async () => {
    answers.engine_status = () => { throw { kind: 'engineNotRunning', message: `refused ${HOSTILE}` }; };
    const e = await api.engineStatus().catch((x) => x as Error);
    const view = render(EngineDown, { status: { ...lists.status, state: 'disconnected', error: { kind: 'engineNotRunning', message: (e as Error).message } } });
    expectNeutral(view.container);
  });
});

describe('the security view', () => {
  it('shows an image that could not be reviewed as such, never as a clean image', async () => {
    answers.security_audit = () =>
      asFleet({
        ...hostileAudit,
        images: [{ reference: 'busybox:gone', id: imageId, findings: [], error: 'could not review: No such image' }],
      });
    const { security } = await import('../lib/security.svelte');
    await security.refresh();
    const view = render(SecurityView, { onopen: () => {} });
    const box = await view.findByTestId('image-unreviewed');
    expect(box.textContent).toBe('could not review: No such image');
    expect(box.parentElement?.textContent).not.toContain('No findings');
  });
});

describe('an engine that leaves docker info fields empty (Podman)', () => {
  it('says "not reported by this engine" instead of a blank, and names the product', async () => {
    const base = answers.system_info({}) as Record<string, unknown>;
    answers.system_info = () => ({ ...base, product: 'Podman', engineVersion: '4.3.1', loggingDriver: '', cgroupVersion: '', cgroupDriver: '', defaultRuntime: '' });
    const view = render(SystemView, { status: { ...lists.status, engine: 'podman:/run/podman/podman.sock', product: 'Podman' } });
    await waitFor(() => expect(view.container.textContent).toContain('4.3.1'));
    expect(view.getByTestId('system-product').textContent).toBe('Podman');
    expect(view.getByTestId('system-cgroups').textContent).toBe('not reported by this engine');
    expect(view.container.textContent?.match(/not reported by this engine/g)?.length).toBe(3);
  });
});
