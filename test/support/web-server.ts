// Web mode's server for in-process tests: the real engine behind a StudioService on a fresh history, serving a
// stand-in renderer folder on a free 127.0.0.1 port, and one close() that stops all of it and removes the folder.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HistoryStore } from '../../main/app/history-store.ts';
import { StudioService } from '../../main/app/studio-service.ts';
import { EngineHost } from '../../main/host/engine-host.ts';
import { startWebServer, type RunningWebServer } from '../../main/transport/web/web-server.ts';

export interface TestWebServer {
  /** The scratch folder: the renderer under renderer/, the history under data/, and any extra files. */
  readonly dir: string;
  readonly host: EngineHost;
  readonly service: StudioService;
  readonly server: RunningWebServer;
  close(): Promise<void>;
}

/** `files` (paths relative to the scratch folder) are written first; renderer/index.html always is. */
export async function startTestWebServer(prefix: string, files: Readonly<Record<string, string>> = {}): Promise<TestWebServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rendererDir = join(dir, 'renderer');
  for (const [path, text] of Object.entries({ 'renderer/index.html': '<!doctype html><title>TeaCache Studio</title>', ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const host = new EngineHost();
  const service = new StudioService(host, HistoryStore.open(join(dir, 'data')));
  const server = await startWebServer({ service, rendererDir, port: 0 });
  return {
    dir,
    host,
    service,
    server,
    async close() {
      await server.close();
      service.close();
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
