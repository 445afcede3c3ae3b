// Builds the built-in model's training set from openly licensed emoji art in npm packages (fetched with `npm pack`,
// never installed as dependencies); writes only under its output folder, which git ignores. Runs in Node.
//
//   npx tsx scripts/build-emoji-dataset.ts [--packages tmp/emoji-packages] [--out training/data] [--max-tokens 16]
//
// Sets used: Twemoji (CC-BY 4.0) and Noto Emoji (Apache-2.0), as 64×64 PNGs from emoji-datasource-{twitter,google}.
// Names come from unicode-emoji-json (CLDR short names, MIT). OpenMoji (CC-BY-SA 4.0) is left out on purpose: its
// share-alike term would bind the trained weights, which the project ships under plain attribution terms.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { convertIndexedToRgb, decode, encode } from 'fast-png';
import { BOS, SPECIAL_TOKENS, WordTokenizer } from '../main/engine/models/text/word-encoder.ts';

const SIZE = 64;

interface ArtSet {
  readonly pkg: string;
  readonly version: string;
  /** Folder name under img/ and the `has_img_*` flag in emoji.json. */
  readonly key: 'twitter' | 'google';
  /** The word captions use for the art style. */
  readonly style: string;
  readonly artwork: string;
  readonly licence: string;
}

const SETS: readonly ArtSet[] = [
  { pkg: 'emoji-datasource-twitter', version: '16.0.0', key: 'twitter', style: 'twemoji', artwork: 'Twemoji v16.0.1 (jdecked/twemoji fork), © Twitter, Inc. and other contributors', licence: 'CC-BY-4.0' },
  { pkg: 'emoji-datasource-google', version: '16.0.0', key: 'google', style: 'noto', artwork: 'Noto Emoji v2.048, © Google LLC', licence: 'Apache-2.0' },
];
const NAMES_PKG = { pkg: 'unicode-emoji-json', version: '0.9.0' };

export interface DatasourceEntry {
  readonly name: string | null;
  readonly unified: string;
  readonly image: string;
  readonly short_names: readonly string[];
  readonly category: string;
  readonly subcategory: string;
  readonly [flag: `has_img_${string}`]: boolean | undefined;
}

/** Fetches a package tarball once and unpacks it into its own folder; returns that folder's `package/`. */
function fetchPackage(dir: string, pkg: string, version: string, images: boolean): string {
  const folder = join(dir, `${pkg}-${version}`);
  const root = join(folder, 'package');
  if (existsSync(join(root, 'package.json'))) return root;
  mkdirSync(folder, { recursive: true });
  const tarball = join(dir, `${pkg}-${version}.tgz`);
  if (!existsSync(tarball)) {
    process.stderr.write(`npm pack ${pkg}@${version}\n`);
    execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  // Only the 64 px images and the metadata: the tarballs also carry large sprite sheets.
  const members = ['package/*.json', 'package/*.md', 'package/LICENSE*', ...(images ? ['package/img/*/64/*'] : [])];
  execFileSync('tar', ['xzf', tarball, '-C', folder, '--wildcards', ...members], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return root;
}

/** Emoji sequences compared without variation selectors, which the two data sets write differently. */
export function sequenceKey(chars: string): string {
  return [...chars]
    .filter((c) => c !== '\uFE0F' && c !== '\uFE0E')
    .map((c) => c.codePointAt(0)!.toString(16))
    .join('-');
}

export function unifiedKey(unified: string): string {
  return unified
    .toLowerCase()
    .split('-')
    .filter((cp) => cp !== 'fe0f' && cp !== 'fe0e')
    .map((cp) => parseInt(cp, 16).toString(16))
    .join('-');
}

/** A caption-ready phrase: words only, joined by spaces. */
function phrase(text: string): string {
  return WordTokenizer.words(text.replace(/_/g, ' ')).join(' ');
}

export function captionsFor(entry: DatasourceEntry, name: string, style: string): string[] {
  const shortNames = entry.short_names.map(phrase).filter((s) => s.length > 0 && s !== name);
  const subcategory = phrase(entry.subcategory);
  const captions = new Set<string>([`${name}, ${style} style`, name, `${style} style ${name}`, `${name}, ${subcategory}, ${style} style`]);
  for (const short of shortNames.slice(0, 2)) captions.add(`${short}, ${style} style`);
  return [...captions];
}

/** RGBA over white: every set gets the same background, and the model never sees transparency. */
export function onWhite(png: Uint8Array, file: string): Uint8Array {
  const image = decode(png);
  let data = image.data as Uint8Array;
  let channels = image.channels;
  if (image.palette) {
    data = convertIndexedToRgb(image);
    channels = data.length / (image.width * image.height);
  }
  if (image.width !== SIZE || image.height !== SIZE || (image.depth !== 8 && !image.palette) || channels < 1 || channels > 4) {
    throw new Error(`${file}: expected an 8-bit or indexed ${SIZE}×${SIZE} PNG, got ${image.width}×${image.height}, ${channels} channels at ${image.depth} bits.`);
  }
  // Gray (1), gray+alpha (2), RGB (3) or RGBA (4) samples per pixel.
  const colour = channels >= 3 ? 3 : 1;
  const hasAlpha = channels === 2 || channels === 4;
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const alpha = hasAlpha ? data[i * channels + colour]! / 255 : 1;
    for (let c = 0; c < 3; c++) {
      const value = data[i * channels + (colour === 3 ? c : 0)]!;
      rgb[i * 3 + c] = Math.round(value * alpha + 255 * (1 - alpha));
    }
  }
  return rgb;
}

/** Up to 16×16 thumbnails in one PNG, to eyeball what the model is trained on. */
function contactSheet(images: readonly Uint8Array[], columns = 16): Uint8Array {
  const rows = Math.ceil(images.length / columns);
  const width = columns * SIZE;
  const sheet = new Uint8Array(width * rows * SIZE * 3).fill(255);
  images.forEach((img, n) => {
    const x0 = (n % columns) * SIZE;
    const y0 = Math.floor(n / columns) * SIZE;
    for (let y = 0; y < SIZE; y++) sheet.set(img.subarray(y * SIZE * 3, (y + 1) * SIZE * 3), ((y0 + y) * width + x0) * 3);
  });
  return encode({ width, height: rows * SIZE, data: sheet, channels: 3, depth: 8 });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      packages: { type: 'string', default: 'tmp/emoji-packages' },
      out: { type: 'string', default: 'training/data' },
      'max-tokens': { type: 'string', default: '16' },
    },
  });
  const packagesDir = resolve(values.packages);
  const outDir = resolve(values.out);
  const maxTokens = Number(values['max-tokens']);
  if (!Number.isInteger(maxTokens) || maxTokens < 2) throw new Error(`--max-tokens must be an integer ≥ 2, got "${values['max-tokens']}".`);
  mkdirSync(packagesDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });

  const namesRoot = fetchPackage(packagesDir, NAMES_PKG.pkg, NAMES_PKG.version, false);
  const cldr = JSON.parse(readFileSync(join(namesRoot, 'data-by-emoji.json'), 'utf8')) as Record<string, { name: string }>;
  const cldrNames = new Map(Object.entries(cldr).map(([chars, info]) => [sequenceKey(chars), info.name]));

  const images: Uint8Array[] = [];
  const items: { set: string; unified: string; name: string; captions: string[] }[] = [];
  let skipped = 0;
  for (const set of SETS) {
    const root = fetchPackage(packagesDir, set.pkg, set.version, true);
    const entries = JSON.parse(readFileSync(join(root, 'emoji.json'), 'utf8')) as DatasourceEntry[];
    for (const entry of entries) {
      // Country and region flags are ~260 near-identical rectangles named only by place: capacity better spent elsewhere.
      const isRegionFlag = entry.subcategory === 'country-flag' || entry.subcategory === 'subdivision-flag';
      if (!entry[`has_img_${set.key}`] || isRegionFlag || entry.category === 'Component') {
        skipped++;
        continue;
      }
      const file = join(root, 'img', set.key, '64', entry.image);
      const name = phrase(cldrNames.get(unifiedKey(entry.unified)) ?? entry.name ?? entry.short_names[0] ?? '');
      if (name.length === 0) {
        skipped++;
        continue;
      }
      images.push(onWhite(readFileSync(file), file));
      items.push({ set: set.style, unified: entry.unified, name, captions: captionsFor(entry, name, set.style) });
    }
  }

  // Vocabulary: the special tokens, then every caption word by frequency (ties alphabetical) so ids are stable.
  const counts = new Map<string, number>();
  for (const item of items) for (const caption of item.captions) for (const word of WordTokenizer.words(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([word]) => word);
  const vocab = [...SPECIAL_TOKENS, ...words];
  const tokenizer = new WordTokenizer(vocab);
  const encoded = items.map((item) => item.captions.map((caption) => tokenizer.encode(caption, maxTokens).ids));

  const pixels = new Uint8Array(images.length * SIZE * SIZE * 3);
  images.forEach((img, n) => pixels.set(img, n * img.length));
  writeFileSync(join(outDir, 'images.u8.gz'), gzipSync(pixels, { level: 9 }));
  writeFileSync(join(outDir, 'vocab.json'), `[\n${vocab.map((w) => JSON.stringify(w)).join(',\n')}\n]\n`);
  writeFileSync(
    join(outDir, 'captions.json'),
    JSON.stringify({
      size: SIZE,
      channels: 3,
      count: items.length,
      maxTokens,
      emptyCaption: tokenizer.encode('', maxTokens).ids,
      bos: vocab.indexOf(BOS),
      sets: SETS.map(({ pkg, version, style, artwork, licence }) => ({ pkg, version, style, artwork, licence })),
      names: NAMES_PKG,
      items: items.map((item, n) => ({ ...item, ids: encoded[n] })),
    }),
  );
  const sample = Array.from({ length: 256 }, (_, i) => images[Math.floor((i * images.length) / 256)]!);
  writeFileSync(join(outDir, 'preview.png'), contactSheet(sample));
  process.stderr.write(`${items.length} images (${skipped} entries skipped), ${vocab.length} vocabulary entries, written to ${outDir}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
