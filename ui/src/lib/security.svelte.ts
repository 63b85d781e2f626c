// The security review of every container, refreshed when the containers list changes
// (debounced: a burst of events costs one audit).
import { api, toAppError, type AppError, type ContainerReport, type ContainerReview, type Finding, type QuickFix, type Severity } from './api';
import { toaster } from './toast.svelte';
import { mergeReview, type Review } from './fleet';

export type { Review };

export const severities: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Findings by severity, most severe first, empty groups left out. */
export function groupBySeverity(findings: Finding[]): { severity: Severity; findings: Finding[] }[] {
  return severities
    .map((severity) => ({ severity, findings: findings.filter((f) => f.severity === severity) }))
    .filter((g) => g.findings.length > 0);
}

export function counts(findings: Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) c[f.severity] += 1;
  return c;
}

class Security {
  // Raw: a review replaces the report whole (so no deep proxies over thousands of findings),
  // and rows find theirs through `byId`, not by a scan of the list.
  report: Review | null = $state.raw(null);
  private byId: Map<string, ContainerReview> = $derived(new Map((this.report?.containers ?? []).map((c) => [c.id, c])));
  /** The containers' reviews this window holds, by fingerprint: the backend sends only others. */
  private held = new Map<string, ContainerReview>();
  /** Bumped by `forget`: an answer about the engine used before is dropped. */
  private epoch = 0;
  error: AppError | null = $state(null);
  loading = $state(false);
  private signature = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private again = false;

  /** Another engine is in use: its review starts afresh. */
  forget() {
    this.epoch += 1;
    this.report = null;
    this.held = new Map();
    this.error = null;
    this.signature = '';
  }

  /** The containers changed (ids and states): audit again shortly. */
  schedule(signature: string, delay = 500) {
    if (signature === this.signature) return;
    this.signature = signature;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, delay);
  }

  async refresh() {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      const epoch = this.epoch;
      const fleet = await api.securityAudit([...this.held.keys()]);
      if (epoch === this.epoch) {
        const { review, held } = mergeReview(fleet, this.held);
        this.report = review;
        this.held = held;
      }
      this.error = null;
    } catch (e) {
      this.error = toAppError(e);
    } finally {
      this.loading = false;
    }
    if (this.again) {
      this.again = false;
      void this.refresh();
    }
  }

  of(id: string): ContainerReview | undefined {
    return this.byId.get(id);
  }

  /** Applies a one-click fix; says whether the kernel shows it. The fresh review, or null. */
  async applyFix(id: string, fix: QuickFix, f: Finding): Promise<ContainerReport | null> {
    try {
      const r = await api.securityFix(id, fix);
      this.update(r);
      if (r.findings.some((x) => x.ruleId === f.ruleId)) toaster.show(`The engine accepted the change, but the kernel does not show it yet: ${f.title}`, 'error');
      else toaster.show(`Fixed: ${f.title}`);
      return r;
    } catch (e) {
      toaster.show(toAppError(e).message, 'error');
      return null;
    }
  }

  /** A fresher review of one container (after a fix) replaces its row. */
  update(full: ContainerReport) {
    if (!this.report) return;
    const { id, name, image, running, score, grade, findings } = full;
    const r: ContainerReview = { id, name, image, running, score, grade, findings };
    const i = this.report.containers.findIndex((c) => c.id === r.id);
    if (i >= 0) this.report = { ...this.report, containers: this.report.containers.map((c, j) => (j === i ? r : c)) };
    // The review held under the old fingerprint is no longer what is shown: asked for again.
    for (const [fp, c] of this.held) if (c.id === r.id) this.held.delete(fp);
  }
}

export const security = new Security();
