/** Mean, standard deviation and a 95% confidence interval of repeated executions (Student's t). */
import { mean, sampleStandardDeviation } from 'simple-statistics';

/** t(0.975, df) for df = 1…30; beyond that the normal 1.96 is within 2%. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface Summary {
  n: number;
  mean: number;
  std: number | null;
  ci95: [number, number] | null;
}

export function summarizeValues(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  const m = mean(values as number[]);
  if (values.length < 2) return { n: values.length, mean: m, std: null, ci95: null };
  const sd = sampleStandardDeviation(values as number[]);
  const t = T975[values.length - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(values.length);
  return { n: values.length, mean: m, std: sd, ci95: [m - half, m + half] };
}
