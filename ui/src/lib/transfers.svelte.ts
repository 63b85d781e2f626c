// Exports, downloads and imports of volumes: each runs in the backend as a stream; here they
// are followed wherever the user goes (a bar at the bottom of the window), and cancelled.
import { api, type TransferEvent } from './api';
import { formatBytes } from './format';
import { toaster } from './toast.svelte';

export interface Transfer {
  key: number;
  stream: number | null;
  label: string;
  bytes: number;
  total: number | null;
  warning: string | null;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  message: string;
}

let next = 1;

class Transfers {
  items: Transfer[] = $state([]);

  /**
   * Starts one: `begin` opens the backend's dialog and stream (null when the user cancelled
   * the dialog). `expected`: the size when known (Compute sizes), for a bar that fills.
   */
  async start(label: string, expected: number | null, begin: (onEvent: (e: TransferEvent) => void) => Promise<number | null>, ondone?: () => void) {
    const key = next++;
    const item: Transfer = { key, stream: null, label, bytes: 0, total: expected, warning: null, state: 'running', message: 'Starting…' };
    this.items.push(item);
    const find = () => this.items.find((t) => t.key === key);
    try {
      const stream = await begin((e) => {
        const t = find();
        if (!t || t.state !== 'running') return;
        switch (e.event) {
          case 'started':
            if (e.data.total !== null) t.total = e.data.total;
            t.warning = e.data.warning;
            t.message = '';
            if (e.data.warning) toaster.show(e.data.warning);
            break;
          case 'progress':
            t.bytes = e.data.bytes;
            break;
          case 'done':
            t.state = 'done';
            t.bytes = e.data.bytes;
            // The bar says it (no toast on top of it).
            t.message = `Done: ${formatBytes(e.data.bytes)}${e.data.entries !== null ? `, ${e.data.entries} entries` : ''} → ${e.data.target}`;
            ondone?.();
            setTimeout(() => this.dismiss(key), 8000);
            break;
          case 'failed':
            t.state = 'failed';
            t.message = e.data.message;
            toaster.show(`${label}: ${e.data.message}`, 'error');
            break;
        }
      });
      const t = find();
      if (stream === null) {
        this.dismiss(key);
        return;
      }
      if (t) t.stream = stream;
    } catch (e) {
      const t = find();
      if (t) {
        t.state = 'failed';
        t.message = (e as Error).message;
      }
      toaster.show(`${label}: ${(e as Error).message}`, 'error');
    }
  }

  async cancel(key: number) {
    const t = this.items.find((x) => x.key === key);
    if (!t || t.state !== 'running') return;
    t.state = 'cancelled';
    t.message = 'Cancelled: nothing was kept.';
    if (t.stream !== null) await api.streamStop(t.stream).catch(() => {});
    setTimeout(() => this.dismiss(key), 4000);
  }

  dismiss(key: number) {
    this.items = this.items.filter((t) => t.key !== key);
  }
}

export const transfers = new Transfers();
