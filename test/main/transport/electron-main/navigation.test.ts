// Where the desktop window may go: only http(s) leaves (to the system browser), only app:// pages stay, and
// app:// requests never reach files outside the renderer build.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, isAppUrl, isExternalWebUrl, isTrustedFrame, rendererFileFor } from '../../../../main/transport/electron-main/navigation.ts';

describe('isExternalWebUrl', () => {
  it('lets only http and https links out', () => {
    expect(isExternalWebUrl('https://example.com/a')).toBe(true);
    expect(isExternalWebUrl('http://example.com')).toBe(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'app://studio/index.html', 'mailto:a@b.c', 'not a url']) {
      expect(isExternalWebUrl(url), url).toBe(false);
    }
  });
});

describe('isAppUrl', () => {
  it('accepts the app scheme and, only when given, the dev server origin', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://elsewhere/index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', 'http://127.0.0.1:5173')).toBe(true);
    expect(isAppUrl('http://127.0.0.1:5174/', 'http://127.0.0.1:5173')).toBe(false);
  });
});

describe('rendererFileFor', () => {
  const root = '/srv/renderer';
  it('maps app pages into the renderer folder', () => {
    expect(rendererFileFor(root, 'app://studio/')).toBe(join(root, 'index.html'));
    expect(rendererFileFor(root, 'app://studio/assets/index-1.js?x=1')).toBe(join(root, 'assets', 'index-1.js'));
  });

  it('refuses anything outside it, however it is spelled', () => {
    for (const url of ['app://studio/assets/..%2f..%2fsecret', 'app://studio/..%2fsecret', 'app://other/index.html', 'file:///srv/renderer/index.html', 'app://studio/%E0%A4%A']) {
      expect(rendererFileFor(root, url), url).toBeUndefined();
    }
    // The URL parser folds a literal or escaped "..", so these stay inside.
    expect(rendererFileFor(root, 'app://studio/../secret')).toBe(join(root, 'secret'));
    expect(rendererFileFor(root, 'app://studio/%2e%2e/secret')).toBe(join(root, 'secret'));
  });
});

describe('isTrustedFrame', () => {
  const main = { url: APP_ENTRY_URL, processId: 4, routingId: 1, parent: null };
  it('trusts only our window top frame on an app page', () => {
    expect(isTrustedFrame(main, main)).toBe(true);
    expect(isTrustedFrame({ ...main }, main)).toBe(true);
  });

  it('refuses iframes, other frames, foreign pages and missing frames', () => {
    expect(isTrustedFrame({ ...main, parent: main }, main)).toBe(false);
    expect(isTrustedFrame({ ...main, routingId: 2 }, main)).toBe(false);
    expect(isTrustedFrame({ ...main, processId: 5 }, main)).toBe(false);
    expect(isTrustedFrame({ ...main, url: 'https://example.com/' }, main)).toBe(false);
    expect(isTrustedFrame(null, main)).toBe(false);
    expect(isTrustedFrame(main, undefined)).toBe(false);
  });
});
