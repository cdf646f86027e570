import { axisOf, type Axis, type Distribution, type Params } from '../space/distributions.js';
import type { Sampler } from './sampler.js';
import { SpaceIssue } from '../core/settings.js';
import { isDiscrete } from '../space/distributions.js';
import { defineSampler } from './plugin.js';
import type { Conditions } from '../core/params.js';
import { activeParams } from '../space/conditions.js';

/**
 * The cartesian product of every parameter's values, parameters in file order, the last varying fastest
 * (as nested loops would). Configuration `index` is decoded as a mixed-radix number and each axis computes
 * its value from its position, so nothing is held in memory however large the grid.
 */
export class GridSampler implements Sampler {
  private readonly names: string[];
  private readonly axes: Axis[];
  /** With conditions: the raw indices of the distinct configurations found so far, and where the scan is. */
  private readonly distinct: number[] = [];
  private scanned = 0;

  constructor(
    parameters: Record<string, Distribution>,
    private readonly conditions: Conditions = {},
  ) {
    this.names = Object.keys(parameters);
    this.axes = this.names.map((name) => axisOf(parameters[name]!));
  }

  private rawSize(): number {
    return this.axes.reduce((n, axis) => n * axis.length, 1);
  }

  private conditional(): boolean {
    return Object.keys(this.conditions).length > 0;
  }

  /**
   * The number of configurations; above 2^53 it is no longer exact (validation refuses such grids). With
   * conditions, the distinct ones: a parameter that is inactive does not multiply the grid (counted by a scan
   * up to 10 million raw configurations; beyond, the raw count bounds it and the grid ends when the scan does).
   */
  size(): number {
    if (!this.conditional()) return this.rawSize();
    if (this.rawSize() > SCAN_LIMIT) return this.rawSize();
    this.scanTo(Infinity);
    return this.distinct.length;
  }

  sample(index: number): Params | null {
    if (index < 0) return null;
    if (!this.conditional()) return index < this.rawSize() ? this.decode(index).params : null;
    this.scanTo(index);
    const raw = this.distinct[index];
    return raw === undefined ? null : activeParams(this.decode(raw).params, this.conditions);
  }

  /** Scans raw configurations until `index` distinct ones are known (or the grid ends). */
  private scanTo(index: number): void {
    const size = this.rawSize();
    while (this.distinct.length <= index && this.scanned < size) {
      const raw = this.scanned++;
      const { params, positions } = this.decode(raw);
      const active = activeParams(params, this.conditions);
      // One configuration per set of active values: an inactive parameter only at its first value.
      if (this.names.every((name, i) => name in active || positions[i] === 0)) this.distinct.push(raw);
    }
  }

  private decode(index: number): { params: Params; positions: number[] } {
    const params: Params = {};
    const positions: number[] = new Array(this.axes.length);
    let rest = index;
    for (let i = this.axes.length - 1; i >= 0; i--) {
      const axis = this.axes[i]!;
      positions[i] = rest % axis.length;
      params[this.names[i]!] = axis.at(positions[i]!);
      rest = Math.floor(rest / axis.length);
    }
    // Rebuild in file order: the loop above filled the object back to front.
    return { params: Object.fromEntries(this.names.map((name) => [name, params[name]!])), positions };
  }
}

/** The most raw configurations a conditional grid scans to count its distinct ones. */
const SCAN_LIMIT = 10_000_000;

/** A grid without run_cap runs every configuration: beyond this many it would not finish. */
export const MAX_GRID_WITHOUT_CAP = 1_000_000;

/** Grid indices are exact doubles: the product of the axes must stay below 2^53, and be finite work. */
function checkGridSize(parameters: Readonly<Record<string, Distribution>>, runCap: number | undefined): void {
  const lengths = Object.entries(parameters).map(([name, dist]) => [name, axisOf(dist).length] as const);
  const size = lengths.reduce((n, [, len]) => n * len, 1);
  const shape = lengths.map(([name, len]) => `${name} ${len}`).join(' × ');
  if (size > Number.MAX_SAFE_INTEGER) {
    throw new SpaceIssue(null, null, `the grid has ${size.toExponential(2)} configurations (${shape}), more than tfsweep can number; narrow the ranges or use method "random"`);
  }
  if (runCap === undefined && size > MAX_GRID_WITHOUT_CAP) {
    throw new SpaceIssue(
      null,
      null,
      `the grid has ${size} configurations (${shape}) and no run_cap; at most ${MAX_GRID_WITHOUT_CAP} run without one: set run_cap, narrow the ranges or use method "random"`,
    );
  }
}

/** `method: grid`. */
export const gridPlugin = defineSampler({
  method: 'grid',
  example: null,
  description: 'every combination of the parameters\' values, in file order (the last varying fastest)',
  keys: null,
  needsRunCap: false,
  needsHistory: false,
  resolve: () => null,
  checkSpace(parameters, runCap) {
    for (const [name, dist] of Object.entries(parameters)) {
      if (!isDiscrete(dist)) {
        throw new SpaceIssue(name, 'distribution', `grid search needs discrete values, but "${name}" is ${dist.type}; give "values", use int_uniform/q_uniform, or use method "random"`);
      }
    }
    checkGridSize(parameters, runCap);
  },
  create: ({ parameters, conditions }) => new GridSampler(parameters, conditions),
  describe: () => null,
});
