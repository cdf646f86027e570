/*
 * tfsweep's own kernels for tfjs' WebAssembly backend, compiled to wasm32 with SIMD (see build.sh).
 *
 * The module imports the backend's memory and works on tensors in place on its heap, so it must not own any
 * memory itself: no data segment, no static variables, no stack (every function keeps its state in locals the
 * compiler holds in registers). build.sh checks the output for a data section and for uses of the stack
 * pointer and fails if it finds either.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * One Adam step over n weights, the arithmetic of tfjs' AdamOptimizer in one pass:
 *   m' = b1·m + (1−b1)·g;  v' = b2·v + (1−b2)·g²
 *   w' = w − lr · (m'/c1) / (sqrt(v'/c2) + eps)      with c1 = 1 − b1^t, c2 = 1 − b2^t
 * in the same float32 operations in the same order, so the results are the same bit for bit. ib1 and ib2 are
 * 1 − b1 and 1 − b2 rounded from double as tfjs rounds them (1.0f − b1 in float32 would differ).
 * Outputs go to new buffers (w_out, m_out, v_out): the backend caches packed weights by buffer, so weights are
 * never updated in place.
 */
EXPORT(adam)
void adam(const float *w, const float *m, const float *v, const float *g, float *w_out, float *m_out, float *v_out, int n,
          float lr, float b1, float b2, float ib1, float ib2, float eps, float c1, float c2) {
  const v128_t vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2);
  const v128_t vib1 = wasm_f32x4_splat(ib1), vib2 = wasm_f32x4_splat(ib2);
  const v128_t vlr = wasm_f32x4_splat(lr), veps = wasm_f32x4_splat(eps);
  const v128_t vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vib1));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vib2));
    const v128_t mhat = wasm_f32x4_div(mi, vc1);
    const v128_t vhat = wasm_f32x4_div(vi, vc2);
    const v128_t step = wasm_f32x4_div(mhat, wasm_f32x4_add(wasm_f32x4_sqrt(vhat), veps));
    wasm_v128_store(w_out + i, wasm_f32x4_sub(wasm_v128_load(w + i), wasm_f32x4_mul(step, vlr)));
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * ib1;
    const float vi = v[i] * b2 + gi * gi * ib2;
    w_out[i] = w[i] - (mi / c1) / (__builtin_sqrtf(vi / c2) + eps) * lr;
    m_out[i] = mi;
    v_out[i] = vi;
  }
}

/*
 * Column sums of a rows×cols matrix: the sum over a tensor's leading axes (a bias gradient: dy summed over
 * batch and space, channels kept). The stock kernel first transposes the whole tensor so the summed axes are
 * innermost; this reads it once, in order.
 */
EXPORT(sum_rows)
void sum_rows(const float *x, float *out, int rows, int cols) {
  int c = 0;
  for (; c + 4 <= cols; c += 4) wasm_v128_store(out + c, wasm_v128_load(x + c));
  for (; c < cols; c++) out[c] = x[c];
  for (int r = 1; r < rows; r++) {
    const float *row = x + (long)r * cols;
    c = 0;
    for (; c + 16 <= cols; c += 16) {
      wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), wasm_v128_load(row + c)));
      wasm_v128_store(out + c + 4, wasm_f32x4_add(wasm_v128_load(out + c + 4), wasm_v128_load(row + c + 4)));
      wasm_v128_store(out + c + 8, wasm_f32x4_add(wasm_v128_load(out + c + 8), wasm_v128_load(row + c + 8)));
      wasm_v128_store(out + c + 12, wasm_f32x4_add(wasm_v128_load(out + c + 12), wasm_v128_load(row + c + 12)));
    }
    for (; c + 4 <= cols; c += 4) wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), wasm_v128_load(row + c)));
    for (; c < cols; c++) out[c] += row[c];
  }
}

/*
 * MaxPoolGrad for 2×2 windows with stride 2 and no padding (the usual Keras pooling), NHWC: each output's
 * gradient goes to the first maximum of its window (row by row), as the cpu backend does — ties are common
 * after a ReLU. Windows do not overlap, so every input gets at most one gradient; inputs outside every window
 * (an odd last row or column) get 0. Four channels at a time.
 */
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int oh, int ow) {
  const long total = (long)n * h * w * c;
  long i = 0;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= total; i += 4) wasm_v128_store(dx + i, zero);
  for (; i < total; i++) dx[i] = 0.0f;
  const long row = (long)w * c;
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      for (int z = 0; z < ow; z++) {
        const long i00 = (((long)b * h + 2 * y) * w + 2 * z) * c;
        const long i01 = i00 + c, i10 = i00 + row, i11 = i10 + c;
        const float *g = dy + (((long)b * oh + y) * ow + z) * c;
        int ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          const v128_t a = wasm_v128_load(x + i00 + ch), bb = wasm_v128_load(x + i01 + ch);
          const v128_t cc = wasm_v128_load(x + i10 + ch), d = wasm_v128_load(x + i11 + ch);
          const v128_t gv = wasm_v128_load(g + ch);
          // Strictly greater: the first maximum wins. NaN compares false, so a NaN never takes the gradient
          // from an earlier element.
          const v128_t t01 = wasm_f32x4_gt(bb, a);
          const v128_t m01 = wasm_v128_bitselect(bb, a, t01);
          const v128_t t10 = wasm_f32x4_gt(cc, m01);
          const v128_t m2 = wasm_v128_bitselect(cc, m01, t10);
          const v128_t t11 = wasm_f32x4_gt(d, m2);
          // Where each position is the winner: the last test that passed.
          const v128_t w11 = t11;
          const v128_t w10 = wasm_v128_andnot(t10, t11);
          const v128_t w01 = wasm_v128_andnot(wasm_v128_andnot(t01, t10), t11);
          const v128_t w00 = wasm_v128_not(wasm_v128_or(wasm_v128_or(t01, t10), t11));
          wasm_v128_store(dx + i00 + ch, wasm_v128_and(gv, w00));
          wasm_v128_store(dx + i01 + ch, wasm_v128_and(gv, w01));
          wasm_v128_store(dx + i10 + ch, wasm_v128_and(gv, w10));
          wasm_v128_store(dx + i11 + ch, wasm_v128_and(gv, w11));
        }
        for (; ch < c; ch++) {
          long at = i00 + ch;
          float m = x[at];
          if (x[i01 + ch] > m) { m = x[i01 + ch]; at = i01 + ch; }
          if (x[i10 + ch] > m) { m = x[i10 + ch]; at = i10 + ch; }
          if (x[i11 + ch] > m) at = i11 + ch;
          dx[at] = g[ch];
        }
      }
    }
  }
}

/*
 * The filter gradient of an NHWC convolution with dilation 1 and cout a multiple of 4:
 *   dw[kh, kw, ci, co] = Σ over b, oh, ow of x[b, oh·sh + kh − top, ow·sw + kw − left, ci] · dy[b, oh, ow, co]
 * For few input channels (an image model's first layer) XNNPACK's convolution has nothing to work with.
 * Here one row of dy at a time (it stays in L1 for all taps), each tap's sum over the row in registers,
 * 16 output channels at a time, then added to dw.
 */
EXPORT(conv_filter_grad)
void conv_filter_grad(const float *x, const float *dy, float *dw, int n, int h, int w, int cin, int oh, int ow,
                      int cout, int fh, int fw, int sh, int sw, int top, int left) {
  const int taps = fh * fw * cin * cout;
  for (int i = 0; i < taps; i++) dw[i] = 0.0f;
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      const float *dyrow = dy + ((long)b * oh + y) * ow * cout;
      for (int kh = 0; kh < fh; kh++) {
        const int ih = y * sh + kh - top;
        if (ih < 0 || ih >= h) continue;
        const float *xrow = x + ((long)b * h + ih) * w * cin;
        for (int kw = 0; kw < fw; kw++) {
          const int w0 = kw - left;
          // Output columns whose input column lies inside the image: w0 + z·sw in [0, w).
          int lo = 0, hi = ow;
          while (lo < ow && w0 + lo * sw < 0) lo++;
          while (hi > lo && w0 + (hi - 1) * sw >= w) hi--;
          for (int ci = 0; ci < cin; ci++) {
            float *out = dw + ((kh * fw + kw) * cin + ci) * cout;
            const float *xs = xrow + (long)(w0 + lo * sw) * cin + ci;
            const long xstep = (long)sw * cin;
            int co = 0;
            for (; co + 16 <= cout; co += 16) {
              v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
              const float *xp = xs;
              const float *g = dyrow + (long)lo * cout + co;
              for (int z = lo; z < hi; z++, xp += xstep, g += cout) {
                const v128_t xv = wasm_f32x4_splat(*xp);
                a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xv, wasm_v128_load(g)));
                a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xv, wasm_v128_load(g + 4)));
                a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(xv, wasm_v128_load(g + 8)));
                a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(xv, wasm_v128_load(g + 12)));
              }
              wasm_v128_store(out + co, wasm_f32x4_add(wasm_v128_load(out + co), a0));
              wasm_v128_store(out + co + 4, wasm_f32x4_add(wasm_v128_load(out + co + 4), a1));
              wasm_v128_store(out + co + 8, wasm_f32x4_add(wasm_v128_load(out + co + 8), a2));
              wasm_v128_store(out + co + 12, wasm_f32x4_add(wasm_v128_load(out + co + 12), a3));
            }
            for (; co + 4 <= cout; co += 4) {
              v128_t a0 = wasm_f32x4_splat(0.0f);
              const float *xp = xs;
              const float *g = dyrow + (long)lo * cout + co;
              for (int z = lo; z < hi; z++, xp += xstep, g += cout) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(*xp), wasm_v128_load(g)));
              wasm_v128_store(out + co, wasm_f32x4_add(wasm_v128_load(out + co), a0));
            }
          }
        }
      }
    }
  }
}

/* out = x + bias for x of rows×cols and bias of cols (a layer's bias added to every position). */
EXPORT(add_bias)
void add_bias(const float *x, const float *bias, float *out, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * cols;
    float *o = out + (long)r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(xr + c), wasm_v128_load(bias + c)));
    for (; c < cols; c++) o[c] = xr[c] + bias[c];
  }
}

/*
 * AvgPoolGrad, NHWC, any window, stride and padding: each output's gradient, times `scale`, is added to every
 * input of its window, four channels at a time. tfjs scales by 1 / (window height × width) even where a
 * window hangs over the padding (its cpu and wasm kernels both do), so the caller passes that.
 */
EXPORT(avg_pool_grad)
void avg_pool_grad(const float *dy, float *dx, int n, int h, int w, int c, int oh, int ow, int fh, int fw, int sh, int sw,
                   int top, int left, float scale) {
  const long total = (long)n * h * w * c;
  long i = 0;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= total; i += 4) wasm_v128_store(dx + i, zero);
  for (; i < total; i++) dx[i] = 0.0f;
  const v128_t vs = wasm_f32x4_splat(scale);
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < oh; y++) {
      for (int z = 0; z < ow; z++) {
        const float *g = dy + (((long)b * oh + y) * ow + z) * c;
        for (int kh = 0; kh < fh; kh++) {
          const int ih = y * sh - top + kh;
          if (ih < 0 || ih >= h) continue;
          for (int kw = 0; kw < fw; kw++) {
            const int iw = z * sw - left + kw;
            if (iw < 0 || iw >= w) continue;
            float *d = dx + (((long)b * h + ih) * w + iw) * c;
            int ch = 0;
            for (; ch + 4 <= c; ch += 4) wasm_v128_store(d + ch, wasm_f32x4_add(wasm_v128_load(d + ch), wasm_f32x4_mul(wasm_v128_load(g + ch), vs)));
            for (; ch < c; ch++) d[ch] += g[ch] * scale;
          }
        }
      }
    }
  }
}
