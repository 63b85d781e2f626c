import type { ExecRequest } from './api';

/** One terminal tab: a session on a container. */
export interface TermTab {
  id: string;
  container: string;
  name: string;
  /** The engine the session runs on (it keeps running when another engine is switched to). */
  engine: string;
  request: ExecRequest;
}

let next = 1;
export function newTab(container: string, name: string, opts: { command?: string; attach?: boolean; engine?: string } = {}): TermTab {
  return {
    id: `t${next++}`,
    container,
    engine: opts.engine ?? '',
    name: opts.attach ? `${name} (attached)` : name,
    request: { command: opts.command ?? '', user: '', workdir: '', env: [], tty: true, cols: 80, rows: 24, attach: opts.attach ?? false },
  };
}
