// The keyboard's row in a list: ↓/↑ (j/k), Home/End move it, Enter opens the row, / goes to
// the filter; a list with actions on its rows (containers) answers the other shortcuts too.
import { tick } from 'svelte';
import { dialogOpen, isTyping, listCommand, type ListCommand } from './shortcuts';

const moves = new Set<ListCommand>(['next', 'prev', 'first', 'last', 'open', 'filter']);

export class RowCursor<T> {
  /** The key of the row the keyboard is on, if any. */
  key: string | null = $state(null);

  constructor(
    private o: {
      rows: () => T[];
      key: (row: T) => string;
      open: (row: T) => void;
      /** data-testid of the rows and of the filter box; the attribute that holds a row's key. */
      rowTestid: string;
      keyAttr?: string;
      filterTestid: string;
      /** Brings a row that is not drawn yet into the DOM (a virtual list scrolls to it). */
      reveal?: (row: T) => void;
      /** The list's other shortcuts (lib/shortcuts) on the row the keyboard is on. */
      act?: (cmd: ListCommand, row: T) => void;
    },
  ) {}

  private async moveTo(row: T | undefined) {
    if (row === undefined) return;
    this.key = this.o.key(row);
    this.o.reveal?.(row);
    await tick();
    // Compared, not put in a selector: a volume's name is the engine's (hostile) text.
    const attr = `data-${this.o.keyAttr ?? 'id'}`;
    [...document.querySelectorAll(`[data-testid=${this.o.rowTestid}]`)]
      .find((el) => el.getAttribute(attr) === this.key)
      ?.scrollIntoView?.({ block: 'nearest' });
  }

  /** For `<svelte:window onkeydown={…}>`. */
  onkey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || isTyping(e.target) || dialogOpen()) return;
    const cmd = listCommand(e);
    if (!cmd || (!moves.has(cmd) && !this.o.act)) return;
    e.preventDefault();
    const rows = this.o.rows();
    const i = rows.findIndex((r) => this.o.key(r) === this.key);
    switch (cmd) {
      case 'next':
        return void this.moveTo(rows[Math.min(i + 1, rows.length - 1)]);
      case 'prev':
        return void this.moveTo(rows[i < 0 ? 0 : Math.max(i - 1, 0)]);
      case 'first':
        return void this.moveTo(rows[0]);
      case 'last':
        return void this.moveTo(rows[rows.length - 1]);
      case 'open':
        if (i >= 0) this.o.open(rows[i]);
        return;
      case 'filter':
        (document.querySelector(`[data-testid=${this.o.filterTestid}]`) as HTMLInputElement | null)?.focus();
        return;
      default:
        if (i >= 0) this.o.act?.(cmd, rows[i]);
    }
  };

  is(row: T): boolean {
    return this.key === this.o.key(row);
  }
}
