/**
 * The names a user may give the training engine through the environment, checked before a sweep starts (a
 * typo is the user's input error, exit 2, not a failed trial). Kept apart from tfjs: checking them loads none.
 */
export const KERNEL_PATHS = ['native', 'wasm', 'stock'] as const;
export type KernelPath = (typeof KERNEL_PATHS)[number];

/** The tfjs backends tfsweep can train on, fastest first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;

/** What is wrong with TFSWEEP_BACKEND or TFSWEEP_KERNELS in `env`, or null. */
export function engineEnvProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const backend = env.TFSWEEP_BACKEND;
  if (backend && !(BACKEND_NAMES as readonly string[]).includes(backend)) return `TFSWEEP_BACKEND=${backend}: expected one of ${BACKEND_NAMES.join(', ')}`;
  const kernels = env.TFSWEEP_KERNELS;
  if (kernels && !(KERNEL_PATHS as readonly string[]).includes(kernels)) return `TFSWEEP_KERNELS=${kernels}: expected one of ${KERNEL_PATHS.join(', ')}`;
  return null;
}
