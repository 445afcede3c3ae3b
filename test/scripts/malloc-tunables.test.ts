// The CLI, web mode and `npm start` run again with glibc told to keep freed memory mapped; the variable is only
// added where it means something and where the user has not chosen a malloc setting, and the relaunched command keeps
// its output, its exit status and the signals sent to it.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetMallocTunables, MALLOC_TUNABLES, mallocTunedEnv, withoutMallocTunables } from '../../scripts/malloc-tunables.mjs';

describe('mallocTunedEnv', () => {
  it('adds the tunables on Linux and keeps the rest of the environment', () => {
    expect(mallocTunedEnv({ PATH: '/bin' }, 'linux')).toEqual({ PATH: '/bin', GLIBC_TUNABLES: MALLOC_TUNABLES });
    expect(MALLOC_TUNABLES).toMatch(/^glibc\.malloc\.mmap_threshold=\d+:glibc\.malloc\.top_pad=\d+$/);
  });

  it("appends to the user's own tunables of other kinds", () => {
    const env = mallocTunedEnv({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX512F' }, 'linux');
    expect(env?.GLIBC_TUNABLES).toBe(`glibc.cpu.hwcaps=-AVX512F:${MALLOC_TUNABLES}`);
  });

  it('changes nothing where malloc is already tuned (a relaunched process, or the user) or glibc is not used', () => {
    expect(mallocTunedEnv({ GLIBC_TUNABLES: MALLOC_TUNABLES }, 'linux')).toBeUndefined();
    expect(mallocTunedEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' }, 'linux')).toBeUndefined();
    expect(mallocTunedEnv({}, 'darwin')).toBeUndefined();
    expect(mallocTunedEnv({}, 'win32')).toBeUndefined();
  });
});

describe('withoutMallocTunables', () => {
  it('gives back the environment mallocTunedEnv started from', () => {
    for (const before of [{ PATH: '/bin' }, { PATH: '/bin', GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX512F' }]) {
      expect(withoutMallocTunables(mallocTunedEnv(before, 'linux')!)).toEqual(before);
    }
  });

  it("leaves the user's own malloc settings alone", () => {
    const env = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' };
    expect(withoutMallocTunables(env)).toBe(env);
  });
});

describe('forgetMallocTunables', () => {
  it("puts the environment back as the user gave it, in place, so what the process starts from then on gets that", () => {
    const tuned = mallocTunedEnv({ PATH: '/bin' }, 'linux')!;
    forgetMallocTunables(tuned);
    expect(tuned).toEqual({ PATH: '/bin' });
    const own = mallocTunedEnv({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX512F' }, 'linux')!;
    forgetMallocTunables(own);
    expect(own).toEqual({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX512F' });
    const users = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' };
    forgetMallocTunables(users);
    expect(users).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' });
  });
});

describe.runIf(process.platform === 'linux')('relaunchWithMallocTunables', () => {
  let dir: string;
  const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../scripts/malloc-tunables.mjs', import.meta.url))).href;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'malloc-tunables-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts `body` as a script that relaunches itself first; resolves with what the outer process printed and its exit. */
  function run(body: string, args: string[], whenStarted?: (pid: number) => void, nodeFlags: string[] = []) {
    const script = join(dir, 'entry.mjs');
    writeFileSync(script, `import { relaunchWithMallocTunables } from ${JSON.stringify(moduleUrl)};\nif (!relaunchWithMallocTunables()) {\n${body}\n}\n`);
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    const outer = spawn(process.execPath, [...nodeFlags, script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let started = false;
    outer.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (started || !out.includes('ready')) return;
      started = true;
      whenStarted?.(outer.pid!);
    });
    return new Promise<{ out: string; code: number | null; signal: NodeJS.Signals | null }>((resolve) => outer.on('exit', (code, signal) => resolve({ out, code, signal })));
  }

  it('runs the same script with the same arguments once more, with the tunables, and exits with its status', async () => {
    const { out, code } = await run('console.log(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES, args: process.argv.slice(2) })); process.exit(3);', ['--prompt', 'red heart']);
    expect(code).toBe(3);
    expect(JSON.parse(out)).toEqual({ tunables: MALLOC_TUNABLES, args: ['--prompt', 'red heart'] });
  });

  it('passes SIGTERM on to the relaunched process, so stopping the command stops its work', async () => {
    const body = "process.on('SIGTERM', () => { console.log('stopped cleanly'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);";
    const { out, code } = await run(body, [], (pid) => process.kill(pid, 'SIGTERM'));
    expect(out).toContain('stopped cleanly');
    expect(code).toBe(0);
  });

  it('dies of the signal the relaunched process died of, as a shell needs to stop a script at a Ctrl-C', async () => {
    const { code, signal } = await run("console.log('ready'); process.kill(process.pid, 'SIGINT'); setInterval(() => {}, 1000);", []);
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
  });

  it('runs the command in the process itself under --inspect, where a debugger would attach', async () => {
    const { out, code } = await run("console.log(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null }));", [], undefined, ['--inspect=127.0.0.1:0']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ tunables: null });
  });

  it('stops the relaunched process when its parent is killed outright, rather than leaving it running', async () => {
    const body = "process.on('SIGTERM', () => process.exit(0)); console.log('ready ' + process.pid); setInterval(() => {}, 1000);";
    let inner = 0;
    const outcome = run(body, [], (pid) => {
      process.kill(pid, 'SIGKILL');
    });
    const { out } = await outcome;
    inner = Number(/ready (\d+)/.exec(out)?.[1]);
    expect(inner).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(inner, 0);
        return true;
      } catch {
        return false;
      }
    };
    const until = Date.now() + 3000;
    while (alive() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    const stillAlive = alive();
    if (stillAlive) process.kill(inner, 'SIGKILL');
    expect(stillAlive).toBe(false);
  });

  it('leaves its own marker out of the environment the command sees, and of what the command starts', async () => {
    const { out } = await run("console.log(JSON.stringify(Object.keys(process.env).filter((k) => k.startsWith('TEACACHE_RELAUNCH'))));", []);
    expect(JSON.parse(out)).toEqual([]);
  });
});
