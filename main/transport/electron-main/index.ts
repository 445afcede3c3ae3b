// The Electron entry: one secure window (sandboxed, isolated, no Node, CSP sent as a header, no new windows or
// navigation), the application menu, and the contract wired to the engine host and the history. Runs in
// Electron's main process; the engine itself runs on a worker thread (EngineHost).

import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HistoryStore } from '../../app/history-store.ts';
import { userCalibrationDir } from '../../engine/calibration/calibration-store.ts';
import { startupModel } from '../../app/model-choice.ts';
import { forwardEvents, registerImageSaver, registerIpcHandlers, registerModelFolderPicker } from './electron-ipc.ts';
import { StudioService } from '../../app/studio-service.ts';
import { menuTemplate } from './menu.ts';
import { APP_ENTRY_URL, APP_SCHEME, isAppUrl, isExternalWebUrl, isTrustedFrame, rendererFileFor } from './navigation.ts';
import { contentSecurityPolicy } from '../csp.ts';
import { EngineHost } from '../../host/engine-host.ts';
import { forgetMallocTunables } from '../../../scripts/malloc-tunables.mjs';

const HOMEPAGE = 'https://github.com/teacache-studio/teacache-studio';
const here = dirname(fileURLToPath(import.meta.url));
// Bundled: dist/main/index.js beside dist/preload and dist/renderer. From sources this file is main/transport/electron-main/index.ts.
const distDir = here.endsWith(join('dist', 'main')) ? dirname(here) : join(here, '..', '..', '..', 'dist');
const rendererDir = join(distDir, 'renderer');
const preloadFile = join(distDir, 'preload', 'preload.cjs');
/** Development only: a Vite dev server to load instead of the build (never set in a packaged app). */
const devServer = app.isPackaged ? undefined : process.env.TEACACHE_RENDERER_DEV_URL;
const devOrigin = devServer ? new URL(devServer).origin : undefined;

// npm start gave this process the engine's allocator settings (scripts/malloc-tunables.mjs); glibc has read them.
forgetMallocTunables();

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

let mainWindow: BrowserWindow | undefined;

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const mainFrame = mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents.mainFrame : undefined;
  return isTrustedFrame(event.senderFrame, mainFrame, devOrigin);
}

function openExternal(url: string): void {
  if (isExternalWebUrl(url)) void shell.openExternal(url);
}

function serveRenderer(): void {
  const csp = contentSecurityPolicy();
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(rendererDir, request.url);
    if (!file || !existsSync(file)) return new Response('Not found', { status: 404, headers: { 'content-security-policy': csp } });
    const response = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(response.headers);
    headers.set('content-security-policy', csp);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
  if (devOrigin) {
    // The dev server's own responses get the same policy, plus its module-reload socket.
    const devCsp = contentSecurityPolicy({ connect: [devOrigin.replace(/^http/, 'ws')] });
    session.defaultSession.webRequest.onHeadersReceived({ urls: [`${devOrigin}/*`] }, (details, respond) => {
      respond({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [devCsp] } });
    });
  }
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: app.name,
    show: false,
    backgroundColor: '#111214',
    webPreferences: {
      preload: preloadFile,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, devOrigin) && url.split('#')[0] === window.webContents.getURL().split('#')[0]) return;
    event.preventDefault();
    openExternal(url);
  });
  window.webContents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, devOrigin)) event.preventDefault();
  });
  void window.loadURL(devServer ?? APP_ENTRY_URL);
  return window;
}

async function main(): Promise<void> {
  await app.whenReady();
  app.setAboutPanelOptions({
    applicationName: app.name,
    applicationVersion: app.getVersion(),
    copyright: 'Copyright © 2026 the TeaCache Studio authors',
    credits: 'Image generation on MLX with TeaCache step caching.',
    website: HOMEPAGE,
  });
  // The app needs one permission, writing an image to the clipboard (Copy image); camera, notifications and the
  // rest are refused.
  const allowed = (permission: string) => permission === 'clipboard-sanitized-write';
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allowed(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => allowed(permission));
  serveRenderer();

  let history: HistoryStore;
  try {
    history = HistoryStore.open(app.getPath('userData'));
  } catch (error) {
    dialog.showErrorBox('TeaCache Studio cannot open its history', (error as Error).message);
    app.exit(1);
    return;
  }
  // The remembered model folder when it still validates, else the built-in model with a note the UI shows.
  const startup = startupModel(history.dir);
  if (startup.source.note) console.warn(startup.source.note);
  // Calibrations of the built-in model (and of read-only folders) live beside the history.
  const host = new EngineHost({ ...(startup.modelDir ? { modelDir: startup.modelDir } : {}), calibrationDir: userCalibrationDir(history.dir) });
  const service = new StudioService(host, history, { modelSource: startup.source });
  registerIpcHandlers({ ipcMain, service, isTrustedSender });
  registerModelFolderPicker({
    ipcMain,
    isTrustedSender,
    showOpenDialog: () => {
      const options = { title: 'Open a model folder', properties: ['openDirectory' as const] };
      return mainWindow && !mainWindow.isDestroyed() ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options);
    },
  });
  registerImageSaver({
    ipcMain,
    isTrustedSender,
    showSaveDialog: (fileName) => {
      const options = { title: 'Save image', defaultPath: fileName, filters: [{ name: 'PNG image', extensions: ['png'] }] };
      return mainWindow && !mainWindow.isDestroyed() ? dialog.showSaveDialog(mainWindow, options) : dialog.showSaveDialog(options);
    },
    image: async (id) => {
      history.require(id);
      return history.image(id);
    },
    writeFile: (path, bytes) => writeFile(path, bytes),
  });
  forwardEvents(service, () => BrowserWindow.getAllWindows().map((window) => window.webContents));
  void host.info().catch((error: unknown) => console.error(`The engine did not start: ${(error as Error).message}`));

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({ platform: process.platform, appName: app.name, devTools: !app.isPackaged, homepage: HOMEPAGE, openExternal, showAbout: () => app.showAboutPanel() }),
    ),
  );

  mainWindow = createWindow();
  app.on('second-instance', () => {
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    service.close();
    void host.close();
  });
  for (const problem of history.problems) console.warn(problem.message);
}

// Belt and braces for any web contents created later (none are planned): no webviews, no popups.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
});

void main();
