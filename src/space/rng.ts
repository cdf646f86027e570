/**
 * Seeded pseudo-random numbers. Every random choice tfsweep makes (sampled params, trial seeds, data subsets,
 * shuffles) comes from a stream derived from the sweep seed and a key, never from Math.random, so the same
 * file and seed reproduce the same sweep, and a resumed sweep picks up the same streams.
 */
export type Rng = () => number;

/** A stream whose position can be read and set (`state`): what a checkpoint keeps to continue it exactly. */
export type SeededRng = Rng & { state: number };

/** 32-bit integer mix (murmur3 finaliser): spreads nearby keys (seed, 0), (seed, 1) far apart. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed derived from a seed and any number of integer or string keys. */
export function deriveSeed(seed: number, ...keys: Array<number | string>): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const key of keys) {
    if (typeof key === 'number') {
      h = mix32(h ^ mix32((key >>> 0) + 0x6d2b79f5));
    } else {
      for (let i = 0; i < key.length; i++) h = mix32(h ^ (key.charCodeAt(i) + 0x27d4eb2f));
    }
  }
  return h;
}

/** mulberry32: small, fast, passes the statistical tests that matter for sampling. Values in [0, 1). */
export function createRng(seed: number): SeededRng {
  let a = seed >>> 0;
  const rng = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  Object.defineProperty(rng, 'state', { get: () => a, set: (v: number) => (a = v >>> 0), enumerable: false });
  return rng as SeededRng;
}

/** In-place Fisher–Yates shuffle driven by rng. */
export function shuffleInPlace<T>(items: T[] | Uint32Array | Int32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

/** A random 31-bit seed for sweeps whose file does not fix one (recorded in the database). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
