// Starts `npm run web` on a free localhost port with its own empty data folder
// for one spec file, and stops it (its whole process group) afterwards. Test-only.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WebServer {
  readonly url: string;
  /** Calls a contract request over HTTP, as the web client does. */
  call<T = unknown>(name: string, input?: unknown): Promise<T>;
  stop(): Promise<void>;
  /** Ends the server at once (SIGKILL to its process group), as a crash would; its data folder stays. */
  kill(): Promise<void>;
  readonly dataDir: string | null;
}

export interface WebServerOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** An existing data folder to serve (kept afterwards); default a fresh one, removed on stop. */
  readonly dataDir?: string;
}

const URL_PATTERN = /https?:\/\/127\.0\.0\.1:\d+\/?/;
const START_TIMEOUT_MS = 90_000;

function client(url: string) {
  return async <T>(name: string, input: unknown = {}): Promise<T> => {
    const response = await fetch(new URL(`api/${name}`, url.endsWith('/') ? url : `${url}/`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as T;
    if (!response.ok) throw new Error(`${name} failed: HTTP ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
}

/**
 * E2E_BASE_URL points the specs at a server already running (its history is
 * then not empty; the specs only count what they add).
 */
export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const external = process.env.E2E_BASE_URL;
  if (external) return { url: external, call: client(external), stop: async () => {}, kill: async () => {}, dataDir: null };

  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'teacache-e2e-'));
  const port = String(options.port ?? 0);
  const child: ChildProcess = spawn('npm', ['run', '--silent', 'web', '--', '--port', port, '--data-dir', dataDir], {
    cwd: process.cwd(),
    env: { ...process.env, TEACACHE_STUDIO_DATA: dataDir, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it also stops what npm started.
    detached: true,
  });
  let output = '';
  // Kept for diagnosing a failed run in CI.
  mkdirSync('test-results', { recursive: true });
  const log = createWriteStream('test-results/web-server.log');
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run web printed no URL within ${START_TIMEOUT_MS / 1000} s. Output:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = URL_PATTERN.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run web exited (code ${code}) before it was ready. Output:\n${output}`));
    });
  });

  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, signal);
      await exited;
    }
  };
  return {
    url,
    call: client(url),
    dataDir,
    async stop() {
      await end('SIGTERM');
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
  };
}
