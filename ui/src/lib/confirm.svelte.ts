// A promise-based confirmation, shown by the one ConfirmDialog in App.
import { prefs } from './prefs.svelte';

export interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
  /** It removes or kills something the user asked to: skipped (taken as confirmed, with the
   * option's default) when the Settings say not to ask. Security warnings never set this. */
  destructive?: boolean;
  /** An option the user can tick, e.g. "Also remove anonymous volumes". */
  option?: { label: string; checked: boolean };
}

export interface ConfirmAnswer {
  ok: boolean;
  option: boolean;
}

class Confirmer {
  pending: (ConfirmRequest & { resolve: (a: ConfirmAnswer) => void }) | null = $state(null);
  option = $state(false);

  /** Resolves true when confirmed. */
  async ask(req: ConfirmRequest): Promise<boolean> {
    return (await this.askWithOption(req)).ok;
  }

  askWithOption(req: ConfirmRequest): Promise<ConfirmAnswer> {
    if (req.destructive && !prefs.value.confirmDestructive) return Promise.resolve({ ok: true, option: req.option?.checked ?? false });
    this.pending?.resolve({ ok: false, option: false });
    this.option = req.option?.checked ?? false;
    return new Promise((resolve) => {
      this.pending = { ...req, resolve };
    });
  }

  answer(ok: boolean) {
    const p = this.pending;
    this.pending = null;
    p?.resolve({ ok, option: this.option });
  }
}

export const confirmer = new Confirmer();
