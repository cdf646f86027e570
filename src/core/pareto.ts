/**
 * Pareto dominance, non-domination ranks, hypervolume and hypervolume subset selection over points in
 * "loss" form: every coordinate is minimized (a maximized objective enters negated). Pure and dependency-free:
 * the multi-objective TPE, `best`, exports and the report all decide from these.
 */

/** Whether `a` dominates `b`: no worse in every coordinate, better in at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/**
 * Each point's non-domination rank (0: on the Pareto front; 1: on the front once rank 0 is removed; …), by
 * repeated peeling. O(n² · d) per front: fine for the few thousand trials of a sweep. Equal points share a rank.
 */
export function nonDominatedRanks(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  const ranks = new Array<number>(n).fill(-1);
  // dominatedBy[i]: how many points dominate i; dominating[i]: the points i dominates.
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = points.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i]!, points[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(points[j]!, points[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  let front = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) front.push(i);
  for (let rank = 0; front.length > 0; rank++) {
    const next: number[] = [];
    for (const i of front) {
      ranks[i] = rank;
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    front = next;
  }
  return ranks;
}

/** The indices of the points on the Pareto front (rank 0), in input order. */
export function paretoFront(points: readonly (readonly number[])[]): number[] {
  const ranks = nonDominatedRanks(points);
  return ranks.flatMap((r, i) => (r === 0 ? [i] : []));
}

/**
 * The hypervolume dominated by `points` and bounded by `reference` (the volume of the set of vectors that
 * some point dominates and that dominate the reference). Points not strictly better than the reference in
 * every coordinate add nothing. Exact: a sweep line in two dimensions (O(n log n)), slicing along the last
 * coordinate above that (O(n^(d−1) log n)), which the few objectives of a sweep keep small.
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const inside = points.filter((p) => p.every((v, i) => v < reference[i]!));
  return hv(inside, reference);
}

function hv(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const d = ref.length;
  if (points.length === 0) return 0;
  if (d === 1) return ref[0]! - Math.min(...points.map((p) => p[0]!));
  if (d === 2) {
    const sorted = [...points].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let volume = 0;
    let bestY = ref[1]!;
    for (const p of sorted) {
      if (p[1]! < bestY) {
        volume += (ref[0]! - p[0]!) * (bestY - p[1]!);
        bestY = p[1]!;
      }
    }
    return volume;
  }
  // Slices between consecutive values of the last coordinate: each slab's cross-section is the
  // (d−1)-dimensional hypervolume of the points at or below it.
  const sorted = [...points].sort((a, b) => a[d - 1]! - b[d - 1]!);
  const subRef = ref.slice(0, d - 1);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const lo = sorted[i]![d - 1]!;
    const hi = i + 1 < sorted.length ? sorted[i + 1]![d - 1]! : ref[d - 1]!;
    if (hi <= lo) continue;
    volume += (hi - lo) * hv(paretoOnly(sorted.slice(0, i + 1).map((p) => p.slice(0, d - 1))), subRef);
  }
  return volume;
}

/** The non-dominated points of a set (dominated ones add no volume and only slow the slicing). */
function paretoOnly(points: number[][]): number[][] {
  return points.filter((p, i) => !points.some((q, j) => j !== i && (dominates(q, p) || (j < i && q.every((v, k) => v === p[k])))));
}

/**
 * Each point's exclusive contribution: the hypervolume lost when it alone is removed. Dominated points and
 * duplicates contribute 0.
 */
export function hypervolumeContributions(points: readonly (readonly number[])[], reference: readonly number[]): number[] {
  const total = hypervolume(points, reference);
  return points.map((_, i) => Math.max(0, total - hypervolume(points.filter((__, j) => j !== i), reference)));
}

/**
 * A reference point just worse than every point: 1.1× the worst value in each coordinate (0.9× where it is
 * negative), as Optuna's TPE takes it; a zero coordinate becomes a tiny positive one.
 */
export function referencePointOf(points: readonly (readonly number[])[]): number[] {
  const d = points[0]!.length;
  return Array.from({ length: d }, (_, k) => {
    const worst = Math.max(...points.map((p) => p[k]!));
    const ref = Math.max(1.1 * worst, 0.9 * worst);
    return ref === 0 ? 1e-12 : ref;
  });
}

/**
 * Hypervolume subset selection: `k` of the points chosen greedily, each time the one adding the most
 * hypervolume to those already chosen (Optuna's `_solve_hssp`; the greedy choice is within (1 − 1/e) of
 * the best subset). Returns indices into `points`, in the order chosen.
 */
export function selectByHypervolume(points: readonly (readonly number[])[], k: number, reference: readonly number[]): number[] {
  const chosen: number[] = [];
  const left = new Set(points.map((_, i) => i));
  let base = 0;
  while (chosen.length < k && left.size > 0) {
    let best = -1;
    let bestGain = -Infinity;
    for (const i of left) {
      const gain = hypervolume([...chosen.map((c) => points[c]!), points[i]!], reference) - base;
      if (gain > bestGain) {
        bestGain = gain;
        best = i;
      }
    }
    chosen.push(best);
    left.delete(best);
    base += Math.max(0, bestGain);
  }
  return chosen;
}
