// The application menu: macOS gets the app menu with About first, then Edit, View, Window, Help; developer tools
// only in development; links open through the given opener.

import { describe, expect, it } from 'vitest';
import { menuTemplate, type MenuOptions } from '../../../../main/transport/electron-main/menu.ts';

function options(overrides: Partial<MenuOptions> = {}): MenuOptions & { opened: string[]; abouts: number } {
  const state = { opened: [] as string[], abouts: 0 };
  return Object.assign(state, {
    platform: 'darwin' as const,
    appName: 'TeaCache Studio',
    devTools: false,
    homepage: 'https://example.com/studio',
    openExternal: (url: string) => state.opened.push(url),
    showAbout: () => state.abouts++,
    ...overrides,
  });
}

const roles = (items: unknown) => (items as { role?: string; label?: string }[]).map((item) => item.role ?? item.label ?? 'separator');

describe('menuTemplate', () => {
  it('follows the macOS layout', () => {
    const opts = options();
    const menu = menuTemplate(opts);
    expect(menu.map((item) => item.label)).toEqual(['TeaCache Studio', 'Edit', 'View', 'Window', 'Help']);
    const appMenu = menu[0]!.submenu as { label?: string; click?: () => void }[];
    expect(appMenu[0]!.label).toBe('About TeaCache Studio');
    appMenu[0]!.click!();
    expect(opts.abouts).toBe(1);
    expect(roles(menu[0]!.submenu)).toContain('quit');
    expect(roles(menu[1]!.submenu)).toEqual(['undo', 'redo', 'separator', 'cut', 'copy', 'paste', 'pasteAndMatchStyle', 'delete', 'selectAll']);
    expect(roles(menu[3]!.submenu)).toEqual(['minimize', 'zoom', 'separator', 'front']);
    expect(roles(menu[2]!.submenu)).not.toContain('toggleDevTools');
  });

  it('offers developer tools only in development, and a File menu off macOS', () => {
    const menu = menuTemplate(options({ platform: 'linux', devTools: true }));
    expect(menu[0]!.label).toBe('File');
    expect(roles(menu[2]!.submenu)).toContain('toggleDevTools');
    expect(roles(menu[4]!.submenu)).toContain('About TeaCache Studio');
  });

  it('opens the homepage through the external opener', () => {
    const opts = options();
    const help = menuTemplate(opts)[4]!.submenu as { click?: () => void }[];
    help[0]!.click!();
    expect(opts.opened).toEqual(['https://example.com/studio']);
  });
});
