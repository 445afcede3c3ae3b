// `npm run web` as a user starts it: a port already taken is one clear line naming the port and --port, not a
// raw EADDRINUSE trace; stopped as a terminal or a process manager stops it, it stops cleanly, and a second Ctrl-C quits at once.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPEAT_SIGNAL_MS } from '../../../../main/transport/web/main.ts';

let dir: string;
let busy: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'teacache-web-main-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>TeaCache Studio</title>');
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  port = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs web mode in its own process group; `onOutput` sees its stdout so far and may signal the group. */
function runWeb(args: string[], onOutput?: (stdout: string, pid: number) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/transport/web/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
      onOutput?.(stdout, child.pid!);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run web', () => {
  it('says in one line that the port is taken and how to pick another', async () => {
    const result = await runWeb(['--port', String(port), '--data-dir', join(dir, 'data'), '--renderer', join(dir, 'renderer')]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use.*--port N`))]);
    expect(result.stderr).not.toMatch(/EADDRINUSE|\bat /);
    expect(result.stdout).not.toMatch(/serving/);
  });

  it('stops cleanly when SIGTERM reaches its whole process group, relaunched process included', async () => {
    let signalled = false;
    const result = await runWeb(['--port', '0', '--data-dir', join(dir, 'stopped'), '--renderer', join(dir, 'renderer')], (stdout, pid) => {
      if (signalled || !/serving http/.test(stdout)) return;
      signalled = true;
      process.kill(-pid, 'SIGTERM');
    });
    expect(signalled).toBe(true);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it("takes a copy of its stop signal as the same stop, and the user's next Ctrl-C as quit now, while stopping waits on the engine", async () => {
    const script = join(dir, 'stuck-stop.mts');
    const main = fileURLToPath(new URL('../../../../main/transport/web/main.ts', import.meta.url));
    // A stop that never ends: the engine busy in a long forward.
    writeFileSync(script, `import { stopOnSignals } from ${JSON.stringify(main)};\nstopOnSignals(Promise.resolve({ stop: () => new Promise<void>(() => {}) }));\nconsole.log('ready');\nsetInterval(() => {}, 1000);\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let stdout = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += String(chunk);
        if (stdout.includes('ready')) resolve();
      }),
    );
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    child.kill('SIGINT');
    child.kill('SIGINT');
    await wait(REPEAT_SIGNAL_MS / 2);
    expect(child.exitCode === null && child.signalCode === null).toBe(true);
    await wait(REPEAT_SIGNAL_MS);
    child.kill('SIGINT');
    const signal = await Promise.race([exited, wait(5000).then(() => 'still running' as const)]);
    if (signal === 'still running') child.kill('SIGKILL');
    expect(signal).toBe('SIGINT');
    expect(stdout).toMatch(/Stopping .*Ctrl-C again to quit at once/);
  }, 30_000);
});
