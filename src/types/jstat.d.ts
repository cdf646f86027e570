/** The part of jstat (which ships no types) that space/distributions.ts uses. */
declare module 'jstat' {
  interface Distribution2 {
    cdf(x: number, p1: number, p2: number): number;
    inv(p: number, p1: number, p2: number): number;
  }
  export const jStat: { normal: Distribution2; beta: Distribution2 };
}
