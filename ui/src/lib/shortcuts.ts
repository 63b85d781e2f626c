// Keyboard shortcuts: what each key does where, for the `?` sheet and for the handlers. Keys are
// lazydocker's where it has one (s, r, d, l, e, p, /). A key typed into a field, a terminal or a
// dialog is never taken as a shortcut.

/** The tabs of a container's page. */
export type DetailTab = 'overview' | 'logs' | 'stats' | 'processes' | 'files' | 'events' | 'security' | 'inspect';

export interface Shortcut {
  keys: string[];
  /** The keys are pressed together (Ctrl+K); otherwise each one does it. */
  together?: boolean;
  does: string;
}

export const shortcutGroups: { title: string; items: Shortcut[] }[] = [
  {
    title: 'Anywhere',
    items: [
      { keys: ['?'], does: 'Show or hide these shortcuts' },
      { keys: ['Ctrl', 'K'], together: true, does: 'Go to a container or project by name or ID' },
      { keys: ['Alt', '1 … 9'], together: true, does: 'Open the n-th page of the sidebar (Alt 0: Settings)' },
      { keys: ['Esc'], does: 'Close the dialog; in a detail page, back to the list' },
    ],
  },
  {
    title: 'Containers list',
    items: [
      { keys: ['↓', 'j'], does: 'Next container' },
      { keys: ['↑', 'k'], does: 'Previous container' },
      { keys: ['Home', 'End'], does: 'First, last container' },
      { keys: ['Enter'], does: 'Open the selected container' },
      { keys: ['s'], does: 'Start or stop it' },
      { keys: ['r'], does: 'Restart it' },
      { keys: ['p'], does: 'Pause or unpause it' },
      { keys: ['d', 'Delete'], does: 'Remove it (asks first, unless Settings say not to)' },
      { keys: ['l'], does: 'Its logs' },
      { keys: ['e'], does: 'A terminal (a shell) in it' },
      { keys: ['Space'], does: 'Tick it for a bulk action' },
      { keys: ['/'], does: 'Filter the list' },
    ],
  },
  {
    title: 'Images, volumes and networks',
    items: [
      { keys: ['↓', 'j', '↑', 'k'], does: 'Next, previous row' },
      { keys: ['Home', 'End'], does: 'First, last row' },
      { keys: ['Enter'], does: 'Open the selected row' },
      { keys: ['/'], does: 'Filter the list' },
    ],
  },
  {
    title: 'Dialogs',
    items: [
      { keys: ['Tab'], does: 'Next field or button' },
      { keys: ['Enter'], does: 'The focused button' },
      { keys: ['y', 'n'], does: 'Answer a confirmation yes or no' },
    ],
  },
];

/** Keys typed here belong to what has focus, not to the shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  if (target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], .xterm')) return true;
  return false;
}

/** A dialog is open: its own keys only. */
export function dialogOpen(): boolean {
  return document.querySelector('.modal-backdrop') !== null;
}

export type ListCommand = 'next' | 'prev' | 'first' | 'last' | 'open' | 'toggle-run' | 'restart' | 'toggle-pause' | 'remove' | 'logs' | 'terminal' | 'tick' | 'filter';

/** The containers list's command for a key press, or null. Modifiers other than Shift mean "not ours". */
export function listCommand(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'altKey' | 'metaKey'>): ListCommand | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  switch (e.key) {
    case 'ArrowDown':
    case 'j':
      return 'next';
    case 'ArrowUp':
    case 'k':
      return 'prev';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'Enter':
      return 'open';
    case 's':
      return 'toggle-run';
    case 'r':
      return 'restart';
    case 'p':
      return 'toggle-pause';
    case 'd':
    case 'Delete':
      return 'remove';
    case 'l':
      return 'logs';
    case 'e':
      return 'terminal';
    case ' ':
      return 'tick';
    case '/':
      return 'filter';
    default:
      return null;
  }
}

/** The sidebar page Alt+digit opens: 1 is the first page, 0 the tenth. */
export function pageIndex(e: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey' | 'code'>): number | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  const m = /^Digit([0-9])$/.exec(e.code);
  if (!m) return null;
  const d = Number(m[1]);
  return d === 0 ? 9 : d - 1;
}
