// Every test starts from an empty document.
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/svelte';

afterEach(() => cleanup());

// jsdom has no ResizeObserver (Svelte's bind:clientWidth uses one): a quiet stand-in.
if (!('ResizeObserver' in globalThis)) {
  (globalThis as Record<string, unknown>).ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}

// jsdom does not lay out, so it has no scrollIntoView: a quiet stand-in.
if (!Element.prototype.scrollIntoView) Element.prototype.scrollIntoView = function () {};
