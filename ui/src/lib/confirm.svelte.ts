// A promise-based confirmation, shown by the one ConfirmDialog in App.
export interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
}

class Confirmer {
  pending: (ConfirmRequest & { resolve: (ok: boolean) => void }) | null = $state(null);

  ask(req: ConfirmRequest): Promise<boolean> {
    this.pending?.resolve(false);
    return new Promise((resolve) => {
      this.pending = { ...req, resolve };
    });
  }

  answer(ok: boolean) {
    const p = this.pending;
    this.pending = null;
    p?.resolve(ok);
  }
}

export const confirmer = new Confirmer();
