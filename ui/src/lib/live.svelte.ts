// The app's one live copy of the lists, fed by the backend's Channel, and the engine switcher.
import { api, toAppError, type AppError, type EnginesView } from './api';
import { applyEvent, emptyLists, type Lists } from './lists';

class Live {
  // Raw: every event replaces the lists (applyEvent is pure), so no deep proxies over 1,000s of
  // containers, and an unchanged array keeps its identity (the views' deriveds stop there).
  lists: Lists = $state.raw(emptyLists());
  subscribeError: AppError | null = $state(null);
  engines: EnginesView | null = $state(null);
  enginesError: AppError | null = $state(null);
  /** Which subscription the lists come from: events of an older one (another engine) are dropped. */
  private generation = 0;

  async start() {
    const gen = ++this.generation;
    try {
      await api.watchLists((ev) => {
        if (gen !== this.generation) return;
        if (ev.event === 'snapshot' && performance.getEntriesByName('bulkhead:snapshot').length === 0) performance.mark('bulkhead:snapshot');
        this.lists = applyEvent(this.lists, ev);
      });
      this.subscribeError = null;
    } catch (e) {
      this.subscribeError = toAppError(e);
    }
  }

  async refreshEngines() {
    try {
      this.engines = await api.enginesList();
      this.enginesError = null;
    } catch (e) {
      this.enginesError = toAppError(e);
    }
  }

  /**
   * Makes `id` the engine in use and streams its lists (a snapshot first: instant when the
   * engine was already being watched). Throws the backend's error (e.g. confirmationNeeded).
   */
  async switchTo(id: string, confirmed = false) {
    const status = await api.engineSwitch(id, confirmed);
    this.lists = { ...emptyLists(), status };
    await this.start();
    await this.refreshEngines();
  }
}

export const live = new Live();
