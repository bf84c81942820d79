import { describe, expect, it } from 'vitest';
import { sanitize, sanitizeDeep } from '../../../src/text/sanitize.ts';

describe('sanitize', () => {
  const cases: [string, string, string][] = [
    ['ED: clear screen (ESC[2J)', 'before\x1b[2Jafter', 'beforeafter'],
    ['CSI with parameters and intermediates', 'a\x1b[1;31mred\x1b[0m b\x1b[?25l', 'ared b'],
    ['OSC 0 window title, BEL-terminated', 'x\x1b]0;pwned title\x07y', 'xy'],
    ['OSC 0 window title, ST-terminated', 'x\x1b]0;title\x1b\\y', 'xy'],
    ['OSC 52 clipboard write', 'copy\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07me', 'copyme'],
    ['OSC 8 hyperlink', '\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\', 'click'],
    ['DCS string', 'a\x1bP1$r0m\x1b\\b', 'ab'],
    ['APC / PM / SOS strings', 'a\x1b_apc\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d', 'abcd'],
    ['8-bit C1 CSI', 'a\x9b2Jb', 'ab'],
    ['8-bit C1 OSC ended by 8-bit ST', 'a\x9d0;t\x9cb', 'ab'],
    ['other C1 controls', 'a\x85b\x8dc', 'abc'],
    ['BEL', 'ding\x07dong', 'dingdong'],
    ['carriage return cannot overwrite the line', 'safe\rEVIL', 'safeEVIL'],
    ['backspace cannot erase', 'rm -rf /tmp\b\b\b\bhome', 'rm -rf /tmphome'],
    ['U+202E right-to-left override', 'file\u202Egnp.exe', 'filegnp.exe'],
    ['BiDi isolates and marks', 'a\u2066b\u2069c\u200Fd\u061Ce', 'abcde'],
    ['lone ESC and two-char sequences (ESC c is RIS)', 'a\x1b(Bb\x1bcX\x1b', 'abX'],
    ['unterminated OSC swallows the rest', 'ok\x1b]0;never ends', 'ok'],
    ['DEL', 'a\x7fb', 'ab'],
    ['NUL and other C0', 'a\x00b\x1fc', 'abc'],
    ['tab becomes a space', 'a\tb', 'a b'],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(sanitize(input)).toBe(want));

  it('turns line breaks into spaces unless multiline', () => {
    expect(sanitize('one\ntwo\r\nthree')).toBe('one two three');
    expect(sanitize('one\ntwo\r\nthree', { multiline: true })).toBe('one\ntwo\nthree');
  });

  it('keeps ordinary Unicode', () => {
    expect(sanitize('café → ✓ 日本 🙂')).toBe('café → ✓ 日本 🙂');
  });

  it('cuts long text with an ellipsis', () => {
    expect(sanitize('abcdefghij', { max: 5 })).toBe('abcd…');
  });

  it('sanitises every string of a value, keys included', () => {
    const v = sanitizeDeep({ 'k\x1b[31m': ['a\x1b]0;x\x07', { n: 1, s: 'b\u202E' }], ok: true, nil: null });
    expect(v).toEqual({ k: ['a', { n: 1, s: 'b' }], ok: true, nil: null });
  });

  it('accepts non-strings', () => {
    expect(sanitize(undefined)).toBe('');
    expect(sanitize(42)).toBe('42');
  });
});
