import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, fireEvent, waitFor } from '@testing-library/svelte';
import type { ComposeOutput, ComposeReport } from '../lib/api';

const composeTool = vi.fn();
const composeRun = vi.fn();
const composeReview = vi.fn();
const streamStop = vi.fn();
vi.mock('../lib/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/api')>();
  return { ...real, api: { composeTool, composeRun, composeReview, streamStop } };
});

const { default: ComposeView } = await import('./ComposeView.svelte');
const { default: ConfirmDialog } = await import('../lib/components/ConfirmDialog.svelte');

const finding = (severity: 'critical' | 'low', ruleId: string, line: number) => ({
  service: 'web',
  location: { line, column: 5, key: `services.web.${ruleId}` },
  finding: { ruleId, severity, title: ruleId, why: 'why', evidence: ['seen'], fix: 'fix', cis: null, owasp: null, quickFix: null },
});
const report = (findings: ReturnType<typeof finding>[]): ComposeReport => ({
  file: {
    path: '/srv/shop/compose.yaml', dir: '/srv/shop', project: 'shop',
    services: [{ name: 'web', line: 2, image: 'busybox', build: null, ports: [], volumes: [], networks: [], profiles: [] }],
    volumes: [], networks: [], unsetVariables: ['DB_PASSWORD'], notes: [],
  },
  services: [{ service: 'web', score: findings.length ? 40 : 100, grade: findings.length ? 'F' : 'A', findings }],
  grade: findings.length ? 'F' : 'A',
  summary: { containers: 1, critical: 0, high: 0, medium: 0, low: 0, info: 0 },
});

beforeEach(() => {
  for (const f of [composeTool, composeRun, composeReview, streamStop]) f.mockReset();
  streamStop.mockResolvedValue(true);
});

describe('ComposeView', () => {
  it('says how to install Compose when there is none, and will not run', async () => {
    composeTool.mockResolvedValue(null);
    const v = render(ComposeView, { report: report([]), onback: () => {} });
    expect((await v.findByTestId('compose-missing')).textContent).toContain('apt-get install docker-compose');
    expect((v.getByTestId('compose-up') as HTMLButtonElement).disabled).toBe(true);
    expect(v.getByTestId('compose-unset').textContent).toContain('$DB_PASSWORD');
  });

  it('asks before Up with a critical finding; Up anyway runs it and streams the output; Cancel stops it', async () => {
    composeTool.mockResolvedValue({ command: 'docker-compose', version: '1.29.2', v2: false });
    let emit: (e: ComposeOutput) => void = () => {};
    composeRun.mockImplementation(async (_path: string, _project: string, _cmd: string, onEvent: (e: ComposeOutput) => void) => {
      emit = onEvent;
      return 7;
    });
    const v = render(ComposeView, { report: report([finding('critical', 'container.privileged', 4)]), onback: () => {} });
    const dialog = render(ConfirmDialog);
    await v.findByTestId('compose-tool');
    expect(v.getByTestId('compose-finding').dataset.line).toBe('4');
    await fireEvent.click(v.getByTestId('compose-up'));
    const ok = await dialog.findByTestId('confirm-ok');
    expect(ok.textContent).toBe('Up anyway');
    expect(composeRun).not.toHaveBeenCalled();
    await fireEvent.click(ok);
    await waitFor(() => expect(composeRun).toHaveBeenCalledWith('/srv/shop/compose.yaml', 'shop', 'up', expect.any(Function)));
    emit({ event: 'started', data: { command: ['docker-compose', 'up', '-d'] } });
    emit({ event: 'line', data: { stderr: true, text: 'Creating shop_web_1 ... done' } });
    await waitFor(() => expect(v.getByTestId('compose-lines').textContent).toContain('Creating shop_web_1'));
    await fireEvent.click(v.getByTestId('compose-cancel'));
    await waitFor(() => expect(streamStop).toHaveBeenCalledWith(7));
    expect(v.getByTestId('compose-output').dataset.running).toBe('');
  });

  it('runs Up at once when the review found nothing serious', async () => {
    composeTool.mockResolvedValue({ command: 'docker-compose', version: '1.29.2', v2: false });
    composeRun.mockResolvedValue(3);
    const v = render(ComposeView, { report: report([finding('low', 'container.no-cpu-limit', 2)]), onback: () => {} });
    await v.findByTestId('compose-tool');
    await fireEvent.click(v.getByTestId('compose-up'));
    await waitFor(() => expect(composeRun).toHaveBeenCalled());
  });
});
