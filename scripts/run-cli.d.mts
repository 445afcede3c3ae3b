// Types for scripts/run-cli.mjs, which stays plain JavaScript so that starting a command costs no transpiling.

export function isBundleFresh(root: string, name: string): boolean;
