import { axisOf, type Axis, type Distribution, type Params } from '../space/distributions.js';
import type { Sampler } from './sampler.js';

/**
 * The cartesian product of every parameter's values, parameters in file order, the last varying fastest
 * (as nested loops would). Configuration `index` is decoded as a mixed-radix number and each axis computes
 * its value from its position, so nothing is held in memory however large the grid.
 */
export class GridSampler implements Sampler {
  private readonly names: string[];
  private readonly axes: Axis[];

  constructor(parameters: Record<string, Distribution>) {
    this.names = Object.keys(parameters);
    this.axes = this.names.map((name) => axisOf(parameters[name]!));
  }

  /** The number of configurations; above 2^53 it is no longer exact (validation refuses such grids). */
  size(): number {
    return this.axes.reduce((n, axis) => n * axis.length, 1);
  }

  sample(index: number): Params | null {
    if (index < 0 || index >= this.size()) return null;
    const params: Params = {};
    let rest = index;
    for (let i = this.axes.length - 1; i >= 0; i--) {
      const axis = this.axes[i]!;
      params[this.names[i]!] = axis.at(rest % axis.length);
      rest = Math.floor(rest / axis.length);
    }
    // Rebuild in file order: the loop above filled the object back to front.
    return Object.fromEntries(this.names.map((name) => [name, params[name]!]));
  }
}
