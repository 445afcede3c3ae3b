// The Electron transport's main side: one ipcMain handler per contract request, each checking that the sender is
// our window's main frame on an app page before StudioService validates the payload; contract events sent to
// every window. Imports Electron's types only (the ipcMain object is passed in), so tests drive it with a fake.

import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { ipcChannel, parsePayload, REQUEST_NAMES, SaveImageInputSchema, StudioError, toErrorPayload, type Envelope } from '../../core/contract.ts';
import type { StudioService } from '../../app/studio-service.ts';

export interface ElectronIpcOptions {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly service: StudioService;
  /** True only for the main frame of one of our windows, showing one of our pages. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
}

/** Registers every request handler; returns a function that removes them. */
export function registerIpcHandlers(options: ElectronIpcOptions): () => void {
  const { ipcMain, service } = options;
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(ipcChannel.request(name), async (event, input: unknown): Promise<Envelope<unknown>> => {
      if (!options.isTrustedSender(event)) {
        const url = event.senderFrame?.url ?? 'an unknown frame';
        console.warn(`Refused IPC ${name} from ${url}.`);
        return { ok: false, error: new StudioError('FORBIDDEN', `IPC request ${name} came from ${url}, which is not the app's window.`).toPayload() };
      }
      try {
        return { ok: true, value: await service.dispatch(name, input) };
      } catch (error) {
        if (!(error instanceof StudioError) && toErrorPayload(error).code === 'INTERNAL') console.error(error);
        return { ok: false, error: toErrorPayload(error) };
      }
    });
  }
  return () => {
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(ipcChannel.request(name));
  };
}

/** Sends every contract event to the windows `targets()` lists; returns a function that stops it. */
export function forwardEvents(service: StudioService, targets: () => Iterable<Pick<WebContents, 'send' | 'isDestroyed'>>): () => void {
  return service.onEvent((message) => {
    for (const contents of targets()) {
      if (!contents.isDestroyed()) contents.send(ipcChannel.event(message.name), message.payload);
    }
  });
}

export interface FolderPickerOptions {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  /** Electron's dialog.showOpenDialog bound to the window, passed in so tests drive it with a fake. */
  showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }>;
}

/** Answers the preload's pickModelFolder with the folder chosen in the native dialog (null when cancelled). */
export function registerModelFolderPicker(options: FolderPickerOptions): () => void {
  options.ipcMain.handle(ipcChannel.pickModelFolder, async (event): Promise<Envelope<unknown>> => {
    if (!options.isTrustedSender(event)) {
      const url = event.senderFrame?.url ?? 'an unknown frame';
      return { ok: false, error: new StudioError('FORBIDDEN', `The folder picker was asked for by ${url}, which is not the app's window.`).toPayload() };
    }
    try {
      const result = await options.showOpenDialog();
      return { ok: true, value: result.canceled ? null : (result.filePaths[0] ?? null) };
    } catch (error) {
      return { ok: false, error: toErrorPayload(error) };
    }
  });
  return () => options.ipcMain.removeHandler(ipcChannel.pickModelFolder);
}

export interface ImageSaverOptions {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  /** Electron's dialog.showSaveDialog bound to the window, suggesting `fileName`. */
  showSaveDialog(fileName: string): Promise<{ canceled: boolean; filePath?: string }>;
  /** The run's stored PNG bytes, as history keeps them (parameters chunk included); NOT_FOUND for an unknown run. */
  image(id: string): Promise<Uint8Array>;
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
}

/** Answers the preload's saveImage: the run's stored PNG written, unchanged, where the user chose (null when cancelled). */
export function registerImageSaver(options: ImageSaverOptions): () => void {
  options.ipcMain.handle(ipcChannel.saveImage, async (event, input: unknown): Promise<Envelope<unknown>> => {
    if (!options.isTrustedSender(event)) {
      const url = event.senderFrame?.url ?? 'an unknown frame';
      return { ok: false, error: new StudioError('FORBIDDEN', `Saving an image was asked for by ${url}, which is not the app's window.`).toPayload() };
    }
    try {
      const { id, fileName } = parsePayload(SaveImageInputSchema, input, 'saveImage input');
      // Read first: an unknown run fails before a dialog asks where to put it.
      const bytes = await options.image(id);
      const result = await options.showSaveDialog(fileName);
      if (result.canceled || !result.filePath) return { ok: true, value: null };
      await options.writeFile(result.filePath, bytes);
      return { ok: true, value: result.filePath };
    } catch (error) {
      return { ok: false, error: toErrorPayload(error) };
    }
  });
  return () => options.ipcMain.removeHandler(ipcChannel.saveImage);
}
