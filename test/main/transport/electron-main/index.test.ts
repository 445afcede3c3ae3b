// The Electron entry with a stand-in `electron` module (no binary here): the window keeps Electron's secure
// defaults plus sandbox, pages come from app:// with a CSP header, popups and navigation are denied with only
// http(s) handed to the system browser, permissions are refused (but the clipboard write Copy needs), the menu is set, and IPC checks its sender.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ipcChannel, REQUEST_NAMES, type Envelope } from '../../../../main/core/contract.ts';
import { MALLOC_TUNABLES } from '../../../../scripts/malloc-tunables.mjs';

const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown;
  const state = {
    userData: '',
    appListeners: new Map<string, Listener>(),
    windows: [] as FakeWindow[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
    privileged: [] as unknown[],
    ipcHandlers: new Map<string, Listener>(),
    opened: [] as string[],
    dialogs: [] as unknown[],
    menu: undefined as unknown,
    permissionHandler: undefined as undefined | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void),
  };
  class FakeWindow {
    readonly listeners = new Map<string, Listener>();
    windowOpenHandler: Listener | undefined;
    loaded: string | undefined;
    readonly mainFrame = { url: 'app://studio/index.html', processId: 7, routingId: 1, parent: null };
    readonly webContents = {
      mainFrame: this.mainFrame,
      setWindowOpenHandler: (handler: Listener) => void (this.windowOpenHandler = handler),
      on: (event: string, listener: Listener) => void this.listeners.set(event, listener),
      getURL: () => this.loaded ?? '',
      send: () => {},
      isDestroyed: () => false,
    };
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      state.windows.push(this);
    }
    once() {}
    isDestroyed() {
      return false;
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
    static getAllWindows() {
      return state.windows;
    }
  }
  const electron = {
    app: {
      isPackaged: false,
      name: 'TeaCache Studio',
      getVersion: () => '0.1.0',
      requestSingleInstanceLock: () => true,
      whenReady: () => Promise.resolve(),
      setAboutPanelOptions: () => {},
      showAboutPanel: () => {},
      getPath: () => state.userData,
      on: (event: string, listener: Listener) => void state.appListeners.set(event, listener),
      quit: () => {},
      exit: () => {},
    },
    BrowserWindow: FakeWindow,
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => void state.privileged.push(...schemes),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void state.protocolHandlers.set(scheme, handler),
    },
    net: { fetch: async () => new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } }) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: typeof state.permissionHandler) => void (state.permissionHandler = handler),
        setPermissionCheckHandler: () => {},
        webRequest: { onHeadersReceived: () => {} },
      },
    },
    ipcMain: {
      handle: (channel: string, handler: Listener) => void state.ipcHandlers.set(channel, handler),
      removeHandler: (channel: string) => void state.ipcHandlers.delete(channel),
    },
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: (menu: unknown) => void (state.menu = menu) },
    shell: { openExternal: async (url: string) => void state.opened.push(url) },
    dialog: {
      showErrorBox: () => {},
      showOpenDialog: async (...args: unknown[]) => {
        state.dialogs.push(args.at(-1));
        return { canceled: false, filePaths: ['/models/flux-schnell'] };
      },
      showSaveDialog: async (...args: unknown[]) => {
        state.dialogs.push(args.at(-1));
        return { canceled: true };
      },
    },
  };
  return { state, electron };
});

vi.mock('electron', () => fake.electron);

const { state } = fake;
let window: (typeof state.windows)[number];

const givenTunables = process.env.GLIBC_TUNABLES;

beforeAll(async () => {
  state.userData = mkdtempSync(join(tmpdir(), 'teacache-electron-'));
  // As npm start leaves them: the user's own tunable, then the engine's malloc settings.
  process.env.GLIBC_TUNABLES = `glibc.cpu.hwcaps=-AVX512F:${MALLOC_TUNABLES}`;
  await import('../../../../main/transport/electron-main/index.ts');
  await vi.waitFor(() => expect(state.windows).toHaveLength(1));
  window = state.windows[0]!;
});
afterAll(async () => {
  // Closes the engine host the entry started.
  await state.appListeners.get('will-quit')?.();
  rmSync(state.userData, { recursive: true, force: true });
  if (givenTunables === undefined) delete process.env.GLIBC_TUNABLES;
  else process.env.GLIBC_TUNABLES = givenTunables;
});

describe('main/transport/electron-main/index.ts', () => {
  it("gives what it starts (the browser a link opens) the user's GLIBC_TUNABLES, not the engine's malloc settings", () => {
    expect(process.env.GLIBC_TUNABLES).toBe('glibc.cpu.hwcaps=-AVX512F');
  });

  it('opens one window with a sandboxed, isolated renderer and no Node', () => {
    expect(window.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    });
    expect(String(window.options.webPreferences.preload)).toMatch(/dist[/\\]preload[/\\]preload\.cjs$/);
    expect(window.loaded).toBe('app://studio/index.html');
    expect(state.privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
  });

  it('serves app:// with a strict CSP header and nothing outside the renderer build', async () => {
    const handler = state.protocolHandlers.get('app')!;
    const page = await handler(new Request('app://studio/index.html'));
    const missing = await handler(new Request('app://studio/assets/..%2f..%2f..%2fpackage.json'));
    for (const response of [page, missing]) {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/unsafe/);
    }
    expect(missing.status).toBe(404);
  });

  it('denies new windows and navigation, handing only http(s) to the system browser', () => {
    state.opened.length = 0;
    expect(window.windowOpenHandler!({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    expect(window.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    const navigate = window.listeners.get('will-navigate')!;
    const event = { preventDefault: vi.fn() };
    navigate(event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalled();
    const sneaky = { preventDefault: vi.fn() };
    navigate(sneaky, 'javascript:alert(1)');
    expect(sneaky.preventDefault).toHaveBeenCalled();
    expect(state.opened).toEqual(['https://example.com/docs', 'https://evil.example/']);
  });

  it('refuses every permission request but writing an image to the clipboard', () => {
    const answers: boolean[] = [];
    state.permissionHandler!({}, 'media', (granted) => answers.push(granted));
    state.permissionHandler!({}, 'notifications', (granted) => answers.push(granted));
    state.permissionHandler!({}, 'clipboard-read', (granted) => answers.push(granted));
    state.permissionHandler!({}, 'clipboard-sanitized-write', (granted) => answers.push(granted));
    expect(answers).toEqual([false, false, false, true]);
  });

  it('sets the application menu', () => {
    expect((state.menu as { label: string }[]).map((item) => item.label)).toEqual(
      process.platform === 'darwin' ? ['TeaCache Studio', 'Edit', 'View', 'Window', 'Help'] : ['File', 'Edit', 'View', 'Window', 'Help'],
    );
  });

  it('answers IPC only from its window main frame, validating the payload', async () => {
    expect([...state.ipcHandlers.keys()].sort()).toEqual([...REQUEST_NAMES.map((name) => ipcChannel.request(name)), ipcChannel.pickModelFolder, ipcChannel.saveImage].sort());
    const listHistory = state.ipcHandlers.get(ipcChannel.request('listHistory'))! as (event: unknown, input: unknown) => Promise<Envelope<unknown>>;
    expect(await listHistory({ senderFrame: window.mainFrame }, {})).toEqual({ ok: true, value: { entries: [], more: false } });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await listHistory({ senderFrame: { ...window.mainFrame, routingId: 9 } }, {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    warn.mockRestore();
    const generate = state.ipcHandlers.get(ipcChannel.request('generate'))! as (event: unknown, input: unknown) => Promise<Envelope<unknown>>;
    expect(await generate({ senderFrame: window.mainFrame }, { request: { prompt: 1 } })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('opens the native folder dialog for the model picker, for its window only', async () => {
    const pick = state.ipcHandlers.get(ipcChannel.pickModelFolder)! as (event: unknown) => Promise<Envelope<unknown>>;
    expect(await pick({ senderFrame: window.mainFrame })).toEqual({ ok: true, value: '/models/flux-schnell' });
    expect(state.dialogs).toEqual([{ title: 'Open a model folder', properties: ['openDirectory'] }]);
    expect(await pick({ senderFrame: { ...window.mainFrame, routingId: 9 } })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(state.dialogs).toHaveLength(1);
  });

  it('saves a run’s image through the native save dialog, for its window only, refusing an unknown run first', async () => {
    const save = state.ipcHandlers.get(ipcChannel.saveImage)! as (event: unknown, input: unknown) => Promise<Envelope<unknown>>;
    state.dialogs.length = 0;
    expect(await save({ senderFrame: window.mainFrame }, { id: 'nope', fileName: 'x.png' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(state.dialogs).toEqual([]);
    expect(await save({ senderFrame: { ...window.mainFrame, routingId: 9 } }, { id: 'nope', fileName: 'x.png' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
