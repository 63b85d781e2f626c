import './lib/boot-errors';
import { mount } from 'svelte';
import App from './App.svelte';
import { prefs } from './lib/prefs.svelte';
import { live } from './lib/live.svelte';
import { toaster } from './lib/toast.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('no #app element');
// Where start-up time goes (read by `make bench`): the script running, the preferences read,
// the app mounted; the lists' first snapshot is marked by `live`.
performance.mark('bulkhead:script');
// The lists are asked for at once, alongside the preferences, rather than after the mount: the
// snapshot is on its way while the preferences are read and the app is built.
void live.start();
// The preferences come first so that the first paint already has the right theme.
void prefs.load().then(() => {
  performance.mark('bulkhead:prefs');
  for (const p of prefs.problems) toaster.show(p, 'error', 20000);
  mount(App, { target });
  performance.mark('bulkhead:mounted');
});
