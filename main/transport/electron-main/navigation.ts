// Where the desktop window may go: the app's own pages (served from the renderer build under the app:// scheme)
// and, through the system browser, http(s) links. Runs in the main process; no Electron imports, so it is testable.

import { resolve, sep } from 'node:path';

/** The privileged scheme the renderer build is served from; its pages get a CSP response header. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Only web links leave the app, and only to the system browser: never file:, javascript:, custom schemes. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** Whether `url` is one of the app's own pages (where the window may stay), given an optional dev-server origin. */
export function isAppUrl(url: string, devOrigin?: string): boolean {
  try {
    const { origin, protocol, host } = new URL(url);
    if (protocol === `${APP_SCHEME}:` && host === APP_HOST) return true;
    return devOrigin !== undefined && origin === devOrigin;
  } catch {
    return false;
  }
}

/** The file under `root` that an app:// request names, or undefined for anything outside it. */
export function rendererFileFor(root: string, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  const base = resolve(root);
  const file = resolve(base, `.${pathname === '/' ? '/index.html' : pathname}`);
  return file.startsWith(base + sep) ? file : undefined;
}

/** The parts of Electron's WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
  readonly parent: unknown;
}

/**
 * Whether an IPC message came from our window's top frame showing one of our pages: not an iframe, not another
 * window, not a page the window was somehow steered to.
 */
export function isTrustedFrame(sender: FrameLike | null | undefined, mainFrame: FrameLike | undefined, devOrigin?: string): boolean {
  if (!sender || !mainFrame || sender.parent !== null) return false;
  return sender.processId === mainFrame.processId && sender.routingId === mainFrame.routingId && isAppUrl(sender.url, devOrigin);
}
