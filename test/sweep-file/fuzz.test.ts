/**
 * A seeded fuzz test of the sweep-file validator: 800 mutated sweep files (wrong types, missing and
 * extra keys, extreme numbers, deep nesting, long strings, broken syntax). Every one either validates or is
 * refused with exit 2 and one line; never a stack trace, a hang or a crash of the process.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createRng } from '../../src/space/rng.js';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { cli } from '../sweeps.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const BASES: Json[] = [
  {
    name: 'prog',
    method: 'random',
    seed: 1,
    run_cap: 5,
    program: './obj.mjs',
    metric: { name: 'loss', goal: 'minimize' },
    parameters: {
      lr: { distribution: 'log_uniform_values', min: 1e-5, max: 0.1 },
      layers: { values: [1, 2, 3], probabilities: [0.2, 0.3, 0.5] },
      width: { distribution: 'int_uniform', min: 8, max: 64, q: 8 },
      drop: { distribution: 'q_uniform', min: 0, max: 0.5, q: 0.1 },
      act: { value: 'relu' },
      scale: { distribution: 'log_uniform', min: -3, max: 2 },
    },
  },
  {
    name: 'grid',
    method: 'grid',
    seed: 2,
    workers: 2,
    max_consecutive_failures: 3,
    metric: { name: 'val_accuracy', goal: 'maximize' },
    parameters: { learning_rate: { values: [0.01, 0.001] }, units: { values: [16, 32] }, optimizer: { values: ['adam', 'sgd'] } },
    train: { epochs: 1, train_size: 400, batch_size: 32, early_stopping: { monitor: 'val_loss', patience: 2 } },
  },
  {
    method: 'bayes',
    run_cap: 10,
    executions_per_trial: 2,
    save_models: 1,
    bayes: { n_startup_trials: 3, n_ei_candidates: 24, multivariate: true },
    parameters: {
      learning_rate: { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 },
      dropout: { min: 0.0, max: 0.5 },
      layers: { distribution: 'int_uniform', min: 1, max: 3 },
      model: { values: ['mlp', 'cnn'] },
    },
    train: { epochs: 2, augment: true, rotation_range: 10, lr_schedule: 'step', lr_decay: 0.5 },
  },
  {
    name: 'pareto',
    method: 'bayes',
    run_cap: 10,
    metrics: [{ name: 'val_accuracy', goal: 'maximize' }, { name: 'params', goal: 'minimize' }],
    constraints: [{ name: 'inference_ms', max: 2 }, { name: 'model_bytes', min: 0, max: 1e6 }],
    parameters: { layers: { values: [0, 1, 2] }, units: { distribution: 'q_log_uniform_values', min: 8, max: 512, q: 8 } },
    train: { epochs: 1 },
  },
];

const KEYS = ['name', 'method', 'metric', 'metrics', 'constraints', 'run_cap', 'seed', 'workers', 'parameters', 'train', 'program', 'bayes', 'min', 'max', 'q', 'values', 'value', 'distribution', 'goal', 'epochs', 'run_capp', 'distrbution', '', '<<', '__proto__', 'constructor', 'toString'];

function weird(rng: () => number, depth = 0): Json {
  const pick = Math.floor(rng() * 24);
  switch (pick) {
    case 0: return null;
    case 1: return rng() < 0.5;
    case 2: return Number.NaN;
    case 3: return Number.POSITIVE_INFINITY;
    case 4: return Number.NEGATIVE_INFINITY;
    case 5: return 1e308;
    case 6: return -1e308;
    case 7: return 5e-324;
    case 8: return 2 ** 53 + 2;
    case 9: return -0;
    case 10: return 1e-300;
    case 11: return Math.floor(rng() * 2000) - 1000;
    case 12: return rng() * 10 - 5;
    case 13: return 'x'.repeat(Math.floor(rng() * 20000));
    case 14: return '\u001b[2J\u0000\u0007\ud83d\ude00\u202e' + String.fromCharCode(Math.floor(rng() * 0xd7ff));
    case 15: return ['log_uniform', 'int_uniform', 'q_uniform', 'categorical', 'constant', 'grid', 'random', 'bayes', 'maximize', 'adam', 'cnn'][Math.floor(rng() * 11)]!;
    case 16: return [];
    case 17: return {};
    case 18: return Array.from({ length: Math.floor(rng() * 5) }, () => (depth < 3 ? weird(rng, depth + 1) : 1));
    case 19: return Object.fromEntries(Array.from({ length: Math.floor(rng() * 4) }, () => [KEYS[Math.floor(rng() * KEYS.length)]!, depth < 3 ? weird(rng, depth + 1) : 1]));
    case 20: return nest(rng, Math.floor(rng() * 3000));
    case 21: return Array.from({ length: 1000 + Math.floor(rng() * 5000) }, (_, i) => i);
    case 22: return '../../../etc/passwd';
    default: return String(rng());
  }
}

function nest(rng: () => number, depth: number): Json {
  let node: Json = 1;
  for (let i = 0; i < depth; i++) node = rng() < 0.5 ? [node] : { a: node };
  return node;
}

/** Every (container, key) in the document, to pick a place to mutate. */
function places(doc: Json, out: Array<[Json[] | { [k: string]: Json }, string | number]> = [], depth = 0): typeof out {
  if (depth > 6 || doc === null || typeof doc !== 'object') return out;
  if (Array.isArray(doc)) doc.forEach((v, i) => (out.push([doc, i]), places(v, out, depth + 1)));
  else for (const k of Object.keys(doc)) out.push([doc, k]), places(doc[k]!, out, depth + 1);
  return out;
}

function mutate(doc: Json, rng: () => number): Json {
  const all = places(doc);
  if (all.length === 0) return weird(rng);
  const [container, key] = all[Math.floor(rng() * all.length)]!;
  const op = Math.floor(rng() * 4);
  if (Array.isArray(container)) {
    const i = key as number;
    if (op === 0) container.splice(i, 1);
    else container[i] = weird(rng);
  } else {
    const k = key as string;
    if (op === 0) delete container[k];
    else if (op === 1) container[KEYS[Math.floor(rng() * KEYS.length)]!] = weird(rng);
    else if (op === 2) {
      const v = container[k] as Json;
      delete container[k];
      container[k.slice(0, -1) + 'x'] = v;
    } else container[k] = weird(rng);
  }
  return doc;
}

function textMutate(text: string, rng: () => number): string {
  const at = Math.floor(rng() * (text.length + 1));
  switch (Math.floor(rng() * 8)) {
    case 0: return text.slice(0, at);
    case 1: return text.slice(0, at) + String.fromCharCode(Math.floor(rng() * 128)) + text.slice(at);
    case 2: return text.slice(0, at) + '\t' + text.slice(at);
    case 3: return text + '\n---\nmethod: grid\n';
    case 4: return text.slice(0, at) + ': : [ { &a *b !!binary' + text.slice(at);
    case 5: return text.replace(/: /g, rng() < 0.5 ? ':' : ':  ');
    case 6: return `a: &a [${'x,'.repeat(50)}]\nb: [${'*a,'.repeat(200)}]\n` + text;
    default: return text.slice(0, at) + text.slice(at + Math.floor(rng() * 20));
  }
}

/** One fuzzed sweep file's text, reproducible from its index. */
function fuzzFile(seed: number): { name: string; text: string } {
  const rng = createRng(seed);
  let doc: Json = structuredClone(BASES[seed % BASES.length]!) as Json;
  for (let m = Math.floor(rng() * 4); m >= 0; m--) doc = mutate(doc, rng);
  const json = rng() < 0.25;
  let text: string;
  try {
    text = json ? JSON.stringify(doc) ?? 'null' : stringify(doc, { aliasDuplicateObjects: false });
  } catch {
    // Too deep for the serializer: the nesting itself, written out by hand.
    text = `method: grid\nparameters: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
  }
  if (rng() < 0.3) text = textMutate(text, rng);
  return { name: `f${seed}.${json ? 'json' : 'yaml'}`, text };
}

describe('fuzz: the sweep-file validator on mutated files', () => {
  const COUNT = 800;

  it(`validates or refuses (exit 2, one line) each of ${COUNT} seeded mutated files, never a stack trace or crash`, { timeout: 240_000 }, async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default (p) => 1;\n');
    const outcomes = { ok: 0, refused: 0 };
    for (let seed = 0; seed < COUNT; seed++) {
      const { name, text } = fuzzFile(seed);
      writeFile(dir, name, text);
      const started = Date.now();
      const r = await cli(['validate', name], dir);
      const where = `seed ${seed} (${name}): ${r.code} ${r.stderr.slice(0, 500)}`;
      assert.ok(Date.now() - started < 10_000, `${where}: took ${Date.now() - started} ms`);
      if (r.code === 0) {
        outcomes.ok++;
        assert.match(r.stdout, /: ok\n/, where);
        continue;
      }
      outcomes.refused++;
      assert.equal(r.code, 2, where);
      assert.equal(r.stdout, '', where);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, where);
      assert.ok(lines[0]!.startsWith(`error: ${name}`), where);
      assert.ok(lines[0]!.length < 1000, `${where}: a ${lines[0]!.length}-character line`);
      assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f]/, `${where}: raw control characters`);
    }
    // The generator must exercise both sides, or it tests nothing.
    // Both paths are exercised: some mutated files still validate, most are refused.
    assert.ok(outcomes.ok > COUNT * 0.03 && outcomes.refused > COUNT * 0.5, JSON.stringify(outcomes));
  });

  it('the real binary on 12 of them: exit 0 or 2 and one line from validate, and run refuses the same files writing nothing', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default (p) => 1;\n');
    for (let seed = 5000; seed < 5012; seed++) {
      const { name, text } = fuzzFile(seed);
      writeFile(dir, name, text);
      const v = await runCli(['validate', name], { cwd: dir });
      assert.equal(v.signal, null, `${name}: ${v.signal}`);
      assert.ok(v.code === 0 || v.code === 2, `${name}: ${v.code} ${v.stderr}`);
      if (v.code === 0) continue;
      assert.equal(v.stderr.trimEnd().split('\n').length, 1, `${name}: ${v.stderr}`);
      const r = await runCli(['run', name, '--db', 'never.db'], { cwd: dir });
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stderr, v.stderr, name);
      assert.ok(!existsSync(path.join(dir, 'never.db')), name);
    }
  });
});
