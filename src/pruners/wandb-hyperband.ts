/**
 * W&B's `early_terminate: {type: hyperband}` as wandb/sweeps' hyperband_stopping computes it. Bands are step
 * counts: from `min_iter`, min_iter · eta^k; from `max_iter` and `s`, max_iter / eta^i for i = 1 … s (while ≥ 1),
 * each truncated to an integer. At each band b the threshold is the value ranked ⌊len/eta⌋ (best first) among
 * every trial's b-th value; a running trial past band b stops when its b-th value (strict, the default) or
 * its best value so far (strict: false) is worse than the threshold of the last band it passed. Values that are
 * not finite numbers are left out of a trial's history, as W&B does.
 */
import type { Curve, PruneContext, Pruner } from './pruner.js';
import { SettingIssue, countSchema, settingOr } from '../core/settings.js';
import { goalSign } from '../core/metric.js';
import { definePruner } from './plugin.js';

export interface WandbHyperbandSettings {
  min_iter?: number;
  max_iter?: number;
  s?: number;
  eta: number;
  strict: boolean;
}

export function wandbBands(settings: WandbHyperbandSettings): number[] {
  const bands: number[] = [];
  if (settings.max_iter !== undefined) {
    let band = settings.max_iter;
    for (let i = 0; i < settings.s!; i++) {
      band /= settings.eta;
      if (band < 1) break;
      bands.push(Math.trunc(band));
    }
    return bands.sort((a, b) => a - b);
  }
  let band = settings.min_iter!;
  for (let i = 0; i < 100; i++) {
    bands.push(Math.trunc(band));
    band *= settings.eta;
  }
  return bands;
}

export class WandbHyperbandPruner implements Pruner {
  readonly bands: number[];

  constructor(
    private readonly settings: WandbHyperbandSettings,
    private readonly context: PruneContext,
  ) {
    this.bands = wandbBands(settings);
  }

  /** A trial's history as W&B sees it: valid values in step order, negated when maximizing (lower is better). */
  private history(curve: Curve): number[] {
    const sign = -goalSign(this.context.goal);
    return curve.values.filter((v) => Number.isFinite(v)).map((v) => sign * v);
  }

  thresholds(all: readonly Curve[]): number[] {
    const histories = all.map((t) => this.history(t)).filter((h) => h.length > 0);
    const r = 1 / this.settings.eta;
    return this.bands.map((band) => {
      const values = histories.filter((h) => h.length >= band).map((h) => h[band - 1]!);
      return values.length === 0 ? Infinity : values.sort((a, b) => a - b)[Math.trunc(r * values.length)]!;
    });
  }

  prune(trial: Curve, all: readonly Curve[]): boolean {
    const history = this.history(trial);
    const thresholds = this.thresholds(all);
    let closest = -1;
    let threshold = 0;
    for (let i = 0; i < this.bands.length; i++) {
      if (this.bands[i]! <= history.length) {
        closest = this.bands[i]!;
        threshold = thresholds[i]!;
      } else break;
    }
    if (closest === -1) return false;
    const condition = this.settings.strict ? history[closest - 1]! : Math.min(...history);
    return condition > threshold;
  }
}

/** W&B's `early_terminate: {type: hyperband}`. */
export const wandbHyperbandPlugin = definePruner({
  type: 'wandb_hyperband',
  example: { min_iter: 1, eta: 2 },
  description: "W&B's early_terminate hyperband: stop a trial below the band threshold of the last band it passed",
  alias: { block: 'early_terminate', type: 'hyperband' },
  keys: { min_iter: countSchema(1), max_iter: countSchema(1), s: countSchema(1, 1000), eta: { type: 'number', exclusiveMinimum: 1, maximum: 1000 }, strict: { type: 'boolean' } },
  resolve(raw): WandbHyperbandSettings {
    const has = (k: string): boolean => raw[k] !== undefined;
    if (!has('min_iter') && !has('max_iter')) throw new SettingIssue(null, 'expected "min_iter", or "max_iter" with "s" (W&B\'s hyperband bands)');
    if (has('max_iter') && !has('s')) throw new SettingIssue('s', 'is required with "max_iter" (the number of bands below max_iter)');
    const eta = settingOr(raw, 'eta', 3);
    if (has('max_iter') && (raw.max_iter as number) / eta < 1) {
      throw new SettingIssue('max_iter', `max_iter ${String(raw.max_iter)} / eta ${eta} is below 1: no band; raise max_iter or lower eta`);
    }
    return {
      ...(has('max_iter') ? { max_iter: raw.max_iter as number, s: raw.s as number } : { min_iter: raw.min_iter as number }),
      eta,
      strict: settingOr(raw, 'strict', true),
    };
  },
  create: (settings, context) => new WandbHyperbandPruner(settings, context),
});
