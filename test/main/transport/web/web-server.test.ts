// Web mode's server: only 127.0.0.1, malformed payloads answered 400 with {code, message, details}, foreign
// origins and host names refused, the renderer served under a strict CSP without leaving its folder, and the
// whole contract working end to end through the web client (HTTP + WebSocket) against the real engine.

import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EngineHost } from '../../../../main/host/engine-host.ts';
import { ErrorPayloadSchema, StudioError } from '../../../../main/core/contract.ts';
import type { StudioService } from '../../../../main/app/studio-service.ts';
import { createWebApi } from '../../../../main/transport/browser/web-client.ts';
import { startWebServer, type RunningWebServer } from '../../../../main/transport/web/web-server.ts';
import { startTestWebServer, type TestWebServer } from '../../../support/web-server.ts';

let web: TestWebServer;
let dir: string;
let host: EngineHost;
let service: StudioService;
let server: RunningWebServer;

beforeAll(async () => {
  web = await startTestWebServer('teacache-web-', { 'renderer/assets/app.js': 'console.log(1)', 'secret.txt': 'not for the web' });
  ({ dir, host, service, server } = web);
});
afterAll(() => web.close());

/** Raw HTTP, so tests control every header (fetch forbids setting Host and Origin). */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const post = (name: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  raw(`/api/${name}`, { method: 'POST', headers, body });

function errorOf(response: { body: string }) {
  const payload = ErrorPayloadSchema.parse(JSON.parse(response.body));
  expect(payload.message.length).toBeGreaterThan(10);
  return payload;
}

describe('web server', () => {
  it('listens on 127.0.0.1 only and prints that address', () => {
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('answers malformed payloads with 400 and {code, message, details}', async () => {
    const wrongField = await post('generate', JSON.stringify({ request: { prompt: 'x', seed: 'seven' } }));
    expect(wrongField.status).toBe(400);
    expect(errorOf(wrongField)).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/request\.seed/), details: { issues: [{ path: 'request.seed' }] } });

    const notJson = await post('generate', '{"request": ');
    expect(notJson.status).toBe(400);
    expect(errorOf(notJson)).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/not valid JSON/) });

    const form = await post('generate', 'prompt=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    expect(errorOf(form).message).toMatch(/content-type: application\/json/);

    const unknown = await post('format', '{}');
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).message).toMatch(/no request named "format"/);

    const huge = await post('generate', JSON.stringify({ request: { prompt: 'x'.repeat(300_000), seed: 1 } }));
    expect(huge.status).toBe(400);
    expect(errorOf(huge).message).toMatch(/larger than/);

    const calibration = await post('calibrate', JSON.stringify({ prompts: ['red apple', ''], steps: 'six' }));
    expect(calibration.status).toBe(400);
    expect(errorOf(calibration)).toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: expect.stringMatching(/prompts\.1: a calibration prompt cannot be empty.*steps/),
      details: { issues: expect.arrayContaining([expect.objectContaining({ path: 'prompts.1' }), expect.objectContaining({ path: 'steps' })]) },
    });
    const tooFew = await post('calibrate', JSON.stringify({ prompts: ['red apple'], steps: 3 }));
    expect(tooFew.status).toBe(400);
    expect(errorOf(tooFew).message).toMatch(/give 2 step pairs, but a degree-4 fit needs 20: use more steps or prompts/);

    const get = await raw('/api/listHistory');
    expect(get.status).toBe(405);
    expect(errorOf(get).message).toMatch(/Use POST/);
    expect(host.jobs()).toEqual([]);
  });

  it('refuses an unknown key in the request, naming it, instead of running the default', async () => {
    for (const [body, key] of [
      [{ request: { prompt: 'x', seed: 1, step: 4 } }, 'step'],
      [{ request: { prompt: 'x', seed: 1, cache: { treshold: 0.2 } } }, 'treshold'],
    ] as const) {
      const response = await post('generate', JSON.stringify(body));
      expect(response.status).toBe(400);
      expect(errorOf(response)).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining(`"${key}"`) });
    }
    expect(host.jobs()).toEqual([]);
  });

  it("refuses a size the loaded model cannot make with a 400 up front that gives the model's own rule", async () => {
    const { model } = await host.info();
    for (const width of [model.sizeMultiple * 3 + 1, model.maxSize + model.sizeMultiple, 4096]) {
      const response = await post('generate', JSON.stringify({ request: { prompt: 'x', seed: 1, width } }));
      expect(response.status, `width ${width}`).toBe(400);
      expect(errorOf(response)).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining(`width ${width} does not suit ${model.name}: use a multiple of ${model.sizeMultiple} up to ${model.maxSize}`),
      });
    }
    expect(host.jobs()).toEqual([]);
  });

  it('maps other failures to fitting statuses', async () => {
    const missing = await post('getImage', JSON.stringify({ id: 'nope' }));
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('NOT_FOUND');
  });

  it('refuses other sites and other host names (DNS rebinding)', async () => {
    const foreign = await post('listHistory', '{}', { 'content-type': 'application/json', origin: 'https://example.com' });
    expect(foreign.status).toBe(403);
    expect(errorOf(foreign)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/example\.com/) });
    const rebound = await raw('/', { headers: { host: `evil.example:${server.port}` } });
    expect(rebound.status).toBe(403);
    const own = await post('listHistory', '{}', { 'content-type': 'application/json', origin: `http://127.0.0.1:${server.port}` });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toEqual({ entries: [], more: false });
  });

  it('refuses a WebSocket from another origin', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, { origin: 'https://example.com' });
      ws.on('open', () => resolve('open'));
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    expect(outcome).not.toBe('open');
  });

  it('serves the renderer with a strict CSP header, and nothing outside its folder', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('TeaCache Studio');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect((await raw('/assets/app.js')).headers['content-type']).toMatch(/javascript/);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await raw(path);
      expect(response.status, path).not.toBe(200);
      expect(response.body).not.toContain('not for the web');
    }
  });

  it('runs the contract end to end through the web client: events over the WebSocket, errors as StudioError', async () => {
    const api = createWebApi({ baseUrl: server.url, WebSocket: WebSocket as never });
    try {
      await new Promise<void>((resolve) => api.onConnectionChange((connected) => connected && resolve()));
      const info = await api.getInfo();
      expect(info.model.sizeMultiple).toBeGreaterThan(0);
      const steps: number[] = [];
      api.onSteps((batch) => steps.push(...batch.events.map((event) => event.index)));
      const done = new Promise<{ hits: number; misses: number }>((resolve) => api.onJobDone((event) => resolve(event.entry.stats)));
      await api.generate({ prompt: 'red heart', seed: 2, steps: 5, width: 32, height: 32 });
      const stats = await done;
      expect(steps).toEqual([0, 1, 2, 3, 4]);
      expect(stats.hits + stats.misses).toBe(5);
      const error = await api.getImage('nope').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StudioError);
      expect((error as StudioError).code).toBe('NOT_FOUND');
      const { entries } = await api.listHistory();
      expect(entries).toHaveLength(1);
    } finally {
      api.close();
    }
  });
});

describe('web server without a built renderer', () => {
  it('says how to build it instead of a blank page', async () => {
    const bare = await startWebServer({ service, rendererDir: join(dir, 'no-such-build'), port: 0 });
    try {
      const response = await fetch(bare.url);
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/npm run build:renderer/);
    } finally {
      await bare.close();
    }
  });
});
