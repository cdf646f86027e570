import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { TrialError } from '../../src/errors.js';
import { runObjective } from '../../src/worker/program.js';
import { runCli, tempDir, writeFile } from '../helpers.js';

describe('custom objectives', () => {
  const dir = tempDir();

  it('passes params and a trial handle, stores reports, accepts a number or a record', async () => {
    const url = pathToFileURL(
      writeFile(dir, 'obj.mjs', 'export default async (p, trial) => { trial.report(1, { half: p.x / 2 }); return p.mode === "record" ? { value: p.x, extra: trial.number + trial.seed } : p.x * 3; };\n'),
    ).href;
    const steps: number[] = [];
    const a = await runObjective(url, ['value'], { number: 4, seed: 10, params: { x: 2, mode: 'plain' } }, (e) => steps.push(e.epoch));
    assert.deepEqual(a.metrics, { value: 6 });
    assert.deepEqual(a.epochs, [{ epoch: 1, metrics: { half: 1 }, durationMs: null, samples: null }]);
    assert.deepEqual(steps, [1]);
    const b = await runObjective(url, ['value'], { number: 4, seed: 10, params: { x: 2, mode: 'record' } }, () => {});
    assert.deepEqual(b.metrics, { value: 2, extra: 14 });
  });

  it('rejects results without the metric, and modules without a default function', async () => {
    const bad = pathToFileURL(writeFile(dir, 'bad.mjs', 'export default async () => ({ loss: 1 });\n')).href;
    await assert.rejects(runObjective(bad, ['value'], { number: 0, seed: 0, params: {} }, () => {}), (e: unknown) => e instanceof TrialError && /without the metric "value"/.test(e.message));
    const none = pathToFileURL(writeFile(dir, 'none.mjs', 'export const f = 1;\n')).href;
    await assert.rejects(runObjective(none, ['value'], { number: 0, seed: 0, params: {} }, () => {}), /no default export function/);
  });

  it('runs a TypeScript objective through the CLI (tsx when Node cannot strip types itself)', async () => {
    writeFile(dir, 'objective.ts', 'interface P { x: number }\nexport default async function (p: P): Promise<number> {\n  const y: number = p.x - 0.5;\n  return y * y;\n}\n');
    writeFile(dir, 'ts.yaml', 'name: ts\nmethod: bayes\nseed: 1\nrun_cap: 12\nprogram: ./objective.ts\nparameters:\n  x: {min: -2.0, max: 2.0}\n');
    const out = await runCli(['run', 'ts.yaml', '--db', path.join(dir, 'ts.db'), '--workers', '2'], { cwd: dir });
    assert.equal(out.code, 0, out.stderr + out.stdout);
    assert.match(out.stdout, /ts: 12 trial\(s\) complete/);
  });

  it('refuses a program that cannot load, before writing anything', async () => {
    writeFile(dir, 'broken.mjs', 'export default async (p) => p.x\nthis is not javascript\n');
    writeFile(dir, 'broken.yaml', 'name: broken\nmethod: random\nrun_cap: 2\nprogram: ./broken.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const db = path.join(dir, 'broken.db');
    const out = await runCli(['run', 'broken.yaml', '--db', db], { cwd: dir });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /^error: broken\.yaml: program: cannot load the objective: /);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(db), false);
  });
});
