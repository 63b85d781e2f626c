// One backend stream (logs, stats) owned by a component: starting a new one stops the old,
// events of a stream that was replaced are ignored, and stopping is idempotent.
import { api } from './api';

export class StreamSlot {
  private id: number | null = null;
  private generation = 0;

  /** Stops the current stream, if any. */
  async stop() {
    this.generation++;
    if (this.id !== null) {
      const s = this.id;
      this.id = null;
      await api.streamStop(s).catch(() => {});
    }
  }

  /**
   * Opens a stream with `open`, which gets `current()` to check, in its event handler, that
   * the stream has not been replaced meanwhile.
   */
  async start(open: (current: () => boolean) => Promise<number>) {
    // Claim the slot now, before any await: a stop() or start() that comes meanwhile wins.
    const mine = ++this.generation;
    const old = this.id;
    this.id = null;
    if (old !== null) await api.streamStop(old).catch(() => {});
    const current = () => mine === this.generation;
    if (!current()) return;
    const sid = await open(current);
    if (current()) this.id = sid;
    else await api.streamStop(sid).catch(() => {});
  }
}
