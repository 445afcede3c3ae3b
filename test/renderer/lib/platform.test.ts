// @vitest-environment jsdom
// Shortcuts by platform and which key presses belong to a text field.

import { describe, expect, it } from 'vitest';
import { isMacPlatform, isTextEntry, shortcutLabel } from '../../../renderer/lib/platform.ts';

describe('shortcuts', () => {
  it('writes ⌘ on macOS and Ctrl elsewhere', () => {
    expect(isMacPlatform({ platform: 'MacIntel' })).toBe(true);
    expect(isMacPlatform({ platform: 'Linux x86_64' })).toBe(false);
    expect(isMacPlatform({ platform: '', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' })).toBe(false);
    expect(shortcutLabel('↩', true)).toBe('⌘↩');
    expect(shortcutLabel('↩', false)).toBe('Ctrl+↩');
  });

  it('counts text inputs, text areas, selects and editable elements as text entry, not sliders or buttons', () => {
    const make = (html: string) => {
      document.body.innerHTML = html;
      return document.body.firstElementChild;
    };
    expect(isTextEntry(make('<input type="text">'))).toBe(true);
    expect(isTextEntry(make('<input type="number">'))).toBe(true);
    expect(isTextEntry(make('<textarea></textarea>'))).toBe(true);
    expect(isTextEntry(make('<select></select>'))).toBe(true);
    expect(isTextEntry(make('<input type="range">'))).toBe(false);
    expect(isTextEntry(make('<button>Go</button>'))).toBe(false);
    expect(isTextEntry(null)).toBe(false);
  });
});
