// The renderer's one door to the main process: the Electron preload's bridge
// when present, else web mode over HTTP + WebSocket. Nothing else imports the transport.

import { connectStudio } from '../main/transport/browser/web-client.ts';
import { createBackend } from './lib/backend.ts';
import type { StudioBackend } from './lib/types.ts';

export function connectBackend(): StudioBackend {
  return createBackend(connectStudio());
}
