// Types for scripts/malloc-tunables.mjs, plain JavaScript so that scripts/run-cli.mjs can use it before any TypeScript loads.

export const MALLOC_TUNABLES: string;
export function mallocTunedEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): NodeJS.ProcessEnv | undefined;
export function withoutMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function forgetMallocTunables(env?: NodeJS.ProcessEnv): void;
export function relaunchWithMallocTunables(): boolean;
