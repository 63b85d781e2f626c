import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, fireEvent, waitFor } from '@testing-library/svelte';

const runCheck = vi.fn();
const runContainer = vi.fn();
const runParse = vi.fn();
vi.mock('../api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../api')>();
  return { ...real, api: { runCheck, runContainer, runParse } };
});

const { default: RunDialog } = await import('./RunDialog.svelte');

const clean = { findings: [], securityScore: 100, securityGrade: 'A' };

beforeEach(() => {
  runCheck.mockReset();
  runContainer.mockReset();
  runParse.mockReset();
});

describe('RunDialog', () => {
  it('shows the backend’s errors next to their fields and will not run', async () => {
    runCheck.mockResolvedValue({
      errors: [{ field: 'pidsLimit', message: '0 does not mean unlimited' }],
      warnings: [{ field: 'ports.0.hostIp', message: 'every network interface' }],
      command: 'docker run -d --pids-limit 0 busybox',
      ...clean,
    });
    const { findByTestId, getByTestId } = render(RunDialog, { image: 'busybox', images: [], onclose: () => {}, onstarted: () => {} });
    expect((await findByTestId('error-pidsLimit')).textContent).toContain('0 does not mean unlimited');
    expect((getByTestId('run-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(getByTestId('run-preview').textContent).toBe('docker run -d --pids-limit 0 busybox');
    // What was checked is what the form holds.
    expect(runCheck.mock.calls.at(-1)?.[0].image).toBe('busybox');
  });

  it('sends the form to the backend and reports a typed failure', async () => {
    runCheck.mockResolvedValue({ errors: [], warnings: [], command: 'docker run -d busybox', ...clean });
    runContainer.mockRejectedValue({ kind: 'conflict', message: 'The name is taken' });
    const started = vi.fn();
    const { findByTestId, getByTestId } = render(RunDialog, { image: 'busybox', images: [], onclose: () => {}, onstarted: started });
    await waitFor(() => expect((getByTestId('run-submit') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(getByTestId('run-submit'));
    const err = await findByTestId('run-error');
    expect(err.dataset.kind).toBe('conflict');
    expect(err.textContent).toContain('The name is taken');
    expect(started).not.toHaveBeenCalled();
    expect(runContainer.mock.calls[0][0].image).toBe('busybox');
  });

  it('fills the form from a pasted line and names what it could not apply', async () => {
    runCheck.mockResolvedValue({ errors: [], warnings: [], command: '', ...clean });
    runParse.mockResolvedValue({
      request: { ...(await import('../run')).emptyRequest('nginx'), name: 'web', pidsLimit: '6' },
      unsupported: ['--privileged'],
    });
    const { getByTestId, findByTestId } = render(RunDialog, { images: [], onclose: () => {}, onstarted: () => {} });
    await fireEvent.input(getByTestId('run-paste'), { target: { value: 'docker run --privileged --name web nginx' } });
    await fireEvent.click(getByTestId('run-paste-apply'));
    expect((await findByTestId('run-paste-note')).textContent).toContain('--privileged');
    expect((getByTestId('run-name') as HTMLInputElement).value).toBe('web');
    expect((getByTestId('run-pids') as HTMLInputElement).value).toBe('6');
  });

  it('shows what the security review would find before the container exists', async () => {
    runCheck.mockResolvedValue({
      errors: [],
      warnings: [],
      command: 'docker run -d --privileged busybox',
      findings: [
        {
          ruleId: 'container.privileged',
          severity: 'critical',
          title: 'Runs privileged',
          why: 'every capability',
          evidence: ['HostConfig.Privileged = true'],
          fix: 'Remove --privileged',
          cis: '5.5',
          owasp: 'RULE #3',
          quickFix: null,
        },
      ],
      securityScore: 60,
      securityGrade: 'F',
    });
    const { findByTestId } = render(RunDialog, { image: 'busybox', images: [], onclose: () => {}, onstarted: () => {} });
    const box = await findByTestId('run-security');
    expect(box.dataset.grade).toBe('F');
    expect(box.textContent).toContain('1 critical');
    expect(box.textContent).toContain('Runs privileged');
    expect(box.textContent).toContain('CIS Docker Benchmark 5.5');
  });
});
