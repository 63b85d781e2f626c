// Pull and push progress, folded into per-layer rows and one overall figure.
import type { ProgressEvent } from './api';

export interface LayerRow {
  id: string;
  status: string;
  current: number | null;
  total: number | null;
}

export interface Progress {
  layers: LayerRow[];
  lines: string[];
  done: string | null;
  error: { kind: string; message: string } | null;
}

export const emptyProgress = (): Progress => ({ layers: [], lines: [], done: null, error: null });

const FINISHED = /^(pull complete|already exists|pushed|layer already exists|download complete|mounted from)/i;

export function applyProgress(p: Progress, ev: ProgressEvent): Progress {
  switch (ev.event) {
    case 'layer': {
      const layers = p.layers.slice();
      const i = layers.findIndex((l) => l.id === ev.data.id);
      const row: LayerRow = {
        id: ev.data.id,
        status: ev.data.status,
        // Keep the last byte counts when a status line carries none.
        current: ev.data.current ?? (i >= 0 && !FINISHED.test(ev.data.status) ? layers[i].current : null),
        total: ev.data.total ?? (i >= 0 ? layers[i].total : null),
      };
      if (i >= 0) layers[i] = row;
      else layers.push(row);
      return { ...p, layers };
    }
    case 'status':
      return { ...p, lines: [...p.lines, ev.data] };
    case 'failed':
      return { ...p, error: ev.data };
    case 'done':
      return { ...p, done: ev.data.reference };
  }
}

/** 0..1: finished layers count whole; others by bytes when known. */
export function overall(p: Progress): number {
  if (p.done) return 1;
  if (p.layers.length === 0) return 0;
  let sum = 0;
  for (const l of p.layers) {
    if (FINISHED.test(l.status)) sum += 1;
    else if (l.total && l.current != null) sum += Math.min(1, l.current / l.total) * 0.95;
  }
  return sum / p.layers.length;
}

export const layerFraction = (l: LayerRow) =>
  FINISHED.test(l.status) ? 1 : l.total && l.current != null ? Math.min(1, l.current / l.total) : 0;
