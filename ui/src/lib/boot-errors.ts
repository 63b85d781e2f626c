// Imported first: if the UI fails while starting, say so in the window instead of showing a
// blank page. Text only.
function show(message: string) {
  const el = document.getElementById('app');
  if (el && el.childElementCount === 0) {
    const p = document.createElement('pre');
    p.className = 'boot-error';
    p.textContent = `Bulkhead's window failed to start:\n${message}`;
    el.replaceChildren(p);
  }
}
window.addEventListener('error', (e) => show(String(e.error?.stack ?? e.message)));
window.addEventListener('unhandledrejection', (e) => show(String((e.reason as Error)?.stack ?? e.reason)));
