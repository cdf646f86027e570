/**
 * Keras ImageDataGenerator-style augmentation of training images: a random rotation, shift and zoom per
 * image, drawn afresh every epoch from a seeded stream. Output pixels are read back from the source image
 * by bilinear interpolation with edges extended ("nearest", Keras' default fill), so every output value lies
 * between source values: the pixel range is kept. Labels are never touched.
 */
import type { Rng } from '../space/rng.js';

export interface AugmentSettings {
  /** Degrees: a rotation drawn from [−r, r]. */
  rotation_range: number;
  /** Fractions of the width / height: shifts drawn from [−w, w] × cols and [−h, h] × rows. */
  width_shift_range: number;
  height_shift_range: number;
  /** Zoom factors drawn from [1 − z, 1 + z], independently per axis. */
  zoom_range: number;
}

export function augmentationEnabled(s: AugmentSettings): boolean {
  return s.rotation_range > 0 || s.width_shift_range > 0 || s.height_shift_range > 0 || s.zoom_range > 0;
}

/**
 * Writes a randomly transformed copy of `src` (rows × cols, row-major) into `dst` at `dstOffset`.
 * Output pixel p reads the source at c + R(θ)·diag(zx, zy)·(p − c) + t (as Keras maps output to input).
 */
export function augmentImage(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  rows: number,
  cols: number,
  s: AugmentSettings,
  rng: Rng,
): void {
  const u = (r: number): number => (rng() * 2 - 1) * r;
  const theta = (u(s.rotation_range) * Math.PI) / 180;
  const tx = u(s.width_shift_range) * cols;
  const ty = u(s.height_shift_range) * rows;
  const zx = 1 + u(s.zoom_range);
  const zy = 1 + u(s.zoom_range);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const dx = (j - cx) * zx;
      const dy = (i - cy) * zy;
      let x = cx + cos * dx - sin * dy + tx;
      let y = cy + sin * dx + cos * dy + ty;
      x = Math.min(cols - 1, Math.max(0, x));
      y = Math.min(rows - 1, Math.max(0, y));
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const x1 = Math.min(cols - 1, x0 + 1);
      const y1 = Math.min(rows - 1, y0 + 1);
      const fx = x - x0;
      const fy = y - y0;
      const a = src[srcOffset + y0 * cols + x0]!;
      const b = src[srcOffset + y0 * cols + x1]!;
      const c = src[srcOffset + y1 * cols + x0]!;
      const d = src[srcOffset + y1 * cols + x1]!;
      dst[dstOffset + i * cols + j] = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }
  }
}
