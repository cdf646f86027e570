/**
 * Epoch-level training policies: the learning-rate schedule and early stopping. Pure bookkeeping over the
 * metrics of each epoch, so they can be tested on scripted sequences.
 */
import type { Metrics } from '../core/records.js';
import type { TrainConfig } from './knobs.js';

const lowerIsBetter = (monitor: string): boolean => monitor.endsWith('loss');

/** Whether `value` improves on `best` by more than `minDelta` for this monitor. */
export function improves(monitor: string, value: number, best: number | null, minDelta = 0): boolean {
  if (best === null) return true;
  return lowerIsBetter(monitor) ? value < best - minDelta : value > best + minDelta;
}

/** The learning rate for the next epoch, given the current one and the epoch just finished. */
export class LrSchedule {
  private best: number | null = null;
  private wait = 0;

  constructor(private readonly config: TrainConfig) {}

  /** Its state, for a checkpoint; `restore` puts it back. */
  snapshot(): { best: number | null; wait: number } {
    return { best: this.best, wait: this.wait };
  }

  restore(s: { best: number | null; wait: number }): void {
    this.best = s.best;
    this.wait = s.wait;
  }

  next(current: number, epoch: number, metrics: Metrics): number {
    const c = this.config;
    let lr = current;
    if (c.lr_schedule === 'step' && epoch % c.lr_decay_epochs === 0) lr = current * c.lr_decay;
    else if (c.lr_schedule === 'exponential') lr = current * c.lr_decay;
    else if (c.lr_schedule === 'plateau') {
      const value = metrics[c.monitor];
      if (value !== undefined && improves(c.monitor, value, this.best, c.min_delta)) {
        this.best = value;
        this.wait = 0;
      } else if (++this.wait >= c.lr_patience) {
        lr = current * c.lr_decay;
        this.wait = 0;
      }
    }
    return Math.max(c.min_lr, lr);
  }
}

/** Keras' EarlyStopping: stop once `monitor` has not improved by `min_delta` for `patience` epochs. */
export class EarlyStopping {
  bestEpoch: number | null = null;
  bestValue: number | null = null;
  private wait = 0;

  constructor(private readonly config: Pick<TrainConfig, 'monitor' | 'patience' | 'min_delta'>) {}

  snapshot(): { bestEpoch: number | null; bestValue: number | null; wait: number } {
    return { bestEpoch: this.bestEpoch, bestValue: this.bestValue, wait: this.wait };
  }

  restore(s: { bestEpoch: number | null; bestValue: number | null; wait: number }): void {
    this.bestEpoch = s.bestEpoch;
    this.bestValue = s.bestValue;
    this.wait = s.wait;
  }

  /** Records an epoch; returns whether training should stop now, and whether this epoch is the best so far. */
  update(epoch: number, metrics: Metrics): { stop: boolean; best: boolean } {
    const value = metrics[this.config.monitor];
    if (value === undefined) return { stop: false, best: false };
    if (improves(this.config.monitor, value, this.bestValue, this.config.min_delta)) {
      this.bestValue = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { stop: false, best: true };
    }
    this.wait++;
    return { stop: this.wait >= this.config.patience, best: false };
  }
}
