import './lib/boot-errors';
import { mount } from 'svelte';
import App from './App.svelte';
import { prefs } from './lib/prefs.svelte';
import { toaster } from './lib/toast.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('no #app element');
// The preferences come first so that the first paint already has the right theme.
void prefs.load().then(() => {
  for (const p of prefs.problems) toaster.show(p, 'error', 20000);
  mount(App, { target });
});
