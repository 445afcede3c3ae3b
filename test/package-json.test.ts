// package.json's Node range against what the locked dependencies declare: every Node it admits must be one
// that `npm ci` installs without EBADENGINE, and the README must ask for the same minimum. Reads only.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// npm's own range semantics; semver is in the tree through npm's tooling (electron-builder, cmake-js).
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

describe('engines.node', () => {
  it('admits only Node releases every locked package accepts (no EBADENGINE on npm ci)', () => {
    const ranges = Object.entries(lock.packages).flatMap(([name, entry]) => {
      const node = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      return name !== '' && node ? [{ name, node }] : [];
    });
    const admitted: string[] = [];
    for (let major = 18; major <= 30; major++) {
      for (let minor = 0; minor <= 30; minor++) {
        const version = `${major}.${minor}.0`;
        if (semver.satisfies(version, pkg.engines.node)) admitted.push(version);
      }
    }
    expect(admitted.length).toBeGreaterThan(0);
    const refused = admitted.flatMap((version) => ranges.filter(({ node }) => !semver.satisfies(version, node)).map(({ name, node }) => `${version}: ${name} wants ${node}`));
    expect(refused).toEqual([]);
  });

  it('is what the README asks for', () => {
    const minimum = semver.minVersion(pkg.engines.node)!.version.replace(/\.0$/, '');
    expect(readFileSync(`${ROOT}README.md`, 'utf8')).toContain(`Node.js ${minimum}`);
  });
});
