import { sample, type Distribution, type Params } from '../space/distributions.js';
import { createRng, deriveSeed } from '../space/rng.js';
import type { Sampler } from './sampler.js';
import { defineSampler } from './plugin.js';

/**
 * Independent draws per configuration. Each configuration has its own stream derived from (seed, index), so
 * configuration 7 is the same whether it is drawn first, after a resume, or on another machine.
 */
export class RandomSampler implements Sampler {
  constructor(
    private readonly parameters: Record<string, Distribution>,
    private readonly seed: number,
  ) {}

  size(): null {
    return null;
  }

  sample(index: number): Params {
    const rng = createRng(deriveSeed(this.seed, 'params', index));
    const params: Params = {};
    for (const [name, dist] of Object.entries(this.parameters)) params[name] = sample(dist, rng);
    return params;
  }
}

/** `method: random`. */
export const randomPlugin = defineSampler({
  method: 'random',
  example: null,
  description: 'independent draws from each parameter\'s distribution',
  keys: null,
  needsRunCap: true,
  needsHistory: false,
  resolve: () => null,
  create: ({ parameters, seed }) => new RandomSampler(parameters, seed),
  describe: () => null,
});
