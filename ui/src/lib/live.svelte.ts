// The app's one live copy of the lists, fed by the backend's Channel.
import { api, toAppError, type AppError } from './api';
import { applyEvent, emptyLists, type Lists } from './lists';

class Live {
  lists: Lists = $state(emptyLists());
  subscribeError: AppError | null = $state(null);

  async start() {
    try {
      await api.watchLists((ev) => {
        this.lists = applyEvent(this.lists, ev);
      });
      this.subscribeError = null;
    } catch (e) {
      this.subscribeError = toAppError(e);
    }
  }
}

export const live = new Live();
