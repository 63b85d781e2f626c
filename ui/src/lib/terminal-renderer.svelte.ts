// Which xterm.js renderer the terminals use here (the System page says so): WebGL where the
// webview offers it, else the DOM renderer, with the reason.
class TerminalRenderer {
  name: 'webgl' | 'dom' | null = $state(null);
  why = $state('');

  set(name: 'webgl' | 'dom', why = '') {
    this.name = name;
    this.why = why;
  }
}

export const terminalRenderer = new TerminalRenderer();
