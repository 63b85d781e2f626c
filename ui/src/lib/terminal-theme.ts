// xterm.js colours for each app theme. The light palette darkens the ANSI colours so that
// text in each of them stays readable on white (xterm.js's defaults are made for black).
import type { ITheme } from '@xterm/xterm';

const dark: ITheme = {
  background: '#0f1722',
  foreground: '#d4dae2',
  cursor: '#d4dae2',
  cursorAccent: '#0f1722',
  selectionBackground: '#3a5a86',
};

const light: ITheme = {
  background: '#ffffff',
  foreground: '#1b2430',
  cursor: '#1b2430',
  cursorAccent: '#ffffff',
  selectionBackground: '#b9d2f5',
  black: '#1b2430',
  red: '#b0302a',
  green: '#17703d',
  yellow: '#85560f',
  blue: '#2158b8',
  magenta: '#8a3aa8',
  cyan: '#0f6b78',
  white: '#5a6472',
  brightBlack: '#566170',
  brightRed: '#c23b32',
  brightGreen: '#1f7a3e',
  brightYellow: '#9a6410',
  brightBlue: '#1d5fb8',
  brightMagenta: '#9b45bb',
  brightCyan: '#137a88',
  brightWhite: '#3b4552',
};

export function terminalTheme(shown: 'light' | 'dark'): ITheme {
  return shown === 'light' ? light : dark;
}
