/** Further test functions for the TPE beyond the two reference objectives (minimization, known optima). */
import type { Distribution, Params } from '../src/space/distributions.js';

const u = (min: number, max: number): Distribution => ({ type: 'uniform', min, max });
const num = (p: Params, k: string): number => p[k] as number;

const H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const H_C = [1, 1.2, 3, 3.2];
const H_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

export const EXTRA_FUNCTIONS: Record<string, { space: Record<string, Distribution>; f: (p: Params) => number; optimum: number }> = {
  hartmann6: {
    space: Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`x${i}`, u(0, 1)])),
    f: (p) => -H_C.reduce((s, c, i) => s + c * Math.exp(-H_A[i]!.reduce((e, a, j) => e + a * (num(p, `x${j}`) - H_P[i]![j]!) ** 2, 0)), 0),
    optimum: -3.32237,
  },
  rosenbrock4: {
    space: Object.fromEntries([0, 1, 2, 3].map((i) => [`x${i}`, u(-2, 2)])),
    f: (p) => [0, 1, 2].reduce((s, i) => s + 100 * (num(p, `x${i + 1}`) - num(p, `x${i}`) ** 2) ** 2 + (1 - num(p, `x${i}`)) ** 2, 0),
    optimum: 0,
  },
  ackley2: {
    space: { x: u(-5, 5), y: u(-5, 5) },
    f: (p) => {
      const [x, y] = [num(p, 'x'), num(p, 'y')];
      return -20 * Math.exp(-0.2 * Math.sqrt(0.5 * (x * x + y * y))) - Math.exp(0.5 * (Math.cos(2 * Math.PI * x) + Math.cos(2 * Math.PI * y))) + Math.E + 20;
    },
    optimum: 0,
  },
};

/**
 * Two-objective test problems (both minimized; variables in [0, 1]) for the multi-objective TPE, with Optuna
 * 3.1's figures on them: median hypervolume over 10 seeds after 150 trials, reference point (1.1, 1.1).
 * DTLZ2's front is the quarter circle (best hypervolume 1.21 − π/4 ≈ 0.4246); ZDT1's is f2 = 1 − √f1 (≈ 0.8767).
 */
export const MULTI_OBJECTIVE_FUNCTIONS: Record<string, { n: number; f: (x: number[]) => [number, number]; optuna: { motpe: number; nsga2: number; random: number } }> = {
  dtlz2: {
    n: 5,
    f: (x) => {
      let g = 0;
      for (let i = 1; i < x.length; i++) g += (x[i]! - 0.5) ** 2;
      return [(1 + g) * Math.cos((x[0]! * Math.PI) / 2), (1 + g) * Math.sin((x[0]! * Math.PI) / 2)];
    },
    optuna: { motpe: 0.3771, nsga2: 0.2556, random: 0.2409 },
  },
  zdt1: {
    n: 6,
    f: (x) => {
      const g = 1 + (9 * x.slice(1).reduce((a, b) => a + b, 0)) / (x.length - 1);
      return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
    },
    optuna: { motpe: 0.176, nsga2: 0.0137, random: 0 },
  },
};
