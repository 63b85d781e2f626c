// Short messages in a corner: results of actions, errors that belong to no field.
export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

class Toaster {
  items: Toast[] = $state([]);
  private next = 1;

  show(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 3000) {
    const id = this.next++;
    this.items.push({ id, kind, text });
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toaster = new Toaster();
