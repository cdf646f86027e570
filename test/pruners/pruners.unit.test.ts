/**
 * Each pruner's decision on scripted histories, against values computed by hand from its reference's
 * definition (Optuna's pruners, wandb/sweeps' hyperband_stopping): startup, warm-up, intervals, NaN, too few
 * peers, rung promotion, bracket budgets and bands.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrialState } from '../../src/core/records.js';
import { HyperbandPruner, bracketOf, bracketsFor } from '../../src/pruners/hyperband.js';
import { PercentilePruner, isFirstInIntervalStep } from '../../src/pruners/percentile.js';
import { nanPercentile, type Curve, type PruneContext } from '../../src/pruners/pruner.js';
import { SuccessiveHalvingPruner, isPromotable } from '../../src/pruners/successive-halving.js';
import { ThresholdPruner } from '../../src/pruners/threshold.js';
import { WandbHyperbandPruner, wandbBands } from '../../src/pruners/wandb-hyperband.js';

let n = 0;
/** A curve with steps 0, 1, 2, … unless given. */
function curve(values: number[], state: TrialState = 'complete', steps?: number[]): Curve {
  return { number: n++, state, steps: steps ?? values.map((_, i) => i), values };
}
const max: PruneContext = { goal: 'maximize', sweepName: 's', lastStep: null };
const min: PruneContext = { goal: 'minimize', sweepName: 's', lastStep: null };
const median = (over: Partial<{ n_startup_trials: number; n_warmup_steps: number; interval_steps: number; n_min_trials: number; percentile: number }> = {}, context = max) =>
  new PercentilePruner({ percentile: 50, n_startup_trials: 5, n_warmup_steps: 0, interval_steps: 1, n_min_trials: 1, ...over }, context);

/** Five complete trials whose values at steps 0 and 1 are 0.5 … 0.9. */
const five = (): Curve[] => [0.5, 0.6, 0.7, 0.8, 0.9].map((v) => curve([v, v]));

describe('median and percentile pruners (Optuna)', () => {
  it('numpy percentile with linear interpolation, NaN ignored', () => {
    assert.equal(nanPercentile([1, 2, 3, 4], 50), 2.5);
    assert.ok(Math.abs(nanPercentile([0.5, 0.6, 0.7, 0.8, 0.9], 75) - 0.8) < 1e-12);
    assert.equal(nanPercentile([1, NaN, 3], 50), 2);
    assert.ok(Number.isNaN(nanPercentile([NaN], 50)));
  });

  it('stops a trial whose best value is below the median of the complete trials at that step', () => {
    const done = five();
    const low = curve([0.65, 0.65], 'running');
    const high = curve([0.75, 0.75], 'running');
    assert.equal(median().prune(low, [...done, low]), true);
    assert.equal(median().prune(high, [...done, high]), false);
    // Its best over all steps counts, not its last value.
    const dipped = curve([0.9, 0.1], 'running');
    assert.equal(median().prune(dipped, [...done, dipped]), false);
    // Minimizing: above the median is worse.
    const worse = curve([0.75, 0.75], 'running');
    assert.equal(median({}, min).prune(worse, [...done, worse]), true);
  });

  it('prunes nothing before n_startup_trials trials are complete (running and pruned ones do not count)', () => {
    const four = five().slice(0, 4);
    const t = curve([0.1, 0.1], 'running');
    const others = [curve([0.9, 0.9], 'pruned'), curve([0.9, 0.9], 'running')];
    assert.equal(median().prune(t, [...four, ...others, t]), false);
    assert.equal(median({ n_startup_trials: 4 }).prune(t, [...four, t]), true);
    // No complete trial at all: never, even with n_startup_trials 0.
    assert.equal(median({ n_startup_trials: 0 }).prune(t, [t]), false);
  });

  it('waits n_warmup_steps steps, then checks every interval_steps (a missed check waits for the next report)', () => {
    const done = [0.5, 0.6, 0.7, 0.8, 0.9].map((v) => curve([v, v, v, v, v, v]));
    const at = (steps: number[]) => curve(steps.map(() => 0.1), 'running', steps);
    const p = median({ n_warmup_steps: 2, interval_steps: 2 });
    assert.equal(p.prune(at([0]), done), false);
    assert.equal(p.prune(at([0, 1]), done), false);
    assert.equal(p.prune(at([0, 1, 2]), done), true); // warm-up over: step 2 is a check
    assert.equal(p.prune(at([0, 1, 2, 3]), done), false); // between checks
    assert.equal(p.prune(at([0, 1, 2, 3, 4]), done), true);
    // Reported at 0, 1 and then 5: the check due at 4 happens at 5.
    assert.equal(p.prune(at([0, 1, 5]), done), true);
    assert.equal(isFirstInIntervalStep(5, [0, 1, 4, 5], 2, 2), false);
  });

  it('stops a trial whose every value is NaN; keeps one when fewer than n_min_trials values exist at its step', () => {
    const done = five();
    const nan = curve([NaN, NaN], 'running');
    assert.equal(median().prune(nan, [...done, nan]), true);
    const t = curve([0.1, 0.1, 0.1], 'running');
    // Nobody else reached step 2: no value to compare with.
    assert.equal(median().prune(t, [...done, t]), false);
    const two = [...done, curve([0.9, 0.9, 0.9]), curve([0.8, 0.8, 0.8])];
    assert.equal(median({ n_min_trials: 3 }).prune(t, [...two, t]), false);
    assert.equal(median({ n_min_trials: 2 }).prune(t, [...two, t]), true);
  });

  it('percentile 25 keeps the top 25%: the 75th percentile is the bar when maximizing', () => {
    const done = five();
    const t = curve([0.75, 0.75], 'running');
    assert.equal(median({ percentile: 25 }).prune(t, [...done, t]), true); // bar 0.8
    const u = curve([0.81, 0.81], 'running');
    assert.equal(median({ percentile: 25 }).prune(u, [...done, u]), false);
  });
});

describe('successive halving (Optuna ASHA)', () => {
  const asha = (over: Partial<{ min_resource: number | 'auto'; reduction_factor: number; min_early_stopping_rate: number; bootstrap_count: number }> = {}, context = max) =>
    new SuccessiveHalvingPruner({ min_resource: 1, reduction_factor: 2, min_early_stopping_rate: 0, bootstrap_count: 0, ...over }, context);

  it('promotes the top 1/rf at a rung (the best only while fewer than rf compete)', () => {
    assert.equal(isPromotable(0.75, [0.9, 0.8, 0.7, 0.75], 2, 'maximize'), false); // bar: 2nd best, 0.8
    assert.equal(isPromotable(0.8, [0.9, 0.8, 0.7, 0.8], 2, 'maximize'), true);
    assert.equal(isPromotable(0.7, [0.9, 0.7], 4, 'maximize'), false);
    assert.equal(isPromotable(0.9, [0.9, 0.7], 4, 'maximize'), true);
    assert.equal(isPromotable(0.7, [0.9, 0.8, 0.7, 0.75], 2, 'minimize'), true);
  });

  it('judges at the end of each rung (steps 1, 2, 4 for min_resource 1, rf 2) against every trial that got there', () => {
    const others = [curve([0.1, 0.9, 0.9, 0.9, 0.9]), curve([0.1, 0.8, 0.8]), curve([0.1, 0.7], 'pruned')];
    const before = curve([0.0], 'running');
    assert.equal(asha().prune(before, [...others, before]), false); // step 0: no rung ends before 1
    const t = curve([0.0, 0.75], 'running');
    assert.equal(asha().prune(t, [...others, t]), true); // rung 0 at step 1: 0.75 vs bar 0.8
    const u = curve([0.0, 0.85], 'running');
    assert.equal(asha().prune(u, [...others, u]), false); // promoted; rung 1 ends at step 2
    // At step 2 it competes at rung 1 with the two trials that reached step 2 (0.9, 0.8): 3 values, rf 2: only the best goes on.
    const u2 = curve([0.0, 0.85, 0.85], 'running');
    assert.equal(asha().prune(u2, [...others, u2]), true);
    const u3 = curve([0.0, 0.85, 0.95], 'running');
    assert.equal(asha().prune(u3, [...others, u3]), false);
  });

  it('the first trial to reach a rung goes on; NaN stops at once; bootstrap_count holds back promotion', () => {
    const first = curve([0.1, 0.2], 'running');
    assert.equal(asha().prune(first, [first]), false);
    const nan = curve([0.1, NaN], 'running');
    assert.equal(asha().prune(nan, [nan]), true);
    assert.equal(asha({ bootstrap_count: 2 }).prune(first, [curve([0, 0.1]), first]), true);
    assert.equal(asha({ bootstrap_count: 1 }).prune(first, [curve([0, 0.1]), first]), false);
  });

  it('min_resource auto: nothing before a trial completes (or the length is known), then max(last step) / 100', () => {
    const t = curve([0.1, 0.1], 'running');
    assert.equal(asha({ min_resource: 'auto' }).prune(t, [curve([0.9, 0.9], 'running'), t]), false);
    const ctx: PruneContext = { goal: 'maximize', sweepName: 's', lastStep: 7 };
    assert.equal(asha({ min_resource: 'auto' }, ctx).prune(t, [curve([0.9, 0.9], 'running'), t]), true);
  });

  it('min_early_stopping_rate moves the first rung: 1 · 2^2 = step 4', () => {
    const others = [curve([0.9, 0.9, 0.9, 0.9, 0.9])];
    const t3 = curve([0.1, 0.1, 0.1, 0.1], 'running');
    assert.equal(asha({ min_early_stopping_rate: 2 }).prune(t3, [...others, t3]), false);
    const t4 = curve([0.1, 0.1, 0.1, 0.1, 0.1], 'running');
    assert.equal(asha({ min_early_stopping_rate: 2 }).prune(t4, [...others, t4]), true);
  });
});

describe('hyperband (Optuna)', () => {
  it('brackets and budgets: ⌊log_rf(max/min)⌋ + 1 brackets of ⌈n·rf^s/(s+1)⌉ trials', () => {
    assert.deepEqual(bracketsFor(1, 27, 3), { count: 4, budgets: [27, 12, 6, 4], total: 49 });
    assert.deepEqual(bracketsFor(1, 8, 3), { count: 2, budgets: [3, 2], total: 5 });
    assert.deepEqual(bracketsFor(1, 81, 3).count, 5);
  });

  it('assigns brackets from crc32 of "<sweep>_<number>" as Optuna does (values from Python binascii.crc32)', () => {
    const b27 = bracketsFor(1, 27, 3);
    assert.deepEqual(Array.from({ length: 20 }, (_, i) => bracketOf('mnist-hb', i, b27)), [3, 0, 2, 1, 1, 2, 0, 0, 0, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2]);
    const b8 = bracketsFor(1, 8, 3);
    assert.deepEqual(Array.from({ length: 20 }, (_, i) => bracketOf('hb', i, b8)), [0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0]);
  });

  it('judges a trial only among its bracket, with the bracket\'s own first rung', () => {
    // Sweep "hb", max_resource 8, rf 3: trials 0, 2, 5 are in bracket 0 (first rung at step 1); 1, 3, 4 in bracket 1 (step 3).
    const ctx: PruneContext = { goal: 'maximize', sweepName: 'hb', lastStep: 7 };
    const hb = new HyperbandPruner({ min_resource: 1, max_resource: 'auto', reduction_factor: 3, bootstrap_count: 0 }, ctx);
    const at = (number: number, values: number[], state: TrialState = 'complete'): Curve => ({ number, state, steps: values.map((_, i) => i), values });
    const bracket0 = [at(0, [0.9, 0.9, 0.9, 0.9])];
    const bracket1 = [at(1, [0.1, 0.1, 0.1, 0.1]), at(3, [0.2, 0.2, 0.2, 0.2])];
    // Trial 2 (bracket 0) at step 1 with 0.5: against trial 0 only (0.9): two values, fewer than rf: only the best goes on.
    const t2 = at(2, [0.5, 0.5], 'running');
    assert.equal(hb.prune(t2, [...bracket0, ...bracket1, t2]), true);
    // Trial 4 (bracket 1) at step 1: its first rung ends at step 3: not judged yet, however low.
    const t4 = at(4, [0.0, 0.0], 'running');
    assert.equal(hb.prune(t4, [...bracket0, ...bracket1, t4]), false);
    // At step 3, 0.15 against bracket 1's 0.1 and 0.2 (not bracket 0's 0.9): three values, rf 3: the best only.
    const t4b = at(4, [0, 0, 0, 0.15], 'running');
    assert.equal(hb.prune(t4b, [...bracket0, ...bracket1, t4b]), true);
    const t4c = at(4, [0, 0, 0, 0.25], 'running');
    assert.equal(hb.prune(t4c, [...bracket0, ...bracket1, t4c]), false);
  });

  it('max_resource auto without a known length waits for a complete trial', () => {
    const hb = new HyperbandPruner({ min_resource: 1, max_resource: 'auto', reduction_factor: 3, bootstrap_count: 0 }, { goal: 'maximize', sweepName: 'hb', lastStep: null });
    const t = curve([0.1, 0.1, 0.1, 0.1], 'running');
    assert.equal(hb.brackets([t]), null);
    assert.equal(hb.prune(t, [t]), false);
    // A complete trial's last step 8: max_resource 9, three brackets.
    assert.deepEqual(hb.brackets([curve(Array(9).fill(0.5)), t])?.budgets, [9, 5, 3]);
  });
});

describe('threshold (Optuna)', () => {
  it('stops below lower, above upper or at NaN, after the warm-up and at interval steps', () => {
    const p = new ThresholdPruner({ lower: 0.5, upper: null, n_warmup_steps: 1, interval_steps: 1 });
    assert.equal(p.prune(curve([0.1], 'running')), false);
    assert.equal(p.prune(curve([0.9, 0.4], 'running')), true);
    assert.equal(p.prune(curve([0.1, 0.6], 'running')), false);
    assert.equal(p.prune(curve([0.9, NaN], 'running')), true);
    const upper = new ThresholdPruner({ lower: null, upper: 2, n_warmup_steps: 0, interval_steps: 2 });
    assert.equal(upper.prune(curve([3], 'running')), true);
    assert.equal(upper.prune(curve([1, 3], 'running')), false);
    assert.equal(upper.prune(curve([1, 1, 3], 'running')), true);
  });
});

describe("W&B's hyperband early_terminate", () => {
  it('bands from min_iter (min_iter · eta^k) and from max_iter and s (max_iter / eta^i while ≥ 1)', () => {
    assert.deepEqual(wandbBands({ min_iter: 3, eta: 3, strict: true }).slice(0, 4), [3, 9, 27, 81]);
    assert.equal(wandbBands({ min_iter: 3, eta: 3, strict: true }).length, 100);
    assert.deepEqual(wandbBands({ max_iter: 5, s: 2, eta: 2, strict: true }), [1, 2]);
    assert.deepEqual(wandbBands({ max_iter: 27, s: 5, eta: 3, strict: true }), [1, 3, 9]);
    assert.deepEqual(wandbBands({ max_iter: 10, s: 2, eta: 3, strict: true }), [1, 3]);
  });

  it("wandb/sweeps' min_iter test: the flat run is stopped at band 3, the improving one goes on", () => {
    const p = new WandbHyperbandPruner({ min_iter: 3, eta: 3, strict: true }, min);
    const flat = curve([10, 10, 10, 10], 'running');
    const improving = curve([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 'running');
    assert.deepEqual(p.thresholds([flat, improving]).slice(0, 2), [8, 2]);
    assert.equal(p.prune(flat, [flat, improving]), true);
    assert.equal(p.prune(improving, [flat, improving]), false);
  });

  it('max_iter 5, s 2, eta 2: threshold at band 2 is the 3rd best of five; strict judges the band value, lenient the best so far', () => {
    const runs = [curve([10, 9], 'complete'), curve([10, 10], 'running'), curve([10, 8, 8], 'running'), curve([10, 7, 7], 'running'), curve([10, 6, 6], 'complete')];
    const strict = new WandbHyperbandPruner({ max_iter: 5, s: 2, eta: 2, strict: true }, min);
    assert.deepEqual(strict.thresholds(runs), [10, 8]);
    assert.deepEqual(runs.slice(1, 4).map((r) => strict.prune(r, runs)), [true, false, false]);
    // Its own values count in the thresholds too: band 2 over [9, 10, 8, 7, 6, 10] is 9.
    const dipped = curve([4, 10, 10], 'running');
    const all = [...runs, dipped];
    assert.deepEqual(strict.thresholds(all), [10, 9]);
    assert.equal(strict.prune(dipped, all), true); // its band-2 value, 10, is worse than 9
    const lenient = new WandbHyperbandPruner({ max_iter: 5, s: 2, eta: 2, strict: false }, min);
    assert.equal(lenient.prune(dipped, all), false); // its best so far, 4, is not
  });

  it('maximizing negates the values; nothing is judged before the first band', () => {
    const p = new WandbHyperbandPruner({ min_iter: 2, eta: 2, strict: true }, max);
    const good = curve([0.5, 0.9]);
    const mid = curve([0.5, 0.6]);
    const bad = curve([0.5, 0.2], 'running');
    const early = curve([0.0], 'running');
    const all = [good, mid, bad, early];
    // Band 2 over −0.9, −0.6, −0.2: the threshold is −0.6 (0.6).
    assert.deepEqual(p.thresholds(all).slice(0, 1), [-0.6]);
    assert.equal(p.prune(bad, all), true);
    assert.equal(p.prune(good, all), false);
    assert.equal(p.prune(early, all), false);
  });
});
