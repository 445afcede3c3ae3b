// The layering the folders promise, checked by `npm run lint:deps` (scripts/lint-deps.ts) as part of `npm test`:
// each folder says where its code runs, and a rule here fails the build when an import crosses that line.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'renderer-stays-in-the-browser',
      comment:
        'The renderer runs in a sandboxed page: it may import itself, main/core (pure) and main/transport/browser, ' +
        'never Node built-ins, Electron or the engine.',
      severity: 'error',
      from: { path: '^renderer/' },
      to: {
        dependencyTypesNot: ['npm', 'npm-dev'],
        pathNot: ['^renderer/', '^main/core/', '^main/transport/browser/'],
      },
    },
    {
      name: 'browser-code-has-no-node',
      comment: 'The renderer and the browser transport run without Node: no built-ins, no Electron, no MLX.',
      severity: 'error',
      from: { path: ['^renderer/', '^main/transport/browser/'] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-code-has-no-native-packages',
      severity: 'error',
      from: { path: ['^renderer/', '^main/transport/browser/', '^main/core/'] },
      to: { path: '^node_modules/(electron|ws|@frost-beta|@huggingface|fast-png)/' },
    },
    {
      name: 'core-is-pure',
      comment: 'main/core is importable anywhere (renderer included): it imports only itself and zod.',
      severity: 'error',
      from: { path: '^main/core/' },
      to: { pathNot: ['^main/core/', '^node_modules/zod/'] },
    },
    {
      name: 'browser-transport-knows-only-core',
      severity: 'error',
      from: { path: '^main/transport/browser/' },
      to: { pathNot: ['^main/core/', '^main/transport/browser/', '^node_modules/zod/'] },
    },
    {
      name: 'electron-only-in-the-shell',
      comment: 'Only the Electron transport (main process and preload) may import Electron; the engine, host, app, ' +
        'CLI and web mode run under plain Node.',
      severity: 'error',
      from: { pathNot: ['^main/transport/electron-main/', '^main/transport/preload/', '^main/start\\.ts$', '^test/', '^scripts/'] },
      to: { path: '^node_modules/electron/' },
    },
    {
      name: 'engine-below-host',
      comment: 'The engine (MLX, models, sampler) runs in the worker or the CLI: it knows nothing of the host, the ' +
        'app, the transports or the CLI.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: '^main/(host|app|transport|cli)/' },
    },
    {
      name: 'host-below-app',
      comment: 'The host runs the engine worker for the app; it knows nothing of the app, the transports or the CLI.',
      severity: 'error',
      from: { path: '^main/host/' },
      to: { path: '^main/(app|transport|cli)/' },
    },
    {
      name: 'app-below-transports',
      comment: 'The app (service, history, model choice, calibration store) is shared by Electron and web mode; it ' +
        'never imports a transport or the CLI.',
      severity: 'error',
      from: { path: '^main/app/' },
      to: { path: '^main/(transport|cli)/' },
    },
    {
      name: 'cli-beside-app',
      comment: 'The CLI drives the engine directly; it does not go through the app or a transport.',
      severity: 'error',
      from: { path: '^main/cli/' },
      to: { path: '^main/(app|transport|host)/' },
    },
    {
      name: 'transports-apart',
      comment: 'Each transport stands alone; what two share lives in main/transport/ itself (csp.ts) or below.',
      severity: 'error',
      from: { path: '^main/transport/([^/]+)/' },
      to: { path: '^main/transport/[^/]+/', pathNot: ['^main/transport/$1/', '^main/transport/browser/'] },
    },
    {
      name: 'source-never-imports-tests',
      severity: 'error',
      from: { path: '^(main|renderer|native|scripts)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(main|renderer)/' },
      // A cycle of type-only imports (the store's slices and their shared types) costs nothing at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules may be a link (a shared install): name packages by where they are linked, not where they live.
    preserveSymlinks: true,
    exclude: { path: ['^dist/', '^native/build/'] },
    // Type-only imports count: a type import across a layer still couples the layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
