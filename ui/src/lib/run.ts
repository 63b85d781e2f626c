// The Run form's state helpers. Validation itself lives in the backend (core); the form asks
// it on every change and shows what it says next to each field.
import type { FieldIssue, RunCheck, RunRequest } from './api';

export function emptyRequest(image = ''): RunRequest {
  return {
    image,
    name: '',
    ports: [],
    publishAll: false,
    pidsLimit: '',
    memory: '',
    cpus: '',
    interactive: false,
    tty: false,
    detach: true,
    command: '',
    entrypoint: '',
    env: [],
    mounts: [],
    workdir: '',
    user: '',
    restart: 'no',
    restartRetries: '',
    readOnly: false,
    capDrop: [],
    noNewPrivileges: false,
    labels: [],
    network: "",
  };
}

/** The issue for one field path (`ports.0.hostPort`), if any. */
export function issueFor(issues: FieldIssue[] | undefined, field: string): string | undefined {
  return issues?.find((i) => i.field === field)?.message;
}

/** Issues that belong to no field shown in the form (defensive: none are expected). */
export function otherIssues(check: RunCheck | null, shown: (field: string) => boolean): FieldIssue[] {
  return check ? check.errors.filter((e) => !shown(e.field)) : [];
}

export const isAllInterfaces = (ip: string) => ['0.0.0.0', '::', '[::]'].includes(ip.trim());
