// Volume sizes, measured only when the user asks (`GET /system/df` walks every volume's files).
// They belong to the engine they were measured on; Cancel stops waiting for the answer.
import { api, toAppError, type AppError, type VolumeSize } from './api';

class VolumeSizes {
  sizes: Map<string, VolumeSize> | null = $state(null);
  busy = $state(false);
  elapsed = $state(0);
  error: AppError | null = $state(null);
  private generation = 0;

  async compute() {
    const gen = ++this.generation;
    this.busy = true;
    this.error = null;
    this.elapsed = 0;
    const started = Date.now();
    const tick = setInterval(() => (this.elapsed = Math.round((Date.now() - started) / 1000)), 1000);
    try {
      const list = await api.volumeSizes();
      if (gen === this.generation) this.sizes = new Map(list.map((s) => [s.name, s]));
    } catch (e) {
      if (gen === this.generation) this.error = toAppError(e);
    } finally {
      clearInterval(tick);
      if (gen === this.generation) this.busy = false;
    }
  }

  cancel() {
    this.generation++;
    this.busy = false;
  }

  /** Another engine: its volumes are not these. */
  forget() {
    this.cancel();
    this.sizes = null;
    this.error = null;
  }
}

export const volumeSizes = new VolumeSizes();
