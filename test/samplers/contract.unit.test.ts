/**
 * The contract every registered sampler keeps (walked from the registry, so a new sampler is held to it the
 * moment its registry line exists): the same seed gives the same proposals; every value lies in its
 * distribution; a configuration that is running now is not proposed again; a sweep resumed from its stored
 * history (a fresh sampler, as a new process has) continues exactly as the uninterrupted one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrialRecord } from '../../src/core/records.js';
import type { Distribution, ParamValue, Params } from '../../src/core/params.js';
import { SAMPLERS } from '../../src/samplers/registry.js';
import { extremesOf } from '../../src/space/distributions.js';
import type { AnySamplerPlugin } from '../../src/samplers/plugin.js';
import type { Sampler } from '../../src/samplers/sampler.js';
import { validateSpec } from '../../src/sweep-file/validate.js';
import { TOP_LEVEL_KEYS, sweepSchema } from '../../src/sweep-file/schema.js';

const mixed: Record<string, Distribution> = {
  lr: { type: 'log_uniform_values', min: 1e-4, max: 1e-1 },
  dropout: { type: 'uniform', min: 0, max: 0.5 },
  units: { type: 'int_uniform', min: 8, max: 64, q: 8 },
  act: { type: 'categorical', values: ['relu', 'tanh', 'elu'] },
  bias: { type: 'q_uniform', min: -1, max: 1, q: 0.25 },
  // W&B's other distributions: unbounded, quantised, and inverse log scales.
  shift: { type: 'normal', mu: 0, sigma: 2 },
  width: { type: 'q_log_normal', mu: 3, sigma: 0.5, q: 4 },
  keep: { type: 'beta', a: 2, b: 5 },
  decay: { type: 'inv_log_uniform_values', min: 1e-4, max: 1e-1 },
};
const discrete: Record<string, Distribution> = {
  units: { type: 'int_uniform', min: 8, max: 64, q: 8 },
  act: { type: 'categorical', values: ['relu', 'tanh', 'elu'] },
  bias: { type: 'q_uniform', min: -1, max: 1, q: 0.25 },
};

/** The space a plug-in accepts: the mixed one, else the discrete one (grid). */
function spaceFor(plugin: AnySamplerPlugin): Record<string, Distribution> {
  try {
    plugin.checkSpace?.(mixed, 40);
    return mixed;
  } catch {
    return discrete;
  }
}

function samplerOf(plugin: AnySamplerPlugin, seed: number): Sampler {
  return plugin.create({ parameters: spaceFor(plugin), goal: 'minimize', seed, settings: plugin.resolve(plugin.example ?? undefined) });
}

function inside(dist: Distribution, v: ParamValue): boolean {
  const eps = 1e-9;
  switch (dist.type) {
    case 'constant':
      return v === dist.value;
    case 'categorical':
      return dist.values.includes(v);
    case 'log_uniform':
    case 'inv_log_uniform':
    case 'normal':
    case 'q_normal':
    case 'log_normal':
    case 'q_log_normal':
    case 'beta':
    case 'q_beta': {
      const [low, high] = extremesOf(dist)!;
      if (typeof v !== 'number' || v < low * (1 - eps) - eps || v > high * (1 + eps) + eps) return false;
      return !('q' in dist) || Math.abs(v / dist.q - Math.round(v / dist.q)) < 1e-6;
    }
    default: {
      if (typeof v !== 'number' || v < dist.min - eps || v > dist.max + eps) return false;
      if ('q' in dist) return Math.abs(v / dist.q - Math.round(v / dist.q)) < 1e-6 || Math.abs((v - dist.min) / dist.q - Math.round((v - dist.min) / dist.q)) < 1e-6;
      return true;
    }
  }
}

/** A fixed objective: the sweep's history grows as a real one would. */
function objective(p: Params): number {
  const n = (k: string): number => (typeof p[k] === 'number' ? (p[k] as number) : 0);
  return (Math.log10(n('lr') || 1e-2) + 2.5) ** 2 + (n('dropout') - 0.2) ** 2 + ((n('units') - 40) / 32) ** 2 + (p.act === 'tanh' ? 0 : 0.3) + n('bias') ** 2;
}

function trial(number: number, params: Params, state: TrialRecord['state'], space: Record<string, Distribution>): TrialRecord {
  const value = state === 'complete' ? objective(params) : null;
  return {
    id: number + 1, sweepId: 1, number, configIndex: number, state, params,
    distributions: Object.fromEntries(Object.keys(params).map((k) => [k, space[k]!])),
    value, metrics: value === null ? null : { value }, seed: number, backend: null,
    startedAt: null, endedAt: null, error: null,
  };
}

/** Runs `count` claims the way the planner does, keeping `running` trials in flight; a fresh sampler from `restartAt` on. */
function run(plugin: AnySamplerPlugin, seed: number, count: number, running = 0, restartAt = -1): Params[] {
  const space = spaceFor(plugin);
  let sampler = samplerOf(plugin, seed);
  const history: TrialRecord[] = [];
  const proposed: Params[] = [];
  for (let i = 0; i < count; i++) {
    if (i === restartAt) sampler = samplerOf(plugin, seed);
    const params = sampler.sample(i, history);
    if (params === null) break;
    proposed.push(params);
    history.push(trial(i, params, 'running', space));
    // Trials end in claim order, `running` of them still in flight.
    const ending = history.length - 1 - running;
    if (ending >= 0) history[ending] = trial(ending, history[ending]!.params, 'complete', space);
  }
  return proposed;
}

for (const plugin of SAMPLERS as readonly AnySamplerPlugin[]) {
  describe(`sampler contract: ${plugin.method}`, () => {
    const count = 24;

    it('proposes the same configurations for the same seed, and others for another seed', () => {
      const a = run(plugin, 7, count, 2);
      assert.deepEqual(run(plugin, 7, count, 2), a);
      assert.ok(a.length > 0);
      if (samplerOf(plugin, 7).size() === null) assert.notDeepEqual(run(plugin, 8, count, 2), a);
    });

    it('keeps every value inside its distribution', () => {
      const space = spaceFor(plugin);
      for (const params of run(plugin, 11, count, 2)) {
        assert.deepEqual(Object.keys(params).sort(), Object.keys(space).sort());
        for (const [name, v] of Object.entries(params)) assert.ok(inside(space[name]!, v), `${name}=${String(v)} outside ${JSON.stringify(space[name])}`);
      }
    });

    it('never proposes a configuration that is running now', () => {
      for (const seed of [1, 2, 3]) {
        const proposed = run(plugin, seed, count, 3);
        proposed.forEach((params, i) => {
          const inFlight = proposed.slice(Math.max(0, i - 3), i);
          assert.ok(!inFlight.some((p) => JSON.stringify(p) === JSON.stringify(params)), `seed ${seed}, claim ${i} repeats a running configuration`);
        });
      }
    });

    it('continues identically after a resume (a fresh sampler over the stored history)', () => {
      assert.deepEqual(run(plugin, 5, count, 1, 13), run(plugin, 5, count, 1));
    });
  });
}

describe('sampler registry', () => {
  it('every plug-in is reachable from a sweep file: its method, its settings block, its example', () => {
    const methods = (SAMPLERS as readonly AnySamplerPlugin[]).map((p) => p.method);
    assert.equal(new Set(methods).size, methods.length, 'methods are unique');
    assert.deepEqual([...(sweepSchema.properties.method.enum as readonly string[])], methods);
    for (const plugin of SAMPLERS as readonly AnySamplerPlugin[]) {
      assert.ok(plugin.description.length > 10, plugin.method);
      const doc: Record<string, unknown> = { method: plugin.method, run_cap: 5, program: 'obj.mjs', parameters: plugin.method === 'grid' ? { x: { values: [1, 2] } } : { x: { min: 0, max: 1 } } };
      if (plugin.keys) {
        assert.ok((TOP_LEVEL_KEYS as readonly string[]).includes(plugin.method), `${plugin.method}: its block is a top-level key`);
        doc[plugin.method] = plugin.example;
      }
      const spec = validateSpec(doc, { defaultName: 'reg', resolveProgram: (p) => `/abs/${p}` }) as unknown as Record<string, unknown>;
      assert.equal(spec.method, plugin.method);
      if (plugin.keys) {
        assert.deepEqual(spec[plugin.method], plugin.resolve(plugin.example ?? undefined));
        const other = methods.find((m) => m !== plugin.method)!;
        assert.throws(() => validateSpec({ ...doc, method: other }, { defaultName: 'reg', resolveProgram: (p) => p }), new RegExp(`applies to method "${plugin.method}" only`));
      }
    }
  });
});
