// The user's preferences: read once before the window's first paint, saved by the backend
// (which checks every value) on each change, and applied to the document: theme and density.
import { api, toAppError, type Preferences, type Theme } from './api';
import { toaster } from './toast.svelte';

export const defaults: Preferences = {
  theme: 'system',
  defaultEngine: null,
  stopGraceSeconds: 10,
  confirmDestructive: true,
  density: 'comfortable',
  terminalFontSize: 13,
  terminalScrollback: 5000,
  hiddenColumns: {},
  lastView: 'containers',
};

/** The theme the document shows: the choice, or the desktop's when "as the system". */
export function resolveTheme(theme: Theme, systemDark: boolean): 'light' | 'dark' {
  if (theme === 'system') return systemDark ? 'dark' : 'light';
  return theme;
}

const darkQuery = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

class Prefs {
  value: Preferences = $state({ ...defaults });
  /** Where the file is, for the Settings page. */
  path = $state('');
  /** What was wrong with the file at start-up. */
  problems: string[] = $state([]);
  systemDark = $state(darkQuery?.matches ?? false);
  private changes = 0;
  readonly shown = $derived(resolveTheme(this.value.theme, this.systemDark));

  constructor() {
    darkQuery?.addEventListener('change', (e) => {
      this.systemDark = e.matches;
      this.apply();
    });
  }

  /** Reads the preferences; the defaults when the backend cannot be asked. */
  async load() {
    try {
      const loaded = await api.prefsGet();
      this.value = loaded.prefs;
      this.path = loaded.path;
      this.problems = loaded.problems;
    } catch (e) {
      this.problems = [`The preferences could not be read: ${toAppError(e).message}`];
    }
    this.apply();
  }

  /** Changes some preferences: shown at once, kept when the backend saved them, undone when not. */
  async set(patch: Partial<Preferences>): Promise<boolean> {
    const before = $state.snapshot(this.value);
    const next = { ...before, ...patch };
    const change = ++this.changes;
    this.value = next;
    this.apply();
    try {
      await api.prefsSet(next);
      return true;
    } catch (e) {
      // Only undo what this change did: a later change may have landed meanwhile.
      if (this.changes === change) {
        this.value = before;
        this.apply();
      }
      toaster.show(`The preference was not saved: ${toAppError(e).message}`, 'error');
      return false;
    }
  }

  hidden(list: string): string[] {
    return this.value.hiddenColumns[list] ?? [];
  }

  shows(list: string, column: string): boolean {
    return !this.hidden(list).includes(column);
  }

  toggleColumn(list: string, column: string) {
    const now = this.hidden(list);
    const next = now.includes(column) ? now.filter((c) => c !== column) : [...now, column];
    const hiddenColumns = { ...this.value.hiddenColumns };
    if (next.length) hiddenColumns[list] = next;
    else delete hiddenColumns[list];
    return this.set({ hiddenColumns });
  }

  /** The document follows the theme and density (app.css keys its colours on these). */
  apply() {
    if (typeof document === 'undefined') return;
    const root = document.documentElement;
    root.dataset.theme = resolveTheme(this.value.theme, this.systemDark);
    root.dataset.density = this.value.density;
    root.style.colorScheme = root.dataset.theme;
  }
}

export const prefs = new Prefs();
