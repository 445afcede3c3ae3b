// The web transport's client side: the contract over HTTP (requests) and one WebSocket (events), plus
// connectStudio(), which picks the Electron bridge when present. Runs in the browser; no Node, no Electron.

import { createStudioApi, electronBridge } from './client.ts';
import {
  EVENT_NAMES,
  REQUEST_NAMES,
  toErrorPayload,
  webPaths,
  type Envelope,
  type ErrorPayload,
  type EventName,
  type RequestName,
  type StudioApi,
  type StudioBridge,
  type Unsubscribe,
} from '../../core/contract.ts';

export interface WebClientOptions {
  /** Where the web server is, e.g. "http://127.0.0.1:5174"; defaults to the page's own origin. */
  readonly baseUrl?: string;
  /** Reconnect delays grow to this bound, in ms. */
  readonly maxReconnectMs?: number;
  /** The WebSocket class; the browser's by default (tests outside a browser pass ws's). */
  readonly WebSocket?: new (url: string) => WebSocket;
}

export interface WebStudioApi extends StudioApi {
  /** Closes the event stream for good. */
  close(): void;
}

export function createWebApi(options: WebClientOptions = {}): WebStudioApi {
  const baseUrl = (options.baseUrl ?? globalThis.location.origin).replace(/\/$/, '');
  const maxReconnectMs = options.maxReconnectMs ?? 2000;
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>(EVENT_NAMES.map((name) => [name, new Set()]));
  const connectionListeners = new Set<(connected: boolean) => void>();
  let socket: WebSocket | undefined;
  let connected = false;
  let closed = false;
  let delay = 100;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setConnected = (value: boolean) => {
    if (connected === value) return;
    connected = value;
    for (const listener of connectionListeners) listener(value);
  };

  const open = () => {
    if (closed) return;
    const ws = new (options.WebSocket ?? WebSocket)(`${baseUrl.replace(/^http/, 'ws')}${webPaths.events}`);
    socket = ws;
    ws.onopen = () => {
      delay = 100;
      setConnected(true);
    };
    ws.onmessage = (message) => {
      let parsed: { name?: unknown; payload?: unknown };
      try {
        parsed = JSON.parse(String(message.data)) as typeof parsed;
      } catch {
        console.error('Dropped an event that is not JSON.');
        return;
      }
      const set = listeners.get(parsed.name as EventName);
      if (!set) return;
      for (const listener of set) listener(parsed.payload);
    };
    ws.onclose = () => {
      setConnected(false);
      if (closed) return;
      // Back off so a stopped server is not hammered; the page keeps working once it returns.
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, maxReconnectMs);
    };
  };
  open();

  async function request(name: RequestName, input: unknown): Promise<Envelope<unknown>> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${webPaths.request(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
    } catch (error) {
      return { ok: false, error: { code: 'DISCONNECTED', message: `Cannot reach TeaCache Studio at ${baseUrl}: is npm run web still running?`, details: toErrorPayload(error).message } };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return { ok: false, error: { code: 'INTERNAL', message: `The ${name} call answered HTTP ${response.status} without JSON.` } };
    }
    // client.ts validates the error body against ErrorPayloadSchema.
    return response.ok ? { ok: true, value: body } : { ok: false, error: body as ErrorPayload };
  }

  const bridge = Object.fromEntries([
    ...REQUEST_NAMES.map((name) => [name, (input: unknown) => request(name, input)]),
    ...EVENT_NAMES.map((name) => [
      `on${name[0]!.toUpperCase()}${name.slice(1)}`,
      (listener: (payload: unknown) => void): Unsubscribe => {
        listeners.get(name)!.add(listener);
        return () => listeners.get(name)!.delete(listener);
      },
    ]),
  ]) as StudioBridge;

  const api = createStudioApi(bridge, {
    onConnectionChange: (listener) => {
      connectionListeners.add(listener);
      listener(connected);
      return () => connectionListeners.delete(listener);
    },
  });
  return {
    ...api,
    close: () => {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}

/** The API for this page: the desktop app's bridge when present, else web mode at the page's origin. */
export function connectStudio(options: WebClientOptions = {}): StudioApi {
  const bridge = electronBridge();
  return bridge ? createStudioApi(bridge) : createWebApi(options);
}
