import { describe, expect, it } from 'vitest';
import { parseAnsi, plainText } from './ansi';

describe('ansi', () => {
  it('turns SGR colours into styled segments', () => {
    const { segments } = parseAnsi('a\u001b[1;31mred\u001b[0m b');
    expect(segments).toEqual([{ text: 'a' }, { text: 'red', bold: true, fg: '#cd3131' }, { text: ' b' }]);
  });
  it('supports 256 colours and true colour', () => {
    expect(parseAnsi('\u001b[38;5;196mx').segments[0].fg).toBe('rgb(255, 0, 0)');
    expect(parseAnsi('\u001b[48;2;1;2;3mx').segments[0].bg).toBe('rgb(1, 2, 3)');
  });
  it('drops cursor moves, titles and OSC 52 clipboard writes', () => {
    expect(plainText('\u001b[2J\u001b[Hclear')).toBe('clear');
    expect(plainText('x\u001b]52;c;ZXZpbA==\u0007y')).toBe('xy');
    expect(plainText('x\u001b]0;title\u001b\\y')).toBe('xy');
  });
  it('neutralises other control characters and direction overrides', () => {
    expect(plainText('bell\u0007 bs\u0008 rlo\u202e')).toBe('bell\uFFFD bs\uFFFD rlo\uFFFD');
    expect(plainText('tab\there')).toBe('tab\there');
  });
  it('carries an open style to the next line', () => {
    const first = parseAnsi('\u001b[32mgreen');
    const second = parseAnsi('still', first.style);
    expect(second.segments[0].fg).toBe('#0dbc79');
  });
});
