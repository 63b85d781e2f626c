import { describe, expect, it, vi } from 'vitest';
import { render, fireEvent } from '@testing-library/svelte';
import FindingList from './FindingList.svelte';
import type { Finding } from '../api';

const finding = (over: Partial<Finding>): Finding => ({
  ruleId: 'container.no-pids-limit',
  severity: 'medium',
  title: 'No limit on the number of processes',
  why: 'a fork bomb',
  evidence: ['kernel: pids.max = max'],
  fix: 'docker update --pids-limit 512',
  cis: '5.29',
  owasp: 'RULE #7',
  quickFix: { kind: 'pidsLimit', limit: 512 },
  ...over,
});

describe('FindingList', () => {
  it('groups by severity, most severe first, and shows evidence, fix and references', () => {
    const { getAllByTestId, container } = render(FindingList, {
      findings: [finding({}), finding({ ruleId: 'container.privileged', severity: 'critical', title: 'Runs privileged', quickFix: null })],
    });
    const groups = [...container.querySelectorAll('.sev-group')].map((g) => (g as HTMLElement).dataset.testid);
    expect(groups).toEqual(['sev-critical', 'sev-medium']);
    const text = getAllByTestId('finding')[1].textContent ?? '';
    expect(text).toContain('kernel: pids.max = max');
    expect(text).toContain('CIS Docker Benchmark 5.29');
    expect(text).toContain('OWASP Docker Cheat Sheet RULE #7');
  });

  it('offers the one-click fix and hands it over', async () => {
    const onfix = vi.fn();
    const { getByTestId } = render(FindingList, { findings: [finding({})], onfix });
    const button = getByTestId('quick-fix');
    expect(button.textContent).toBe('Set pids limit to 512');
    await fireEvent.click(button);
    expect(onfix).toHaveBeenCalledWith({ kind: 'pidsLimit', limit: 512 }, expect.objectContaining({ ruleId: 'container.no-pids-limit' }));
  });

  it('shows hostile evidence as text', () => {
    const evil = '<img src=x onerror="alert(1)">';
    const { container } = render(FindingList, { findings: [finding({ evidence: [evil] })] });
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toContain(evil);
  });
});
