// The explicit binary fetch step, without network: what it decides per platform, and the instructions it gives when
// a download fails (the package installers are replaced by failing stand-ins in a temporary project).

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LINUX_X64, MAC_ARM64, MLX_BINDING, MLX_METALLIB } from '../../scripts/binaries.ts';
import { electronExecutable, fetchElectron, fetchMlx, FetchError, hostPlatform } from '../../scripts/fetch-binaries.ts';
import { elfHeader, MACH_ARM64, machOHeader, METALLIB } from '../support/fake-binaries.ts';

const roots: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function put(root: string, file: string, bytes: Buffer | string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), bytes);
}

/** A project whose package installers fail the way they do offline. */
function offlineProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'fetch-binaries-'));
  roots.push(root);
  put(root, 'node_modules/@frost-beta/mlx/package.json', '{"version":"0.0.7"}');
  put(root, 'node_modules/@frost-beta/mlx/install.js', "console.error('getaddrinfo ENOTFOUND github.com'); process.exit(1);\n");
  put(root, MLX_BINDING, elfHeader(0x3e));
  put(root, 'node_modules/electron/package.json', '{"version":"41.7.1"}');
  put(root, 'node_modules/electron/install.js', "console.error('getaddrinfo ENOTFOUND github.com'); process.exit(1);\n");
  return root;
}

describe('hostPlatform', () => {
  it('maps the two platforms the app ships for, and nothing else', () => {
    expect(hostPlatform('darwin', 'arm64')).toBe(MAC_ARM64);
    expect(hostPlatform('linux', 'x64')).toBe(LINUX_X64);
    expect(hostPlatform('darwin', 'x64')).toBeNull();
    expect(hostPlatform('win32', 'x64')).toBeNull();
  });
});

describe('fetchMlx', () => {
  it('fetches nothing on Linux x64, where npm ships the build', () => {
    expect(fetchMlx(offlineProject(), LINUX_X64)).toMatch(/Linux x64 CPU build shipped in @frost-beta\/mlx 0\.0\.7 is in place/);
  });

  it('on a Mac, offline, says which two files to download and where they go', () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const root = offlineProject();
    const error = (() => {
      try {
        fetchMlx(root, MAC_ARM64);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(FetchError);
    const message = (error as Error).message;
    expect(message).toMatch(/exit 1; node_modules\/@frost-beta\/mlx\/build\/Release\/mlx\.node is a Linux \(ELF\) x64 binary/);
    expect(message).toContain(`curl -L https://github.com/frost-beta/node-mlx/releases/download/v0.0.7/mlx-mac-arm64.node.gz | gunzip > ${MLX_BINDING}`);
    expect(message).toContain(`mlx-mac-arm64.metallib.gz | gunzip > ${MLX_METALLIB}`);
  });

  it('does nothing on a Mac that already has the Metal build and its shaders', () => {
    const root = offlineProject();
    put(root, MLX_BINDING, machOHeader(MACH_ARM64));
    put(root, MLX_METALLIB, METALLIB);
    expect(fetchMlx(root, MAC_ARM64)).toMatch(/already in place/);
  });
});

describe('fetchElectron', () => {
  it('offline, explains the mirror and the manual route', () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const root = offlineProject();
    expect(() => fetchElectron(root)).toThrow(FetchError);
    expect(() => fetchElectron(root)).toThrow(/Electron 41\.7\.1 could not be downloaded \(exit 1\)[\s\S]*ELECTRON_MIRROR=[\s\S]*unzip it into node_modules\/electron\/dist/);
  });

  it('reports an installed Electron without downloading', () => {
    const root = offlineProject();
    put(root, 'node_modules/electron/path.txt', 'electron');
    put(root, 'node_modules/electron/dist/electron', '#!/bin/sh\n');
    chmodSync(join(root, 'node_modules/electron/dist/electron'), 0o755);
    expect(electronExecutable(root)).toBe(join(root, 'node_modules/electron/dist/electron'));
    expect(fetchElectron(root)).toMatch(/already installed/);
  });
});
