// Web mode under malformed input, over real loopback sockets: raw WebSocket frames that break the protocol close
// only their own socket, with the fitting close code, while a run goes on; a bounded fuzz of HTTP bodies and
// frames leaves the server answering and the history untouched.

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { REQUEST_NAMES, type EventMessage } from '../../../../main/core/contract.ts';
import { MAX_BODY_BYTES, MAX_WS_PAYLOAD_BYTES, type RunningWebServer } from '../../../../main/transport/web/web-server.ts';
import { startTestWebServer, type TestWebServer } from '../../../support/web-server.ts';

let web: TestWebServer;
let dir: string;
let server: RunningWebServer;

beforeAll(async () => {
  web = await startTestWebServer('teacache-web-fuzz-');
  ({ dir, server } = web);
});
afterAll(() => web.close());

/** A WebSocket client that reads every event; resolves once connected. */
function listen(): Promise<{ ws: WebSocket; messages: EventMessage[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`);
    const messages: EventMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as EventMessage));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

/** A raw TCP connection that has completed the WebSocket handshake; `received` gathers what follows it. */
function handshake(): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const socket = connect(server.port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const ended = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (upgraded) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 4);
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) reject(new Error(`No upgrade: ${head}`));
      upgraded = true;
      resolve({ socket, received: () => buffer, ended });
    });
    socket.once('connect', () =>
      socket.write(
        [
          'GET /api/events HTTP/1.1',
          `Host: 127.0.0.1:${server.port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${key}`,
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      ),
    );
  });
}

/** One client frame: FIN set, `opcode`, masked unless told not to (clients must mask). */
function frame(opcode: number, payload: Buffer, options: { masked?: boolean; declaredLength?: number } = {}): Buffer {
  const masked = options.masked ?? true;
  const length = options.declaredLength ?? payload.length;
  const head: number[] = [0x80 | opcode];
  if (length < 126) head.push((masked ? 0x80 : 0) | length);
  else if (length < 65536) head.push((masked ? 0x80 : 0) | 126, length >> 8, length & 0xff);
  else {
    head.push((masked ? 0x80 : 0) | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(...big);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** Sends `bytes` after the handshake and returns the close code the server answers with (null: none). */
async function closeCodeFor(bytes: Buffer, waitMs = 5000): Promise<number | null> {
  const { socket, received, ended } = await handshake();
  socket.write(bytes);
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, waitMs))]);
  socket.destroy();
  const data = received();
  // The server's close frame: 0x88, an unmasked length, then the two-byte code.
  const at = data.indexOf(0x88);
  return at >= 0 && data.length >= at + 4 ? data.readUInt16BE(at + 2) : null;
}

const post = (name: string, body: Buffer | string, contentType = 'application/json') =>
  fetch(`${server.url}api/${name}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });

/** The history as the API and the disk see it: any change (added, removed, rewritten) shows. */
async function historySnapshot(): Promise<string> {
  const runs = join(dir, 'data', 'runs');
  const files = readdirSync(runs).sort().map((name) => `${name}:${createHash('sha1').update(readFileSync(join(runs, name))).digest('hex')}`);
  const listed = await (await post('listHistory', '{}')).json();
  return JSON.stringify({ files, listed });
}

/** Deterministic, so a failure replays. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('web server under malformed WebSocket frames', () => {
  it('closes only the offending socket, with the fitting code, while a run goes on', async () => {
    const watcher = await listen();
    const { jobId } = (await (await post('generate', JSON.stringify({ request: { prompt: 'red heart', seed: 3, steps: 20, width: 32, height: 32 } }))).json()) as {
      jobId: string;
    };
    const invalidUtf8 = Buffer.from([0x68, 0x69, 0xc3, 0x28, 0xff]);
    const codes = await Promise.all([
      closeCodeFor(frame(0x1, Buffer.alloc(100 * 1024, 0x61))),
      closeCodeFor(frame(0x1, invalidUtf8)),
      closeCodeFor(frame(0x1, Buffer.from('hello'), { masked: false })),
      closeCodeFor(frame(0x3, Buffer.from('x'))),
      // A close frame whose reason is not UTF-8 is invalid payload data too.
      closeCodeFor(frame(0x8, Buffer.concat([Buffer.from([0x03, 0xe8]), invalidUtf8]))),
      // A 2 GiB length in the header alone: refused before any payload arrives.
      closeCodeFor(frame(0x2, Buffer.alloc(0), { declaredLength: 2 ** 31 })),
    ]);
    expect(codes).toEqual([1009, 1007, 1002, 1002, 1007, 1009]);

    // The good client kept its socket and sees the run through.
    await expect.poll(() => watcher.messages.some((m) => m.name === 'jobDone' && m.payload.jobId === jobId), { timeout: 60_000, interval: 100 }).toBe(true);
    expect(watcher.ws.readyState).toBe(WebSocket.OPEN);
    watcher.ws.close();
    expect((await post('listJobs', '{}')).status).toBe(200);
  });

  it('survives a bounded fuzz of malformed HTTP bodies and frames, answering afterwards with history unchanged', async () => {
    await expect.poll(async () => ((await (await post('listJobs', '{}')).json()) as { jobs: unknown[] }).jobs.length, { timeout: 60_000 }).toBe(0);
    const before = await historySnapshot();
    expect(before).toContain('"entries":[{');
    const random = prng(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const bodies: Array<() => Buffer | string> = [
      () => bytes(1 + Math.floor(random() * 200)),
      () => '{"request": {"prompt": "x", "seed": 1'.slice(0, 1 + Math.floor(random() * 36)),
      () => '['.repeat(10_000),
      () => JSON.stringify({ request: { prompt: 'x', seed: pick([-1, 1e300, 'one', null, 2 ** 53]), steps: pick([0, 1e9, -5, 'x']) } }),
      () => JSON.stringify({ id: pick(['../../etc/passwd', '', 'a'.repeat(65), '%00', 'x y']) }),
      () => '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}',
      () => JSON.stringify({ request: { prompt: 'x'.repeat(3000), seed: 1 } }),
      () => Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]),
      () => 'x'.repeat(MAX_BODY_BYTES + 10),
      () => JSON.stringify({ dir: '\0' }),
      () => JSON.stringify({ runId: 'not-a-run' }),
    ];
    const names = [...REQUEST_NAMES.filter((name) => name !== 'setModelFolder'), 'noSuchRequest', '..%2f..%2fetc', ''];
    const started = Date.now();
    const statuses = new Set<number>();
    for (let i = 0; i < 120 && Date.now() - started < 20_000; i++) {
      const name = pick(names);
      const body = pick(bodies)();
      const response = await post(name, body, pick(['application/json', 'application/json; charset=utf-8', 'text/plain']));
      statuses.add(response.status);
      expect(response.status, `${name} ${String(body).slice(0, 80)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${name} ${String(body).slice(0, 80)}`).toBeLessThan(500);
      await response.text();
    }
    expect([...statuses].every((status) => status >= 400 && status < 500)).toBe(true);
    for (let i = 0; i < 30 && Date.now() - started < 40_000; i++) {
      const opcode = pick([0x0, 0x1, 0x2, 0x3, 0x7, 0x8, 0x9, 0xb, 0xf]);
      const payload = bytes(Math.floor(random() * 200));
      const masked = random() < 0.8;
      const declaredLength = random() < 0.2 ? MAX_WS_PAYLOAD_BYTES + Math.floor(random() * 1e6) : undefined;
      // A valid ping or a partial frame leaves the socket open: give up on it after a second.
      const code = await closeCodeFor(frame(opcode, payload, { masked, ...(declaredLength === undefined ? {} : { declaredLength }) }), 1000);
      if (code !== null) expect([1002, 1003, 1005, 1007, 1009, 1000]).toContain(code);
    }

    expect((await post('listJobs', '{}')).status).toBe(200);
    const again = await listen();
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
    again.ws.close();
    expect(await historySnapshot()).toBe(before);
  });
});
