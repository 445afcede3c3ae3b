// One spec file's studio: a web-mode server with its own empty data folder and
// a Chromium page on it, started before the spec's tests and stopped after
// them. Test-only.

import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, type Browser } from './browser.ts';
import { startWebServer, type WebServer } from './web-server.ts';

export interface StudioSession {
  readonly server: WebServer;
  readonly browser: Browser;
}

/** Registers the spec's beforeAll and afterAll; the session's server and browser are there from the first test on. */
export function studioSession(options: { readonly viewport?: { readonly width: number; readonly height: number } } = {}): StudioSession {
  let started: StudioSession | undefined;
  beforeAll(async () => {
    const server = await startWebServer();
    const browser = await launchBrowser();
    started = { server, browser };
    // Runs here are real generations on a 2-core machine.
    browser.page.setDefaultTimeout(90_000);
    if (options.viewport) await browser.page.setViewportSize(options.viewport);
  });
  afterAll(async () => {
    await started?.browser.close();
    await started?.server.stop();
  });
  const session = (): StudioSession => {
    if (!started) throw new Error('The studio session starts in beforeAll: use it inside a test.');
    return started;
  };
  return {
    get server() {
      return session().server;
    },
    get browser() {
      return session().browser;
    },
  };
}
