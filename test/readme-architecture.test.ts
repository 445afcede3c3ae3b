// The README's architecture section against the tree: every folder it names exists, and every folder of main/ and
// renderer/ is named there, so the map cannot drift from the code it describes.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The folders the architecture block lists, as repository paths (nesting is two spaces a level). */
function listedFolders(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Architecture'));
  const block = section.slice(section.indexOf('```\n') + 4, section.indexOf('\n```', section.indexOf('```\n') + 4));
  const stack: string[] = [];
  const folders: string[] = [];
  for (const line of block.split('\n')) {
    const match = /^( *)(\S+\/)(?:\s|$)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 2;
    stack.length = depth;
    stack.push(match[2]!.replace(/\/$/, ''));
    folders.push(stack.join('/'));
  }
  return folders;
}

function foldersUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((name) => statSync(join(ROOT, dir, name)).isDirectory())
    .flatMap((name) => [`${dir}/${name}`, ...foldersUnder(`${dir}/${name}`)]);
}

describe("the README's architecture section", () => {
  const listed = listedFolders(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('names only folders that exist', () => {
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.filter((folder) => !existsSync(join(ROOT, folder)))).toEqual([]);
  });

  it('names every folder of main/ and renderer/', () => {
    const actual = [...foldersUnder('main'), ...foldersUnder('renderer')];
    expect(actual.filter((folder) => !listed.includes(folder))).toEqual([]);
  });
});
