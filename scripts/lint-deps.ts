// `npm run lint:deps`: checks the folders' layering (.dependency-cruiser.cjs) over main/, renderer/, scripts/ and
// native/. Calls dependency-cruiser's API, because its CLI refuses Node 20, which this project supports.
//
//   npx tsx scripts/lint-deps.ts [PATH...]     (paths relative to the repository root; the whole tree by default)

import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LINTED = ['main', 'renderer', 'scripts', 'native/build-addon.ts'] as const;

/** Runs the layering rules over `paths` (relative to `root`); one line per import that breaks a rule. */
export async function layeringViolations(root: string = ROOT, paths: readonly string[] = LINTED): Promise<string[]> {
  const config = createRequire(import.meta.url)(resolve(root, '.dependency-cruiser.cjs')) as IConfiguration;
  const cwd = process.cwd();
  // dependency-cruiser names modules relative to the working folder, which the rules' paths assume is the root.
  process.chdir(root);
  try {
    const tsConfig = extractTSConfig(resolve(root, 'tsconfig.json'));
    const options = { ...config.options, ruleSet: { forbidden: config.forbidden ?? [] }, validate: true };
    const { output } = await cruise([...paths], options, undefined, { tsConfig });
    return (output as ICruiseResult).summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle?.length ? ` (cycle: ${v.cycle.map((step) => step.name).join(' -> ')})` : ''}`,
    );
  } finally {
    process.chdir(cwd);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const paths = process.argv.slice(2);
  const violations = await layeringViolations(ROOT, paths.length ? paths : LINTED);
  if (violations.length) {
    console.error(`lint:deps: ${violations.length} import(s) break the layering (rules and reasons in .dependency-cruiser.cjs):`);
    for (const line of violations) console.error(`  ${line}`);
    process.exitCode = 1;
  } else {
    console.log('lint:deps: the layering holds.');
  }
}
