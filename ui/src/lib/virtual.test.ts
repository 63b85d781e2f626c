import { describe, expect, it } from 'vitest';
import { tick } from 'svelte';
import { keepFocus } from './virtual.svelte';

// Rows drawn in place: the <tr> stays, its data-key (the container it shows) changes.
function table(keys: string[]) {
  const scroller = document.createElement('div');
  const tbody = scroller.appendChild(document.createElement('table')).appendChild(document.createElement('tbody'));
  for (const k of keys) {
    const tr = document.createElement('tr');
    tr.setAttribute('data-key', k);
    const b = document.createElement('button');
    b.setAttribute('data-testid', 'row-stop');
    tr.appendChild(document.createElement('td')).appendChild(b);
    tbody.appendChild(tr);
  }
  document.body.appendChild(scroller);
  const rows = [...tbody.querySelectorAll('tr')];
  const shift = (keys2: string[]) => rows.forEach((r, i) => r.setAttribute('data-key', keys2[i]));
  return { scroller, rows, shift, button: (i: number) => rows[i].querySelector('button')! };
}

describe('keepFocus', () => {
  it('moves focus with its row when the rows shift under it', async () => {
    const t = table(['a', 'b', 'c']);
    t.button(1).focus();
    keepFocus(t.scroller);
    t.shift(['b', 'c', 'd']);
    await tick();
    expect(document.activeElement).toBe(t.button(0));
    t.scroller.remove();
  });
  it('lets go when the focused row is no longer drawn', async () => {
    const t = table(['a', 'b', 'c']);
    t.button(0).focus();
    keepFocus(t.scroller);
    t.shift(['x', 'y', 'z']);
    await tick();
    expect(document.activeElement).toBe(document.body);
    t.scroller.remove();
  });
  it('leaves focus alone when its row still shows the same key, or is outside the rows', async () => {
    const t = table(['a', 'b']);
    t.button(1).focus();
    keepFocus(t.scroller);
    await tick();
    expect(document.activeElement).toBe(t.button(1));
    const outside = document.body.appendChild(document.createElement('input'));
    outside.focus();
    keepFocus(t.scroller);
    t.shift(['q', 'r']);
    await tick();
    expect(document.activeElement).toBe(outside);
    outside.remove();
    t.scroller.remove();
  });
});
