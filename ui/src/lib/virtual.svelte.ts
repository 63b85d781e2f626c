// Virtualised table rows (@tanstack/virtual-core): only the rows in and near the viewport are in
// the DOM, so a list of 10,000 containers costs what 40 rows cost. Every row has one height (the
// caller keeps its cells to fixed lines), measured once from a drawn row: measuring each row as it
// appears forced a layout per row and a re-render per size that differed from the estimate
// (60-77 ms of script a scroll step at 2,000 containers in WebKitGTK).
import { tick } from 'svelte';
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type Rect,
  type VirtualItem,
} from '@tanstack/virtual-core';

const SCREENFUL = 900;

export interface VirtualOptions {
  /** The element that scrolls (holds the table). */
  scroller: () => HTMLElement | null;
  /** A row's height before it is measured, in pixels. */
  estimate: number;
  /** Rows rendered beyond each edge of the viewport. */
  overscan?: number;
}

export class VirtualRows {
  /** The rows to render: `index` into the caller's list, `key` the caller's key. */
  items: VirtualItem[] = $state.raw([]);
  /** Heights of the spacer rows above and below the rendered ones. */
  before = $state(0);
  after = $state(0);
  private v: Virtualizer<HTMLElement, HTMLElement>;
  private count = 0;
  private key: (i: number) => string = (i) => String(i);
  /** Space above the first row inside the scroller (the sticky table head). */
  private head = 0;
  private rowHeight: number;

  constructor(private o: VirtualOptions) {
    this.rowHeight = o.estimate;
    this.v = new Virtualizer(this.options());
  }

  private options() {
    return {
      count: this.count,
      getItemKey: this.key,
      estimateSize: () => this.rowHeight,
      getScrollElement: this.o.scroller,
      scrollToFn: elementScroll,
      // A scroller not laid out yet (or hidden, or in jsdom) renders one screenful, not nothing.
      observeElementRect: (v: Virtualizer<HTMLElement, HTMLElement>, cb: (r: Rect) => void) =>
        observeElementRect(v, (r) => cb(r.height > 0 ? r : { width: r.width, height: SCREENFUL })),
      observeElementOffset,
      overscan: this.o.overscan ?? 8,
      paddingStart: this.head,
      scrollPaddingStart: this.head,
      initialRect: { width: 0, height: SCREENFUL },
      onChange: () => this.sync(),
    };
  }

  private sync() {
    const items = this.v.getVirtualItems();
    this.items = items;
    this.before = items.length ? Math.max(0, items[0].start - this.head) : 0;
    this.after = items.length ? Math.max(0, this.v.getTotalSize() - items[items.length - 1].end) : 0;
  }

  /** The list changed: its length and each index's key (sizes are remembered by key). */
  update(count: number, key: (i: number) => string, head = this.head) {
    this.count = count;
    this.key = key;
    this.head = head;
    this.v.setOptions(this.options());
    this.v._willUpdate();
    this.sync();
  }

  /** Call once the scroller is in the DOM ($effect); returns the teardown. */
  mount(): () => void {
    const off = this.v._didMount();
    this.v._willUpdate();
    this.sync();
    return off;
  }

  /**
   * The rows' real height, read from a drawn row (call after a render; a change of density or
   * zoom changes it). A row not laid out (jsdom, a hidden view) reads 0 and changes nothing.
   */
  measureFrom(row: Element | null) {
    const h = row?.getBoundingClientRect().height ?? 0;
    if (h > 0 && Math.abs(h - this.rowHeight) > 0.5) {
      this.rowHeight = h;
      this.v.setOptions(this.options());
      this.v.measure();
      this.sync();
    }
  }

  /** Brings row `index` into view (rendering it), scrolling as little as needed. */
  scrollToIndex(index: number) {
    if (index >= 0 && index < this.count) this.v.scrollToIndex(index, { align: 'auto' });
  }
}

/**
 * Call before rows drawn in place (an unkeyed each) change: if the focused element is in a row
 * of `within` (a `tr[data-key]`) and that row then shows another key, focus moves to the same
 * control (its data-testid) in the row that still shows the old key, or is let go.
 */
export function keepFocus(within: HTMLElement | null) {
  const active = document.activeElement;
  const row = active instanceof HTMLElement ? active.closest('tr[data-key]') : null;
  if (!within || !row || !within.contains(row)) return;
  const key = row.getAttribute('data-key') ?? '';
  const testid = active!.getAttribute('data-testid');
  void tick().then(() => {
    if (row.getAttribute('data-key') === key && row.isConnected) return;
    const same = [...within.querySelectorAll('tr[data-key]')].find((r) => r.getAttribute('data-key') === key);
    const target = testid ? [...(same?.querySelectorAll('[data-testid]') ?? [])].find((e) => e.getAttribute('data-testid') === testid) : null;
    if (target instanceof HTMLElement) target.focus({ preventScroll: true });
    else (active as HTMLElement).blur();
  });
}
