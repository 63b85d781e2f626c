import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

/**
 * Tauri freezes Object.prototype (freezePrototype: true). xterm.js 6 (and @xterm/addon-webgl
 * 0.19, which bundles the same code) assigns `toString` to a plain namespace object, which a
 * frozen prototype turns into a TypeError ("override mistake"). Define that property instead of assigning it. The build fails if the pattern is
 * not found exactly once, so an xterm.js update that changes it is noticed.
 */
function xtermFrozenPrototype(): Plugin {
  return {
    name: 'bulkhead-xterm-frozen-prototype',
    enforce: 'pre',
    transform(code, id) {
      // xterm.js itself and its WebGL addon, which bundles the same namespace.
      if (!/@xterm[\\/](xterm[\\/]lib[\\/]xterm|addon-webgl[\\/]lib[\\/]addon-webgl)\.mjs/.test(id)) return null;
      const pattern = /([A-Za-z_$][\w$]*)\.toString=([A-Za-z_$][\w$]*);/g;
      const found = code.match(pattern)?.length ?? 0;
      if (found !== 1) throw new Error(`xterm.js: expected one namespace toString assignment, found ${found}`);
      return { code: code.replace(pattern, 'Object.defineProperty($1,"toString",{value:$2,writable:!0,configurable:!0});'), map: null };
    },
  };
}

// The desktop shell serves ui/dist from its own protocol; no dev server is configured in
// tauri.conf.json, so every build of the app embeds the built UI.
export default defineConfig({
  plugins: [xtermFrozenPrototype(), svelte()],
  clearScreen: false,
  build: {
    target: 'safari15',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
