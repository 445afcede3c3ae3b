// The preload: exposes the contract to the renderer as named functions on window.studioBridge (one per request,
// one subscription per event, plus the native model-folder picker and image save dialog), never ipcRenderer itself. Runs sandboxed in the renderer process; bundled to
// CommonJS (dist/preload/preload.cjs), so it may import only 'electron' and pure modules.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, EVENT_NAMES, ipcChannel, REQUEST_NAMES, type Envelope, type StudioBridge } from '../../core/contract.ts';

const requestFunctions = REQUEST_NAMES.map((name) => [
  name,
  (input: unknown): Promise<Envelope<unknown>> => ipcRenderer.invoke(ipcChannel.request(name), input) as Promise<Envelope<unknown>>,
]);

const subscriptions = EVENT_NAMES.map((name) => [
  `on${name[0]!.toUpperCase()}${name.slice(1)}`,
  (listener: (payload: unknown) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError(`on${name} needs a function.`);
    // Only the payload crosses: the renderer never sees the IPC event or its sender.
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    const channel = ipcChannel.event(name);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  },
]);

// The native folder dialog for model management; main answers it only for our window, like every request.
const pickModelFolder = (): Promise<Envelope<unknown>> => ipcRenderer.invoke(ipcChannel.pickModelFolder) as Promise<Envelope<unknown>>;

// The native save dialog for a run's image; main validates the input like any request's.
const saveImage = (input: unknown): Promise<Envelope<unknown>> => ipcRenderer.invoke(ipcChannel.saveImage, input) as Promise<Envelope<unknown>>;

const bridge = Object.freeze(Object.fromEntries([...requestFunctions, ...subscriptions, ['pickModelFolder', pickModelFolder], ['saveImage', saveImage]])) as StudioBridge;

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
