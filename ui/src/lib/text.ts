// Text from the engine, an image, a container or a remote host is hostile. Outside the
// terminal it is shown only after control characters and invisible direction marks are
// neutralised (the same set as core's `text::neutralise`): a label cannot move the cursor,
// ring a bell or reorder what the user reads (U+202E makes "evil‮gpj.exe" read "evilexe.jpg").
// The API layer applies this to every result and event from the backend (lib/api), so every
// view gets neutralised text; the log renderer applies it after reading colour sequences.

const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same, but a tab stays a tab (log lines). */
const DANGEROUS_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const ANY_DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const DANGEROUS_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A file's text for showing: lines and tabs stay, every other control character and direction mark is U+FFFD. */
export function neutraliseText(s: string): string {
  return s.replace(DANGEROUS_IN_TEXT, '\uFFFD');
}

/** Replaces every control character and direction mark with U+FFFD. */
export function neutralise(s: string, opts: { keepTabs?: boolean } = {}): string {
  return s.replace(opts.keepTabs ? DANGEROUS_BUT_TAB : DANGEROUS, '\uFFFD');
}

/** Whether `s` holds anything `neutralise` would replace. */
export function isDangerous(s: string): boolean {
  return ANY_DANGEROUS.test(s);
}

/**
 * Neutralises every string in a JSON-like value: array items, object keys and values, at any
 * depth. Binary data (ArrayBuffer, typed arrays) is left alone. Two keys that differ only in
 * what was neutralised both stay, the second with a " (2)" suffix: nothing is hidden.
 */
export function neutraliseDeep<T>(value: T): T {
  return deep(value) as T;
}

function deep(v: unknown): unknown {
  if (typeof v === 'string') return isDangerous(v) ? neutralise(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map(deep);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    let key = isDangerous(k) ? neutralise(k) : k;
    for (let n = 2; Object.prototype.hasOwnProperty.call(out, key); n++) key = `${neutralise(k)} (${n})`;
    out[key] = deep(x);
  }
  return out;
}
