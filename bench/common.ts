/** Shared by the benchmark scripts: where the reference files are, and writing results. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The reference objectives and Optuna's figures: `BENCH_SHARED`, else the `shared/bench` folder beside the checkout. */
export function sharedBenchDir(): string {
  const dir = process.env.BENCH_SHARED ?? path.resolve(ROOT, '..', 'shared', 'bench');
  if (!existsSync(path.join(dir, 'branin.yaml'))) {
    throw new Error(`reference benchmark files not found in ${dir}; set BENCH_SHARED to the folder holding branin.yaml and mixed.yaml`);
  }
  return dir;
}

export function writeResult(name: string, data: unknown): string {
  const out = path.join(ROOT, 'results', `bench-${name}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(data, null, 2)}\n`);
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
