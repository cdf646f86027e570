/**
 * W&B's other distributions (normal, log_normal, beta, their q_ variants, inv_log_uniform and
 * inv_log_uniform_values): quantiles and CDFs against scipy's (W&B's engine samples through them), sample moments
 * of 400 seeded draws within sampling error, q_ rounding as numpy's, the sweep file's defaults and refusals, grid's
 * refusal, and the TPE's view of each.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specErrorOf } from '../helpers.js';
import { cdfOf, quantileOf, roundToStep, sample, type Distribution, type QuantileDistribution } from '../../src/space/distributions.js';
import { createRng } from '../../src/space/rng.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { toDim } from '../../src/samplers/dims.js';

const draws = (dist: Distribution, n = 400, seed = 17): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sample(dist, rng) as number);
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]): number => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};

const errorOf = (text: string): string => specErrorOf(text);

describe("W&B's other distributions", () => {
  it("quantiles and CDFs equal scipy's", () => {
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} against ${b}`);
    close(quantileOf({ type: 'normal', mu: 0, sigma: 1 }, 0.975), 1.959963984540054, 'norm.ppf(0.975)');
    close(quantileOf({ type: 'normal', mu: 3, sigma: 2 }, 0.1), 0.4368968689107584, 'norm.ppf(0.1, 3, 2)');
    close(quantileOf({ type: 'log_normal', mu: 1, sigma: 1 }, 0.5), Math.E, 'lognorm.ppf(0.5, s=1, scale=e)');
    close(quantileOf({ type: 'beta', a: 2, b: 5 }, 0.5), 0.26444998329566, 'beta.ppf(0.5, 2, 5)');
    close(cdfOf({ type: 'beta', a: 2, b: 5 }, 0.3)!, 0.579825, 'beta.cdf(0.3, 2, 5)');
    close(cdfOf({ type: 'log_normal', mu: 0, sigma: 1 }, 1)!, 0.5, 'lognorm.cdf(1)');
    assert.equal(cdfOf({ type: 'log_normal', mu: 0, sigma: 1 }, -1), null);
    assert.equal(cdfOf({ type: 'beta', a: 1, b: 1 }, 1.5), null);
  });

  it('rounds q_ values as numpy does (half to even), without float noise, integers for an integer q', () => {
    assert.equal(roundToStep(2.5, 1), 2);
    assert.equal(roundToStep(3.5, 1), 4);
    assert.equal(roundToStep(0.29999, 0.1), 0.3);
    for (const v of draws({ type: 'q_normal', mu: 10, sigma: 3, q: 1 })) assert.ok(Number.isInteger(v), String(v));
    for (const v of draws({ type: 'q_log_normal', mu: 3, sigma: 0.5, q: 5 })) assert.ok(Number.isInteger(v / 5), String(v));
    for (const v of draws({ type: 'q_beta', a: 2, b: 2, q: 0.1 })) assert.equal(v, Number(v.toFixed(1)));
  });

  it('400 seeded draws have the moments of the distribution, within 4 standard errors', () => {
    const n = 400;
    const cases: Array<[string, Distribution, number, number]> = [
      ['normal(2, 3)', { type: 'normal', mu: 2, sigma: 3 }, 2, 9],
      ['log_normal(0, 0.5)', { type: 'log_normal', mu: 0, sigma: 0.5 }, Math.exp(0.125), (Math.exp(0.25) - 1) * Math.exp(0.25)],
      ['beta(2, 5)', { type: 'beta', a: 2, b: 5 }, 2 / 7, 10 / (49 * 8)],
      ['inv_log_uniform(1, 3)', { type: 'inv_log_uniform', min: 1, max: 3 }, (Math.exp(-1) - Math.exp(-3)) / 2, (Math.exp(-2) - Math.exp(-6)) / 4 - ((Math.exp(-1) - Math.exp(-3)) / 2) ** 2],
      ['inv_log_uniform_values(0.01, 1)', { type: 'inv_log_uniform_values', min: 0.01, max: 1 }, 0.99 / Math.log(100), 0.9999 / (2 * Math.log(100)) - (0.99 / Math.log(100)) ** 2],
    ];
    for (const [label, dist, mu, v] of cases) {
      const xs = draws(dist, n);
      assert.ok(Math.abs(mean(xs) - mu) < 4 * Math.sqrt(v / n), `${label}: mean ${mean(xs)} against ${mu}`);
      // The sample variance's standard error, from the fourth moment estimated on the draws themselves.
      const m = mean(xs);
      const m4 = xs.reduce((a, b) => a + (b - m) ** 4, 0) / n;
      assert.ok(Math.abs(variance(xs) - v) < 4 * Math.sqrt((m4 - v * v) / n), `${label}: variance ${variance(xs)} against ${v}`);
    }
    const inv = draws({ type: 'inv_log_uniform_values', min: 0.01, max: 1 });
    assert.ok(inv.every((x) => x >= 0.01 && x <= 1));
  });

  it("the sweep file takes W&B's keys and defaults (mu 0, sigma 1, a 1, b 1, q 1)", () => {
    const { spec } = parseSpecText(
      `name: s
method: random
run_cap: 3
program: ${JSON.stringify(process.execPath)}
parameters:
  a: {distribution: normal}
  b: {distribution: q_log_normal, mu: 2, sigma: 0.5}
  c: {distribution: beta, a: 2}
  d: {distribution: q_beta, b: 3, q: 0.05}
  e: {distribution: inv_log_uniform, min: 1, max: 4}
  f: {distribution: inv_log_uniform_values, min: 0.001, max: 0.1}
`,
      'sweep.yaml',
    );
    assert.deepEqual(spec.parameters, {
      a: { type: 'normal', mu: 0, sigma: 1 },
      b: { type: 'q_log_normal', mu: 2, sigma: 0.5, q: 1 },
      c: { type: 'beta', a: 2, b: 1 },
      d: { type: 'q_beta', a: 1, b: 3, q: 0.05 },
      e: { type: 'inv_log_uniform', min: 1, max: 4 },
      f: { type: 'inv_log_uniform_values', min: 0.001, max: 0.1 },
    });
  });

  it('refuses what cannot be drawn, naming the field', () => {
    const file = (param: string, method = 'random') => `name: s\nmethod: ${method}\nrun_cap: 3\nprogram: ${JSON.stringify(process.execPath)}\nparameters:\n  x: ${param}\n`;
    assert.match(errorOf(file('{distribution: normal, min: 0, max: 1}')), /sweep\.yaml:6: parameters\.x\.min: not allowed here: a normal parameter takes "mu" and "sigma"/);
    assert.match(errorOf(file('{distribution: beta, a: 0}')), /parameters\.x\.a/);
    assert.match(errorOf(file('{distribution: log_normal, sigma: -1}')), /parameters\.x\.sigma/);
    assert.match(errorOf(file('{distribution: normal, q: 2}')), /parameters\.x\.q: not allowed here: q applies to the q_ distributions, not normal/);
    assert.match(errorOf(file('{distribution: inv_log_uniform_values, min: 0, max: 1}')), /parameters\.x\.min: expected a value > 0 for a log scale/);
    assert.match(errorOf(file('{distribution: uniform, min: 0, max: 1, mu: 3}')), /parameters\.x\.mu: not allowed here/);
    assert.match(errorOf(file('{distribution: q_normal, mu: 5}', 'grid')), /grid search needs discrete values, but "x" is q_normal/);
  });

  it("for the built-in trainer, every draw must be a valid setting: a normal dropout is refused, a log-normal learning rate taken", () => {
    const trainer = (param: string) => `name: s\nmethod: random\nrun_cap: 3\nparameters:\n  ${param}\n`;
    assert.match(errorOf(trainer('dropout: {distribution: normal, mu: 0.2, sigma: 0.1}')), /parameters\.dropout\.mu: its lowest draws are invalid for "dropout": expected a value ≥ 0/);
    assert.match(errorOf(trainer('units: {distribution: log_normal, mu: 5}')), /"units" takes integers/);
    const { spec } = parseSpecText(trainer('learning_rate: {distribution: log_normal, mu: -7, sigma: 0.5}\n  units: {distribution: q_log_normal, mu: 5, sigma: 0.3, q: 8}'), 'sweep.yaml');
    assert.equal(spec.parameters['learning_rate']!.type, 'log_normal');
  });

  it("the TPE models them in quantile space (normal, log-normal, beta) or on the log of the value (inv_log_*), and maps values back", () => {
    const dists: Distribution[] = [
      { type: 'normal', mu: 1, sigma: 2 },
      { type: 'q_log_normal', mu: 2, sigma: 0.4, q: 1 },
      { type: 'beta', a: 2, b: 3 },
      { type: 'inv_log_uniform', min: 1, max: 5 },
      { type: 'inv_log_uniform_values', min: 0.001, max: 0.5 },
    ];
    for (const dist of dists) {
      const dim = toDim('x', dist)!;
      assert.equal(dim.kind, 'numeric');
      for (const v of draws(dist, 50)) {
        const x = dim.toInternal(v)!;
        assert.ok(x >= (dim as { low: number }).low - 1e-12 && x <= (dim as { high: number }).high + 1e-12, `${dist.type}: ${v} → ${x}`);
        const back = dim.toExternal(x) as number;
        assert.ok(Math.abs(back - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${dist.type}: ${v} → ${x} → ${back}`);
      }
    }
    const quantile = dists[0] as QuantileDistribution;
    assert.equal(toDim('x', quantile)!.toInternal('text'), null);
  });
});
