// Web mode's server: the contract over HTTP (POST /api/<request>) and a WebSocket (/api/events), plus the built
// renderer, on 127.0.0.1 only. Every payload is validated by StudioService; requests from other origins or host
// names are refused. Runs in Node; no Electron imports.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { StudioError, toErrorPayload, webPaths, type ErrorCode, type ErrorPayload } from '../../core/contract.ts';
import type { StudioService } from '../../app/studio-service.ts';
import { contentSecurityPolicy } from '../csp.ts';

/** Web mode only ever listens here: the API can start generations and delete history. */
export const WEB_HOST = '127.0.0.1';

/** Request bodies above this are refused; the largest real one (a prompt) is a few KB. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Client frames above this close the socket with 1009; clients never need to send anything. */
export const MAX_WS_PAYLOAD_BYTES = 4096;

export interface WebServerOptions {
  readonly service: StudioService;
  /** The built renderer (index.html and assets); a help page is served when it is missing. */
  readonly rendererDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface RunningWebServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_PAYLOAD: 400,
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NO_BASELINE: 409,
  CANCELLED: 409,
  BACKEND_UNAVAILABLE: 503,
  MODEL_NOT_FOUND: 503,
  MODEL_INVALID: 503,
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, error: unknown): void {
  const payload: ErrorPayload = toErrorPayload(error);
  if (payload.code === 'INTERNAL') console.error(error);
  sendJson(response, STATUS[payload.code] ?? 500, payload);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new StudioError('INVALID_PAYLOAD', `The request body is larger than ${MAX_BODY_BYTES} bytes.`, { limit: MAX_BODY_BYTES });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const { service } = options;
  const rendererDir = resolve(options.rendererDir);
  let port = 0;
  const allowedHosts = () => new Set([`${WEB_HOST}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${WEB_HOST}:${port}`, `http://localhost:${port}`]);

  /**
   * Browsers let any page send requests to 127.0.0.1; a foreign Origin (another site) or Host (DNS rebinding)
   * must not reach the API.
   */
  function refusal(request: IncomingMessage): StudioError | undefined {
    if (!allowedHosts().has(request.headers.host ?? '')) {
      return new StudioError('FORBIDDEN', `Requests must address ${WEB_HOST}:${port}; got host "${request.headers.host ?? ''}".`);
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) {
      return new StudioError('FORBIDDEN', `Requests from ${origin} are not allowed; open the app at http://${WEB_HOST}:${port}/.`);
    }
    return undefined;
  }

  async function handleApi(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendJson(response, 405, { code: 'INVALID_PAYLOAD', message: `Use POST for ${webPaths.request(name as never)}, with a JSON body.` } satisfies ErrorPayload);
      return;
    }
    const type = request.headers['content-type'] ?? '';
    // Also what keeps a cross-site form from posting here: JSON needs a CORS preflight, which we never grant.
    if (!/^application\/json\b/i.test(type)) {
      throw new StudioError('INVALID_PAYLOAD', `Send the request body as JSON (content-type: application/json), not "${type || 'nothing'}".`);
    }
    const text = await readBody(request);
    let input: unknown;
    try {
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw new StudioError('INVALID_PAYLOAD', `The body of ${name} is not valid JSON: ${(error as Error).message}`);
    }
    sendJson(response, 200, await service.dispatch(name, input));
  }

  function serveStatic(request: IncomingMessage, response: ServerResponse, pathname: string): void {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const headers = {
      'content-security-policy': contentSecurityPolicy({ connect: [`ws://${WEB_HOST}:${port}`, `ws://localhost:${port}`] }),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    };
    const index = join(rendererDir, 'index.html');
    if (!existsSync(index)) {
      response.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      response.end(`The renderer is not built: ${index} is missing.\nRun npm run build:renderer, then reload this page.\n`);
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      response.writeHead(400, headers).end();
      return;
    }
    const file = resolve(rendererDir, `.${relative === '/' ? '/index.html' : relative}`);
    // Nothing outside the renderer folder, however the path is spelled.
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      response.writeHead(404, headers).end();
      return;
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    const hashed = relative.startsWith('/assets/');
    response.writeHead(200, {
      ...headers,
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  }

  const server = createServer((request, response) => {
    void (async () => {
      try {
        const denied = refusal(request);
        if (denied) throw denied;
        const { pathname } = new URL(request.url ?? '/', `http://${WEB_HOST}`);
        if (pathname === webPaths.events) {
          throw new StudioError('INVALID_PAYLOAD', `${webPaths.events} is a WebSocket; connect with ws://${WEB_HOST}:${port}${webPaths.events}.`);
        }
        if (pathname.startsWith('/api/')) await handleApi(request, response, pathname.slice('/api/'.length));
        else serveStatic(request, response, pathname);
      } catch (error) {
        if (!response.headersSent) sendError(response, error);
        else response.destroy();
      }
    })();
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD_BYTES });
  server.on('upgrade', (request, socket, head) => {
    // Node leaves an upgrading socket without an error listener; a client resetting it must not end the server.
    socket.on('error', () => socket.destroy());
    const { pathname } = new URL(request.url ?? '/', `http://${WEB_HOST}`);
    const denied = refusal(request) ?? (pathname === webPaths.events ? undefined : new StudioError('NOT_FOUND', `No WebSocket at ${pathname}.`));
    if (denied) {
      socket.end(`HTTP/1.1 ${denied.code === 'FORBIDDEN' ? '403 Forbidden' : '404 Not Found'}\r\ncontent-type: application/json\r\n\r\n${JSON.stringify(denied.toPayload())}`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });
  sockets.on('connection', (ws: WebSocket) => {
    // The event stream is one-way; anything a client sends is a mistake worth closing on.
    ws.on('message', () => ws.close(1003, 'This socket only sends events; make requests with POST /api/<name>.'));
    // A malformed frame (too big, invalid UTF-8, unmasked, unknown opcode) is an 'error' on this socket alone: ws
    // has already closed it with the fitting code (1009, 1007, 1002). Unhandled, it would end the whole server.
    ws.on('error', (error) => console.warn(`Closed an event socket on a malformed frame: ${error.message}`));
  });
  const stopEvents = service.onEvent((message) => {
    const text = JSON.stringify(message);
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(text);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, WEB_HOST, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${WEB_HOST}:${port}/`,
    port,
    server,
    close: async () => {
      stopEvents();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      const closed = new Promise<void>((done) => server.close(() => done()));
      // Keep-alive connections would otherwise hold close() open until they time out.
      server.closeAllConnections();
      await closed;
    },
  };
}
