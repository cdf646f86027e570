/*
 * tfsweep's native CPU kernels: a Node addon (N-API) whose functions read and write tfjs tensors where they
 * lie, in the wasm backend's WebAssembly.Memory. Each call takes that memory's ArrayBuffer afresh (memory can
 * grow, which replaces the buffer) and byte offsets of the tensors in it; nothing is copied in or out.
 *
 * The arithmetic is vectorised for x86-64 with AVX2 and FMA (32 flops a cycle, where wasm SIMD without FMA
 * does 8), chosen at run time by CPUID: a binary built on one machine is safe on another. Without them the
 * addon says it is unavailable and the wasm kernels stay in use.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- GEMM ----------------------------------------------------------- */

/* The micro-kernel's tile: MR rows of C by NR columns (two AVX registers of 8 floats), 12 accumulators. */
#define MR 6
#define NR 16

enum { ACT_LINEAR = 0, ACT_RELU = 1 };

/* Packed panels, grown as needed and kept per thread (each worker thread trains one trial). */
static _Thread_local float *pack_a = NULL, *pack_b = NULL;
static _Thread_local size_t pack_a_size = 0, pack_b_size = 0;

static float *grow(float **buf, size_t *size, size_t need) {
  if (need > *size) {
    free(*buf);
    *buf = (float *)aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64);
    *size = *buf ? need : 0;
  }
  return *buf;
}

#if defined(__x86_64__)
/*
 * A full panel of Bᵀ's rows j0 … j0+NR, columns k0 … k0+kc, transposed 8×8 at a time in registers: contiguous
 * reads and writes both, where a scalar copy writes with a stride of NR.
 */
__attribute__((target("avx2"))) static void pack_bt_avx2(const float *b, int k, int j0, int k0, int kc, float *out) {
  int p = 0;
  for (; p + 8 <= kc; p += 8)
    for (int half = 0; half < 2; half++) {
      const float *src = b + (size_t)(j0 + 8 * half) * k + k0 + p;
      __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + k), r2 = _mm256_loadu_ps(src + 2 * (size_t)k), r3 = _mm256_loadu_ps(src + 3 * (size_t)k);
      __m256 r4 = _mm256_loadu_ps(src + 4 * (size_t)k), r5 = _mm256_loadu_ps(src + 5 * (size_t)k), r6 = _mm256_loadu_ps(src + 6 * (size_t)k), r7 = _mm256_loadu_ps(src + 7 * (size_t)k);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float *dst = out + (size_t)p * NR + 8 * half;
      _mm256_storeu_ps(dst + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(dst + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(dst + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(dst + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(dst + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(dst + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(dst + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(dst + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
  for (; p < kc; p++)
    for (int j = 0; j < NR; j++) out[(size_t)p * NR + j] = b[(size_t)(j0 + j) * k + k0 + p];
}
#endif

/*
 * Rows k0 … k0+kc of the NR columns of B (k×n, or n×k when transposed) from column j0, as kc rows of NR floats,
 * zero-padded on the right.
 */
static void pack_b_panel(const float *b, int k, int n, int trans, int j0, int k0, int kc, float *out) {
  int nr = n - j0 < NR ? n - j0 : NR;
#if defined(__x86_64__)
  if (trans && nr == NR) {
    pack_bt_avx2(b, k, j0, k0, kc, out);
    return;
  }
#endif
  if (trans) {
    /* Row by row of Bᵀ's stored rows: contiguous reads; the writes land in this small panel, in cache. */
    for (int j = 0; j < NR; j++) {
      const float *src = b + (size_t)(j0 + j) * k + k0;
      for (int p = 0; p < kc; p++) out[(size_t)p * NR + j] = j < nr ? src[p] : 0.0f;
    }
    return;
  }
  for (int p = 0; p < kc; p++) {
    float *row = out + (size_t)p * NR;
    for (int j = 0; j < nr; j++) row[j] = b[(size_t)(k0 + p) * n + j0 + j];
    for (int j = nr; j < NR; j++) row[j] = 0.0f;
  }
}

/* MR rows of A (m×k, or k×m when transposed) from row i0, columns k0 … k0+kc, packed as kc columns of MR, zero-padded below. */
static void pack_a_panel(const float *a, int m, int k, int trans, int i0, int k0, int kc, float *out) {
  int mr = m - i0 < MR ? m - i0 : MR;
  for (int p = 0; p < kc; p++) {
    float *col = out + (size_t)p * MR;
    for (int r = 0; r < mr; r++) col[r] = trans ? a[(size_t)(k0 + p) * m + i0 + r] : a[(size_t)(i0 + r) * k + k0 + p];
    for (int r = mr; r < MR; r++) col[r] = 0.0f;
  }
}

#if defined(__x86_64__)
/* C[mr×nr] (row stride ldc) = A panel · B panel (+ bias) (activation); the tile is computed whole in registers. */
__attribute__((target("avx2,fma"))) static void tile_avx2(int k, const float *a, const float *b, size_t ldb, float *c, int ldc, int mr, int nr,
                                                           const float *bias, int act, int accumulate) {
  /* Twelve named accumulators: an array indexed after the loop would be kept in memory, not in registers. */
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int p = 0; p < k; p++) {
    __m256 b0 = _mm256_loadu_ps(b + (size_t)p * ldb);
    __m256 b1 = _mm256_loadu_ps(b + (size_t)p * ldb + 8);
    const float *ap = a + (size_t)p * MR;
    __m256 r;
    r = _mm256_broadcast_ss(ap + 0); c00 = _mm256_fmadd_ps(r, b0, c00); c01 = _mm256_fmadd_ps(r, b1, c01);
    r = _mm256_broadcast_ss(ap + 1); c10 = _mm256_fmadd_ps(r, b0, c10); c11 = _mm256_fmadd_ps(r, b1, c11);
    r = _mm256_broadcast_ss(ap + 2); c20 = _mm256_fmadd_ps(r, b0, c20); c21 = _mm256_fmadd_ps(r, b1, c21);
    r = _mm256_broadcast_ss(ap + 3); c30 = _mm256_fmadd_ps(r, b0, c30); c31 = _mm256_fmadd_ps(r, b1, c31);
    r = _mm256_broadcast_ss(ap + 4); c40 = _mm256_fmadd_ps(r, b0, c40); c41 = _mm256_fmadd_ps(r, b1, c41);
    r = _mm256_broadcast_ss(ap + 5); c50 = _mm256_fmadd_ps(r, b0, c50); c51 = _mm256_fmadd_ps(r, b1, c51);
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  float tail[NR];
  if (bias) {
    if (nr == NR) {
      bias0 = _mm256_loadu_ps(bias);
      bias1 = _mm256_loadu_ps(bias + 8);
    } else {
      for (int j = 0; j < NR; j++) tail[j] = j < nr ? bias[j] : 0.0f;
      bias0 = _mm256_loadu_ps(tail);
      bias1 = _mm256_loadu_ps(tail + 8);
    }
  }
  __m256 zero = _mm256_setzero_ps();
  for (int r = 0; r < mr; r++) {
    __m256 v0 = _mm256_add_ps(acc[r][0], bias0), v1 = _mm256_add_ps(acc[r][1], bias1);
    if (accumulate) {
      /* A later slice of k: the tile so far is in c. */
      float *row = c + (size_t)r * ldc;
      if (nr == NR) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(row));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(row + 8));
      } else {
        float old[NR] = {0};
        memcpy(old, row, (size_t)nr * sizeof(float));
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(old));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(old + 8));
      }
    }
    if (act == ACT_RELU) {
      v0 = _mm256_max_ps(v0, zero);
      v1 = _mm256_max_ps(v1, zero);
    }
    float *row = c + (size_t)r * ldc;
    if (nr == NR) {
      _mm256_storeu_ps(row, v0);
      _mm256_storeu_ps(row + 8, v1);
    } else {
      float out[NR];
      _mm256_storeu_ps(out, v0);
      _mm256_storeu_ps(out + 8, v1);
      memcpy(row, out, (size_t)nr * sizeof(float));
    }
  }
}
#endif

static int cpu_ok(void) {
#if defined(__x86_64__)
  static int ok = -1;
  if (ok < 0) {
    __builtin_cpu_init();
    ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return ok;
#else
  return 0;
#endif
}

/* Packs MR rows of the left operand from row i0, columns k0 … k0+kc, as kc columns of MR (zero-padded below). */
typedef void (*pack_a_fn)(const void *ctx, int i0, int k0, int kc, float *out);

/* Packs rows k0 … k0+kc of the right operand's NR columns from j0 as kc rows of NR floats (zero-padded right). */
typedef void (*pack_b_fn)(const void *ctx, int j0, int k0, int kc, float *out);

/*
 * The slice of k packed at a time: long slices reload C's tiles less often; short ones keep A's panels for a
 * whole layer's batch within L2 (512 floats deep for up to 256 rows, 256 beyond: measured, 81 → 90 GFLOP/s for
 * a 128-row product, no loss for 1024 rows).
 */
static int slice_of(int m) {
  return m <= 256 ? 512 : 256;
}

/*
 * The product c (m×n, row stride ldc) = A · op(b) (+ bias[n]) (activation), A given by its packer, k in slices
 * (`slice_of`; each slice adds to the tile; the bias and activation come with the last). Each slice packs A whole
 * (MR-row panels); B is read in place when it is not transposed (rows of NR floats at stride n), else one
 * NR-column panel at a time. Each B panel is used for every A panel before the next.
 */
static int gemm_core(pack_a_fn pack, const void *actx, pack_b_fn packb, const void *bctx, const float *b, float *c, int ldc, const float *bias, int m, int n, int k, int tb, int act) {
#if defined(__x86_64__)
  size_t a_panels = (size_t)(m + MR - 1) / MR;
  int KC = slice_of(m);
  float *pa = grow(&pack_a, &pack_a_size, a_panels * (size_t)KC * MR);
  float *pb = grow(&pack_b, &pack_b_size, (size_t)KC * NR);
  if (!pb || !pa) return 0;
  for (int k0 = 0; k0 < k; k0 += KC) {
    int kc = k - k0 < KC ? k - k0 : KC;
    int last = k0 + kc == k;
    for (size_t ip = 0; ip < a_panels; ip++) pack(actx, (int)ip * MR, k0, kc, pa + ip * (size_t)kc * MR);
    for (int j0 = 0; j0 < n; j0 += NR) {
      int nr = n - j0 < NR ? n - j0 : NR;
      const float *bp = b ? b + (size_t)k0 * n + j0 : NULL;
      size_t ldb = (size_t)n;
      if (packb) {
        packb(bctx, j0, k0, kc, pb);
        bp = pb;
        ldb = NR;
      } else if (tb || nr < NR) {
        pack_b_panel(b, k, n, tb, j0, k0, kc, pb);
        bp = pb;
        ldb = NR;
      }
      for (size_t ip = 0; ip < a_panels; ip++) {
        int i0 = (int)ip * MR;
        int mr = m - i0 < MR ? m - i0 : MR;
        tile_avx2(kc, pa + ip * (size_t)kc * MR, bp, ldb, c + (size_t)i0 * ldc + j0, ldc, mr, nr, last && bias ? bias + j0 : NULL, last ? act : ACT_LINEAR, k0 > 0);
      }
    }
  }
  return 1;
#else
  (void)pack; (void)actx; (void)packb; (void)bctx; (void)b; (void)c; (void)ldc; (void)bias; (void)m; (void)n; (void)k; (void)tb; (void)act;
  return 0;
#endif
}

typedef struct {
  const float *a;
  int m, k, trans;
} plain_a;

static void pack_plain(const void *ctx, int i0, int k0, int kc, float *out) {
  const plain_a *p = (const plain_a *)ctx;
  pack_a_panel(p->a, p->m, p->k, p->trans, i0, k0, kc, out);
}

/* One matrix product: c (m×n) = op(a) · op(b) (+ bias[n]) (activation). */
static int gemm(const float *a, const float *b, float *c, const float *bias, int m, int n, int k, int ta, int tb, int act) {
  plain_a ctx = {a, m, k, ta};
  return gemm_core(pack_plain, &ctx, NULL, NULL, b, c, n, bias, m, n, k, tb, act);
}

/* ------------------------------------------------------------ convolution ------------------------------------------------------------ */

/*
 * An NHWC convolution as matrix products over its patches (im2col, never written out whole): output pixel q =
 * (b·oh + oy)·ow + ox, patch element e = (ky·fw + kx)·cin + c, the filter [fh, fw, cin, cout] read as a K×cout
 * matrix (K = fh·fw·cin).
 */
typedef struct {
  const float *x;
  int n, h, w, cin, oh, ow, cout, fh, fw, sh, sw, dh, dw, top, left;
} conv_t;

/* The next output pixel in (b, oy, ox) order, stepped: a division per pixel costs more than the product. */
static inline void next_pixel(const conv_t *s, int *b, int *oy, int *ox) {
  if (++*ox == s->ow) {
    *ox = 0;
    if (++*oy == s->oh) {
      *oy = 0;
      ++*b;
    }
  }
}

/* The next filter tap in (ky, kx) order. */
static inline void next_tap(const conv_t *s, int *ky, int *kx) {
  if (++*kx == s->fw) {
    *kx = 0;
    ++*ky;
  }
}

/* Forward: MR output pixels from i0, patch elements k0 … k0+kc as columns (zeros where a patch falls in the padding). */
static void pack_patches(const void *ctx, int i0, int k0, int kc, float *out) {
  const conv_t *s = (const conv_t *)ctx;
  int pixels = s->n * s->oh * s->ow, end = k0 + kc;
  for (int r = 0; r < MR; r++) {
    int q = i0 + r;
    if (q >= pixels) {
      for (int e = 0; e < kc; e++) out[(size_t)e * MR + r] = 0.0f;
      continue;
    }
    int ox = q % s->ow, oy = (q / s->ow) % s->oh, b = q / (s->ow * s->oh);
    /* Runs of channels at one filter tap, contiguous in the input; the tap is stepped, not divided out. */
    int c0 = k0 % s->cin, kx = (k0 / s->cin) % s->fw, ky = k0 / (s->cin * s->fw);
    for (int e = k0; e < end;) {
      int run = s->cin - c0 < end - e ? s->cin - c0 : end - e;
      int iy = oy * s->sh + ky * s->dh - s->top, ix = ox * s->sw + kx * s->dw - s->left;
      float *dst = out + (size_t)(e - k0) * MR + r;
      if (iy >= 0 && iy < s->h && ix >= 0 && ix < s->w) {
        const float *src = s->x + (((size_t)b * s->h + iy) * s->w + ix) * s->cin + c0;
        for (int c = 0; c < run; c++) dst[(size_t)c * MR] = src[c];
      } else {
        for (int c = 0; c < run; c++) dst[(size_t)c * MR] = 0.0f;
      }
      e += run;
      c0 = 0;
      next_tap(s, &ky, &kx);
    }
  }
}

/*
 * Filter gradient: MR patch elements from i0, pixels k0 … k0+kc as columns (the patches transposed). The
 * pixel's coordinates are stepped, not divided out: a division per pixel and panel costs more than the product.
 */
static void pack_patches_t(const void *ctx, int i0, int k0, int kc, float *out) {
  const conv_t *s = (const conv_t *)ctx;
  int K = s->fh * s->fw * s->cin;
  int dy_[MR], dx_[MR], ch[MR];
  for (int r = 0; r < MR; r++) {
    int e = i0 + r < K ? i0 + r : -1;
    ch[r] = e < 0 ? -1 : e % s->cin;
    dx_[r] = e < 0 ? 0 : ((e / s->cin) % s->fw) * s->dw;
    dy_[r] = e < 0 ? 0 : (e / (s->cin * s->fw)) * s->dh;
  }
  int ox = k0 % s->ow, oy = (k0 / s->ow) % s->oh, b = k0 / (s->ow * s->oh);
  for (int q = 0; q < kc; q++) {
    int iy0 = oy * s->sh - s->top, ix0 = ox * s->sw - s->left;
    const float *img = s->x + (size_t)b * s->h * s->w * s->cin;
    float *col = out + (size_t)q * MR;
    for (int r = 0; r < MR; r++) {
      int iy = iy0 + dy_[r], ix = ix0 + dx_[r];
      col[r] = (ch[r] >= 0 && iy >= 0 && iy < s->h && ix >= 0 && ix < s->w) ? img[((size_t)iy * s->w + ix) * s->cin + ch[r]] : 0.0f;
    }
    next_pixel(s, &b, &oy, &ox);
  }
}

/*
 * The patches as a right operand (pixels × K): rows k0 … k0+kc (pixels), the NR patch elements from j0 as
 * columns. With sixteen or more channels a panel's columns are channels of one filter tap: a copy per row.
 */
static void pack_patches_b(const void *ctx, int j0, int k0, int kc, float *out) {
  const conv_t *s = (const conv_t *)ctx;
  int K = s->fh * s->fw * s->cin;
  int ox = k0 % s->ow, oy = (k0 / s->ow) % s->oh, b = k0 / (s->ow * s->oh);
  int nr = K - j0 < NR ? K - j0 : NR;
  for (int q = 0; q < kc; q++) {
    float *row = out + (size_t)q * NR;
    const float *img = s->x + (size_t)b * s->h * s->w * s->cin;
    int iy0 = oy * s->sh - s->top, ix0 = ox * s->sw - s->left;
    int c0 = j0 % s->cin, kx = (j0 / s->cin) % s->fw, ky = j0 / (s->cin * s->fw);
    for (int j = 0; j < nr;) {
      int run = s->cin - c0 < nr - j ? s->cin - c0 : nr - j;
      int iy = iy0 + ky * s->dh, ix = ix0 + kx * s->dw;
      if (iy >= 0 && iy < s->h && ix >= 0 && ix < s->w) memcpy(row + j, img + ((size_t)iy * s->w + ix) * s->cin + c0, (size_t)run * sizeof(float));
      else memset(row + j, 0, (size_t)run * sizeof(float));
      j += run;
      c0 = 0;
      next_tap(s, &ky, &kx);
    }
    for (int j = nr; j < NR; j++) row[j] = 0.0f;
    next_pixel(s, &b, &oy, &ox);
  }
}

/* Scatter-adds the patches' gradients (pixels × K, row by row) into dx, which starts at zero. */
static void col2im(const conv_t *s, const float *cols, float *dx) {
  memset(dx, 0, (size_t)s->n * s->h * s->w * s->cin * sizeof(float));
  int K = s->fh * s->fw * s->cin;
  for (int b = 0; b < s->n; b++)
    for (int oy = 0; oy < s->oh; oy++)
      for (int ox = 0; ox < s->ow; ox++) {
        const float *row = cols + ((((size_t)b * s->oh + oy) * s->ow) + ox) * K;
        for (int ky = 0; ky < s->fh; ky++) {
          int iy = oy * s->sh + ky * s->dh - s->top;
          if (iy < 0 || iy >= s->h) continue;
          for (int kx = 0; kx < s->fw; kx++) {
            int ix = ox * s->sw + kx * s->dw - s->left;
            if (ix < 0 || ix >= s->w) continue;
            float *dst = dx + (((size_t)b * s->h + iy) * s->w + ix) * s->cin;
            const float *src = row + ((size_t)ky * s->fw + kx) * s->cin;
            for (int c = 0; c < s->cin; c++) dst[c] += src[c];
          }
        }
      }
}

/*
 * Where the direct kernels below run instead of a matrix product over patches: output channels in whole
 * registers (a multiple of 8). They read the input where it lies (padded once per image), so nothing is packed.
 */
static int direct(const conv_t *s) {
  return s->cout % 8 == 0;
}

static _Thread_local float *pad_buf = NULL;
static _Thread_local size_t pad_size = 0;

/*
 * Image b copied with zeros wherever the filter reaches past its edges, ph × pw pixels: the direct kernels then
 * read every tap without a bounds test. Few channels, so the copy is small beside the arithmetic.
 */
static const float *pad_image(const conv_t *s, int b, int *pw_out) {
  int ph = (s->oh - 1) * s->sh + (s->fh - 1) * s->dh + 1, pw = (s->ow - 1) * s->sw + (s->fw - 1) * s->dw + 1;
  float *p = grow(&pad_buf, &pad_size, (size_t)ph * pw * s->cin);
  if (!p) return NULL;
  const float *img = s->x + (size_t)b * s->h * s->w * s->cin;
  for (int py = 0; py < ph; py++) {
    int iy = py - s->top;
    float *row = p + (size_t)py * pw * s->cin;
    if (iy < 0 || iy >= s->h) {
      memset(row, 0, (size_t)pw * s->cin * sizeof(float));
      continue;
    }
    /* Zeros left of the image, the part of its row in reach in one copy, zeros right of it (the padding may
       also be negative: an input gradient's, for explicit padding wider than the filter). */
    int x0 = s->left < 0 ? 0 : s->left < pw ? s->left : pw;
    int x1 = s->left + s->w < pw ? s->left + s->w : pw;
    if (x1 < x0) x1 = x0;
    size_t c = (size_t)s->cin;
    memset(row, 0, (size_t)x0 * c * sizeof(float));
    memcpy(row + (size_t)x0 * c, img + ((size_t)iy * s->w + (size_t)(x0 - s->left)) * c, (size_t)(x1 - x0) * c * sizeof(float));
    memset(row + (size_t)x1 * c, 0, (size_t)(pw - x1) * c * sizeof(float));
  }
  *pw_out = pw;
  return p;
}

#if defined(__x86_64__)
/*
 * Forward, directly: PX output pixels at a time (`px`: where each one's patch starts in the padded image, rows
 * running on into the next), V registers of 8 output channels each (PX·V = 12 accumulators), bias and ReLU
 * applied on the way out. Generated per width: arrays sized exactly and loops of
 * constant count unroll into registers, where one general function kept its accumulators in memory.
 */
#define DEFINE_DIRECT_FWD(V, PX)                                                                                                          \
  __attribute__((target("avx2,fma"))) static void direct_fwd_##V(const conv_t *s, const float *const *px, int pw, const float *f, const float *bias, \
                                                                 int act, float *out, int npx) {                                         \
    __m256 acc[PX][V];                                                                                                                    \
    _Pragma("GCC unroll 16") for (int q = 0; q < PX; q++)                                                                                 \
      _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) acc[q][v] = bias ? _mm256_loadu_ps(bias + 8 * v) : _mm256_setzero_ps();       \
    for (int ky = 0; ky < s->fh; ky++)                                                                                                    \
      for (int kx = 0; kx < s->fw; kx++) {                                                                                                \
        size_t tap = ((size_t)ky * s->dh * pw + (size_t)kx * s->dw) * s->cin;                                                            \
        const float *wp = f + ((size_t)ky * s->fw + kx) * s->cin * s->cout;                                                               \
        for (int c = 0; c < s->cin; c++) {                                                                                                \
          __m256 w[V];                                                                                                                    \
          _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) w[v] = _mm256_loadu_ps(wp + (size_t)c * s->cout + 8 * v);                 \
          _Pragma("GCC unroll 16") for (int q = 0; q < PX; q++) {                                                                         \
            __m256 xv = _mm256_broadcast_ss(px[q] + tap + c);                                                                             \
            _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) acc[q][v] = _mm256_fmadd_ps(xv, w[v], acc[q][v]);                       \
          }                                                                                                                               \
        }                                                                                                                                 \
      }                                                                                                                                   \
    __m256 zero = _mm256_setzero_ps();                                                                                                    \
    _Pragma("GCC unroll 16") for (int q = 0; q < PX; q++)                                                                                 \
      if (q < npx)                                                                                                                        \
        _Pragma("GCC unroll 16") for (int v = 0; v < V; v++)                                                                              \
          _mm256_storeu_ps(out + (size_t)q * s->cout + 8 * v, act == ACT_RELU ? _mm256_max_ps(acc[q][v], zero) : acc[q][v]);             \
  }

/* The filter gradient, directly: G patch elements by V registers of output channels, summed over every pixel. */
#define DEFINE_DIRECT_FILTER(V, G)                                                                                                        \
  __attribute__((target("avx2,fma"))) static void direct_filter_##V(const conv_t *s, const float *p, int pw, const float *dy, const size_t *off, \
                                                                    float *dw, int e0, int ne) {                                         \
    __m256 acc[G][V];                                                                                                                     \
    const float *xg[G];                                                                                                                   \
    _Pragma("GCC unroll 16") for (int g = 0; g < G; g++) {                                                                                \
      /* Elements past the last one read element e0 again, into accumulators never stored. */                                            \
      xg[g] = p + off[g < ne ? e0 + g : e0];                                                                                              \
      _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) acc[g][v] = g < ne ? _mm256_loadu_ps(dw + (size_t)(e0 + g) * s->cout + 8 * v) : _mm256_setzero_ps(); \
    }                                                                                                                                     \
    /* Pixel by pixel, the patch's place and dy's stepped, not recomputed. */                                                             \
    size_t step = (size_t)s->sw * s->cin;                                                                                                 \
    for (int oy = 0; oy < s->oh; oy++) {                                                                                                  \
      size_t q = (size_t)oy * s->sh * pw * s->cin;                                                                                        \
      const float *d = dy + (size_t)oy * s->ow * s->cout;                                                                                 \
      for (int ox = 0; ox < s->ow; ox++, q += step, d += s->cout) {                                                                       \
        __m256 dv[V];                                                                                                                     \
        _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) dv[v] = _mm256_loadu_ps(d + 8 * v);                                         \
        _Pragma("GCC unroll 16") for (int g = 0; g < G; g++) {                                                                            \
          __m256 xv = _mm256_broadcast_ss(xg[g] + q);                                                                                     \
          _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) acc[g][v] = _mm256_fmadd_ps(xv, dv[v], acc[g][v]);                        \
        }                                                                                                                                 \
      }                                                                                                                                   \
    }                                                                                                                                     \
    _Pragma("GCC unroll 16") for (int g = 0; g < G; g++)                                                                                  \
      if (g < ne)                                                                                                                         \
        _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) _mm256_storeu_ps(dw + (size_t)(e0 + g) * s->cout + 8 * v, acc[g][v]);      \
  }

DEFINE_DIRECT_FWD(1, 12)
DEFINE_DIRECT_FWD(2, 6)
DEFINE_DIRECT_FILTER(1, 12)
DEFINE_DIRECT_FILTER(2, 6)

/* Output channels per call: 16 (two registers, six pixels or patch elements) where they divide, else 8 (twelve). */
static int direct_width(int cout) {
  return cout % 16 == 0 ? 16 : 8;
}

static int conv_direct_fwd(const conv_t *s, const float *f, const float *bias, int act, float *y) {
  int width = direct_width(s->cout), block = width == 16 ? 6 : 12, pixels = s->oh * s->ow;
  for (int b = 0; b < s->n; b++) {
    int pw;
    const float *p = pad_image(s, b, &pw);
    if (!p) return 0;
    float *yb = y + (size_t)b * pixels * s->cout;
    int oy = 0, ox = 0;
    for (int q0 = 0; q0 < pixels; q0 += block) {
      int npx = pixels - q0 < block ? pixels - q0 : block;
      /* Past the image's last pixel, the last one again (computed, never stored). */
      const float *px[12];
      for (int q = 0; q < block; q++) {
        px[q] = p + ((size_t)oy * s->sh * pw + (size_t)ox * s->sw) * s->cin;
        if (q < npx - 1 && ++ox == s->ow) {
          ox = 0;
          ++oy;
        }
      }
      if (++ox == s->ow) {
        ox = 0;
        ++oy;
      }
      for (int j0 = 0; j0 < s->cout; j0 += width) {
        const float *bj = bias ? bias + j0 : NULL;
        if (width == 16) direct_fwd_2(s, px, pw, f + j0, bj, act, yb + (size_t)q0 * s->cout + j0, npx);
        else direct_fwd_1(s, px, pw, f + j0, bj, act, yb + (size_t)q0 * s->cout + j0, npx);
      }
    }
  }
  return 1;
}

static _Thread_local size_t *off_buf = NULL;
static _Thread_local size_t off_size = 0;

static int conv_direct_filter(const conv_t *s, const float *dy, float *dw) {
  int K = s->fh * s->fw * s->cin, width = direct_width(s->cout), G = width == 16 ? 6 : 12;
  /* Each patch element's place in the padded image, from its pixel's first element. */
  if ((size_t)K > off_size) {
    free(off_buf);
    off_buf = (size_t *)malloc((size_t)K * sizeof(size_t));
    off_size = off_buf ? (size_t)K : 0;
    if (!off_buf) return 0;
  }
  size_t *off = off_buf;
  memset(dw, 0, (size_t)K * s->cout * sizeof(float));
  for (int b = 0; b < s->n; b++) {
    int pw;
    const float *p = pad_image(s, b, &pw);
    if (!p) return 0;
    for (int e = 0; e < K; e++) {
      int c = e % s->cin, kx = (e / s->cin) % s->fw, ky = e / (s->cin * s->fw);
      off[e] = ((size_t)ky * s->dh * pw + (size_t)kx * s->dw) * s->cin + c;
    }
    const float *dyb = dy + (size_t)b * s->oh * s->ow * s->cout;
    for (int j0 = 0; j0 < s->cout; j0 += width)
      for (int e0 = 0; e0 < K; e0 += G) {
        int ne = K - e0 < G ? K - e0 : G;
        if (width == 16) direct_filter_2(s, p, pw, dyb + j0, off, dw + j0, e0, ne);
        else direct_filter_1(s, p, pw, dyb + j0, off, dw + j0, e0, ne);
      }
  }
  return 1;
}

static _Thread_local float *flip_buf = NULL;
static _Thread_local size_t flip_size = 0;

/*
 * The input gradient of a stride-1 convolution is itself one: dy convolved with the filter flipped in space,
 * its channels swapped, padded by what the forward pass left out (fh − 1 − top above, …). Run directly.
 */
static int conv_direct_input(const conv_t *s, const float *f, const float *dy, float *dx) {
  size_t taps = (size_t)s->fh * s->fw;
  float *g = grow(&flip_buf, &flip_size, taps * s->cin * s->cout);
  if (!g) return 0;
  for (size_t t = 0; t < taps; t++)
    for (int ci = 0; ci < s->cin; ci++)
      for (int co = 0; co < s->cout; co++) g[((taps - 1 - t) * s->cout + co) * s->cin + ci] = f[(t * s->cin + ci) * s->cout + co];
  conv_t t = {dy, s->n, s->oh, s->ow, s->cout, s->h, s->w, s->cin, s->fh, s->fw, 1, 1, s->dh, s->dw, (s->fh - 1) * s->dh - s->top, (s->fw - 1) * s->dw - s->left};
  return conv_direct_fwd(&t, g, NULL, ACT_LINEAR, dx);
}
#endif

static _Thread_local float *cols_buf = NULL;
static _Thread_local size_t cols_size = 0;

/* mode 0: y = conv(x, f) (+ bias) (activation); 1: dW = patches(x)ᵀ · dy; 2: dx = col2im(dy · fᵀ). */
static int conv(int mode, conv_t *s, const float *f, const float *dy, float *out, const float *bias, int act) {
  int pixels = s->n * s->oh * s->ow, K = s->fh * s->fw * s->cin;
#if defined(__x86_64__)
  if (mode == 0 && direct(s)) return conv_direct_fwd(s, f, bias, act, out);
  if (mode == 1 && direct(s)) return conv_direct_filter(s, dy, out);
  if (mode == 2 && s->sh == 1 && s->sw == 1 && s->cin % 8 == 0) return conv_direct_input(s, f, dy, out);
#endif
  if (mode == 0) return gemm_core(pack_patches, s, NULL, NULL, f, out, s->cout, bias, pixels, s->cout, K, 0, act);
  if (mode == 1 && s->cin < 8) return gemm_core(pack_patches_t, s, NULL, NULL, dy, out, s->cout, NULL, K, s->cout, pixels, 0, ACT_LINEAR);
  if (mode == 1) {
    /* With eight or more channels, dWᵀ (cout × K) = dyᵀ · patches: dy packs as cheaply transposed as not, and
       the patches go in as rows of channels (a copy per filter tap); the small result is transposed into dW. */
    float *t = grow(&cols_buf, &cols_size, (size_t)K * s->cout);
    plain_a dyt = {dy, s->cout, pixels, 1};
    if (!t || !gemm_core(pack_plain, &dyt, pack_patches_b, s, NULL, t, K, NULL, s->cout, K, pixels, 0, ACT_LINEAR)) return 0;
    for (int e = 0; e < K; e++)
      for (int co = 0; co < s->cout; co++) out[(size_t)e * s->cout + co] = t[(size_t)co * K + e];
    return 1;
  }
  float *cols = grow(&cols_buf, &cols_size, (size_t)pixels * K);
  if (!cols || !gemm(dy, f, cols, NULL, pixels, K, s->cout, 0, 1, ACT_LINEAR)) return 0;
  col2im(s, cols, out);
  return 1;
}

/* ------------------------------------------------------------- element-wise ------------------------------------------------------------ */

#if defined(__x86_64__)
/*
 * Max pooling over 2×2 windows with stride 2 and no padding (the usual Keras pooling), NHWC, eight channels at a
 * time. mode 0: y = the windows' maxima; mode 1: dx = each output's gradient at the first maximum of its window
 * (row by row, as the cpu backend does: ties are common after a ReLU), zero elsewhere. `max_ps(b, a)` is b where
 * b > a, else a: strictly greater, so the first maximum wins and a NaN never displaces an earlier element.
 */
__attribute__((target("avx2"))) static void pool_2x2(int mode, const float *x, const float *dy, float *out, int n, int h, int w, int c, int oh, int ow) {
  /* Inputs outside every window (an odd last row or column) get no gradient: zero them first, only then. */
  if (mode == 1 && (oh * 2 < h || ow * 2 < w)) memset(out, 0, (size_t)n * h * w * c * sizeof(float));
  size_t row = (size_t)w * c;
  for (int b = 0; b < n; b++)
    for (int y = 0; y < oh; y++)
      for (int z = 0; z < ow; z++) {
        size_t i00 = (((size_t)b * h + 2 * y) * w + 2 * z) * c, i01 = i00 + c, i10 = i00 + row, i11 = i10 + c;
        size_t o = (((size_t)b * oh + y) * ow + z) * c;
        int ch = 0;
        for (; ch + 8 <= c; ch += 8) {
          __m256 a = _mm256_loadu_ps(x + i00 + ch), bb = _mm256_loadu_ps(x + i01 + ch);
          __m256 cc = _mm256_loadu_ps(x + i10 + ch), d = _mm256_loadu_ps(x + i11 + ch);
          if (mode == 0) {
            _mm256_storeu_ps(out + o + ch, _mm256_max_ps(d, _mm256_max_ps(cc, _mm256_max_ps(bb, a))));
            continue;
          }
          __m256 t01 = _mm256_cmp_ps(bb, a, _CMP_GT_OQ), m01 = _mm256_max_ps(bb, a);
          __m256 t10 = _mm256_cmp_ps(cc, m01, _CMP_GT_OQ), m2 = _mm256_max_ps(cc, m01);
          __m256 t11 = _mm256_cmp_ps(d, m2, _CMP_GT_OQ);
          __m256 g = _mm256_loadu_ps(dy + o + ch);
          /* Each position wins where the last test that passed is its own. */
          __m256 w10 = _mm256_andnot_ps(t11, t10), w01 = _mm256_andnot_ps(t11, _mm256_andnot_ps(t10, t01));
          __m256 w00 = _mm256_andnot_ps(_mm256_or_ps(_mm256_or_ps(t01, t10), t11), _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
          _mm256_storeu_ps(out + i00 + ch, _mm256_and_ps(g, w00));
          _mm256_storeu_ps(out + i01 + ch, _mm256_and_ps(g, w01));
          _mm256_storeu_ps(out + i10 + ch, _mm256_and_ps(g, w10));
          _mm256_storeu_ps(out + i11 + ch, _mm256_and_ps(g, t11));
        }
        for (; ch < c; ch++) {
          size_t at = i00 + ch;
          float m = x[at];
          if (x[i01 + ch] > m) m = x[at = i01 + ch];
          if (x[i10 + ch] > m) m = x[at = i10 + ch];
          if (x[i11 + ch] > m) m = x[at = i11 + ch];
          if (mode == 0) {
            out[o + ch] = m;
            continue;
          }
          out[i00 + ch] = out[i01 + ch] = out[i10 + ch] = out[i11 + ch] = 0.0f;
          out[at] = dy[o + ch];
        }
      }
}

/*
 * op 0: out = x · step(y) (a ReLU's gradient, x the gradient and y the ReLU's input: one pass where tfjs runs
 * Step, Cast and Multiply);
 * op 1: out = x + bias along the last axis (cols); op 2: out[cols] = x's rows summed (a bias's gradient).
 */
__attribute__((target("avx2"))) static void rowwise(int op, const float *x, const float *y, float *out, size_t rows, int cols) {
  __m256 zero = _mm256_setzero_ps();
  if (op == 0) {
    size_t len = rows * (size_t)cols, i = 0;
    /* x · step(y), as tfjs computes it: step is 1 above zero, 0 at or below, NaN for NaN (and 0 · ∞ is NaN). */
    __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= len; i += 8) {
      __m256 yv = _mm256_loadu_ps(y + i);
      __m256 step = _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(yv, zero, _CMP_GT_OQ), one), _mm256_and_ps(_mm256_cmp_ps(yv, yv, _CMP_UNORD_Q), yv));
      _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), step));
    }
    for (; i < len; i++) out[i] = x[i] * (y[i] > 0.0f ? 1.0f : y[i] != y[i] ? y[i] : 0.0f);
    return;
  }
  if (op == 2) memset(out, 0, (size_t)cols * sizeof(float));
  for (size_t r = 0; r < rows; r++) {
    const float *src = x + r * cols;
    int c = 0;
    if (op == 1) {
      float *dst = out + r * cols;
      for (; c + 8 <= cols; c += 8) _mm256_storeu_ps(dst + c, _mm256_add_ps(_mm256_loadu_ps(src + c), _mm256_loadu_ps(y + c)));
      for (; c < cols; c++) dst[c] = src[c] + y[c];
    } else {
      for (; c + 8 <= cols; c += 8) _mm256_storeu_ps(out + c, _mm256_add_ps(_mm256_loadu_ps(out + c), _mm256_loadu_ps(src + c)));
      for (; c < cols; c++) out[c] += src[c];
    }
  }
}
#endif

/* ---------------------------------------------------------------- dropout -------------------------------------------------------------- */

/* murmur3's 32-bit finaliser, as src/space/rng.ts has it: the dropout stream's generator. */
static inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static inline __m256i mix32x8(__m256i x) {
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x85ebca6bu));
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 13));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0xc2b2ae35u));
  return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
}

/*
 * A dropout mask of n values (src/trainer/dropout.ts says why and computes the same in JavaScript): element i is
 * `scale` where the top 24 bits of mix32(base + i) fall below `threshold`, else 0; base = mix32(seed ^
 * mix32(counter + 0x9e3779b9)), so each (seed, counter) draws a stream of its own.
 */
__attribute__((target("avx2"))) static void dropout_mask(float *out, size_t n, uint32_t seed, uint32_t counter, uint32_t threshold, float scale) {
  uint32_t base = mix32(seed ^ mix32(counter + 0x9e3779b9u));
  __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), limit = _mm256_set1_epi32((int)threshold);
  __m256 value = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i h = mix32x8(_mm256_add_epi32(_mm256_set1_epi32((int)(base + (uint32_t)i)), lane));
    /* The top 24 bits, below 2^24: a signed compare is exact. */
    __m256i keep = _mm256_cmpgt_epi32(limit, _mm256_srli_epi32(h, 8));
    _mm256_storeu_ps(out + i, _mm256_and_ps(_mm256_castsi256_ps(keep), value));
  }
  for (; i < n; i++) out[i] = (mix32(base + (uint32_t)i) >> 8) < threshold ? scale : 0.0f;
}
#endif

/* ---------------------------------------------------------------- Adam ----------------------------------------------------------------- */

#if defined(__x86_64__)
/*
 * One Adam step over n weights, tfjs' AdamOptimizer's arithmetic in one pass, in the same float32 operations
 * in the same order (no fused multiply-add: this function's target has none), so the results are the same bit
 * for bit as tfjs' and as the wasm kernel's (native/kernels.c):
 *   m' = b1·m + (1−b1)·g;  v' = b2·v + (1−b2)·g²;  w' = w − lr · (m'/c1) / (sqrt(v'/c2) + eps)
 * The new weights go to w_out (the backend caches packed weights by buffer); the moments are updated in place.
 */
__attribute__((target("avx2"))) static void adam_step(const float *w, float *m, float *v, const float *g, float *w_out, size_t n, const float *k) {
  float lr = k[0], b1 = k[1], b2 = k[2], ib1 = k[3], ib2 = k[4], eps = k[5], c1 = k[6], c2 = k[7];
  __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vib1 = _mm256_set1_ps(ib1), vib2 = _mm256_set1_ps(ib2);
  __m256 vlr = _mm256_set1_ps(lr), veps = _mm256_set1_ps(eps), vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 gi = _mm256_loadu_ps(g + i);
    __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(gi, vib1));
    __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2), _mm256_mul_ps(_mm256_mul_ps(gi, gi), vib2));
    __m256 step = _mm256_div_ps(_mm256_div_ps(mi, vc1), _mm256_add_ps(_mm256_sqrt_ps(_mm256_div_ps(vi, vc2)), veps));
    _mm256_storeu_ps(w_out + i, _mm256_sub_ps(_mm256_loadu_ps(w + i), _mm256_mul_ps(step, vlr)));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * ib1;
    float vi = v[i] * b2 + gi * gi * ib2;
    w_out[i] = w[i] - (mi / c1) / (__builtin_sqrtf(vi / c2) + eps) * lr;
    m[i] = mi;
    v[i] = vi;
  }
}
#endif

/* ---------------------------------------------------- SGD, momentum and RMSprop -------------------------------------------------------- */

enum { RULE_SGD = 0, RULE_MOMENTUM = 1, RULE_NESTEROV = 2, RULE_RMSPROP = 3 };

#if defined(__x86_64__)
/*
 * One step of tfjs' SGD, momentum (plain or Nesterov) or RMSprop (not centred) over n weights, each in the
 * float32 operations tfjs' optimizer runs, in its order (no fused multiply-add: this target has none), so the
 * results are the same bit for bit. New weights to w_out; the optimizer's state (s1, s2) updated in place.
 *   sgd:       w' = c·g + w                                              k: c = −lr
 *   momentum:  a' = m·a + g;  w' = c·a' + w   (Nesterov: w' = c·(g + a'·m) + w)   k: c, m;  s1 = a
 *   rmsprop:   r' = r·d + g²·(1−d);  p' = p·μ + g·lr / sqrt(r' + ε);  w' = w − p'   k: lr, d, 1−d, μ, ε;  s1 = r, s2 = p
 */
__attribute__((target("avx2"))) static void update_step(int rule, const float *w, const float *g, float *s1, float *s2, float *w_out, size_t n, const float *k) {
  __m256 k0 = _mm256_set1_ps(k[0]), k1 = _mm256_set1_ps(k[1]), k2 = _mm256_set1_ps(k[2]), k3 = _mm256_set1_ps(k[3]), k4 = _mm256_set1_ps(k[4]);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 gi = _mm256_loadu_ps(g + i), wi = _mm256_loadu_ps(w + i), out;
    if (rule == RULE_SGD) {
      out = _mm256_add_ps(_mm256_mul_ps(k0, gi), wi);
    } else if (rule == RULE_RMSPROP) {
      __m256 r = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(s1 + i), k1), _mm256_mul_ps(_mm256_mul_ps(gi, gi), k2));
      __m256 p = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(s2 + i), k3), _mm256_div_ps(_mm256_mul_ps(gi, k0), _mm256_sqrt_ps(_mm256_add_ps(r, k4))));
      _mm256_storeu_ps(s1 + i, r);
      _mm256_storeu_ps(s2 + i, p);
      out = _mm256_sub_ps(wi, p);
    } else {
      __m256 a = _mm256_add_ps(_mm256_mul_ps(k1, _mm256_loadu_ps(s1 + i)), gi);
      _mm256_storeu_ps(s1 + i, a);
      out = rule == RULE_NESTEROV ? _mm256_add_ps(_mm256_mul_ps(k0, _mm256_add_ps(gi, _mm256_mul_ps(a, k1))), wi) : _mm256_add_ps(_mm256_mul_ps(k0, a), wi);
    }
    _mm256_storeu_ps(w_out + i, out);
  }
  for (; i < n; i++) {
    float gi = g[i], wi = w[i];
    if (rule == RULE_SGD) {
      w_out[i] = k[0] * gi + wi;
    } else if (rule == RULE_RMSPROP) {
      float r = s1[i] * k[1] + (gi * gi) * k[2];
      float p = s2[i] * k[3] + (gi * k[0]) / __builtin_sqrtf(r + k[4]);
      s1[i] = r;
      s2[i] = p;
      w_out[i] = wi - p;
    } else {
      float a = k[1] * s1[i] + gi;
      s1[i] = a;
      w_out[i] = rule == RULE_NESTEROV ? k[0] * (gi + a * k[1]) + wi : k[0] * a + wi;
    }
  }
}
#endif

/* ------------------------------------------------------------- N-API glue ------------------------------------------------------------- */

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/*
 * Reads a call's arguments: the memory (an ArrayBuffer), `count` integers and `fcount` numbers after it. False
 * once it has thrown the JavaScript error that says what was wrong.
 */
static int read_call(napi_env env, napi_callback_info info, const char *name, size_t count, size_t fcount, void **data, size_t *length, int64_t *v, double *f) {
  char message[96];
  napi_value argv[32];
  size_t argc = 32;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != count + fcount + 1) {
    snprintf(message, sizeof message, "%s: expected %zu arguments", name, count + fcount + 1);
    throw_error(env, message);
    return 0;
  }
  if (napi_get_arraybuffer_info(env, argv[0], data, length) != napi_ok) {
    snprintf(message, sizeof message, "%s: the first argument must be an ArrayBuffer", name);
    throw_error(env, message);
    return 0;
  }
  for (size_t i = 0; i < count; i++)
    if (!arg_int(env, argv[i + 1], &v[i])) {
      snprintf(message, sizeof message, "%s: offsets and sizes must be integers", name);
      throw_error(env, message);
      return 0;
    }
  for (size_t i = 0; i < fcount; i++)
    if (napi_get_value_double(env, argv[count + i + 1], &f[i]) != napi_ok) {
      snprintf(message, sizeof message, "%s: the settings must be numbers", name);
      throw_error(env, message);
      return 0;
    }
  return 1;
}

static int read_args(napi_env env, napi_callback_info info, const char *name, size_t count, void **data, size_t *length, int64_t *v) {
  return read_call(env, info, name, count, 0, data, length, v, NULL);
}

/* Whether `count` floats from byte `offset` lie inside a memory of `floats` floats: every read and write a call
   makes is checked so, and a bad offset is an error, never a stray write. */
static int inside(int64_t offset, int64_t count, int64_t floats) {
  return offset >= 0 && offset % 4 == 0 && offset / 4 + count <= floats;
}

/*
 * matmul(memory, a, b, c, bias, batch, m, n, k, transA, transB, activation, strideA, strideB): offsets in bytes
 * into `memory` (an ArrayBuffer), bias −1 for none; batch products with element strides strideA and strideB
 * between the inputs' matrices (0: the same matrix for every product), c densely packed.
 */
static napi_value matmul(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[13];
  if (!read_args(env, info, "matmul", 13, &data, &length, v)) return NULL;
  int64_t ao = v[0], bo = v[1], co = v[2], biaso = v[3], batch = v[4], m = v[5], n = v[6], k = v[7], ta = v[8], tb = v[9], act = v[10], sa = v[11], sb = v[12];
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return throw_error(env, "matmul: bad sizes");
  int64_t fl = (int64_t)length / 4;
  if (!inside(ao, (batch - 1) * sa + m * k, fl) || !inside(bo, (batch - 1) * sb + k * n, fl) || !inside(co, batch * m * n, fl) || (biaso >= 0 && !inside(biaso, n, fl)))
    return throw_error(env, "matmul: a tensor lies outside the memory");
  float *base = (float *)data;
  for (int64_t i = 0; i < batch; i++) {
    if (!gemm(base + ao / 4 + i * sa, base + bo / 4 + i * sb, base + co / 4 + i * m * n, biaso >= 0 ? base + biaso / 4 : NULL, (int)m, (int)n, (int)k, (int)ta, (int)tb,
              (int)act))
      return throw_error(env, "matmul: out of memory, or this CPU lacks AVX2 and FMA");
  }
  return NULL;
}

/*
 * conv2d(memory, mode, x, f, dy, out, bias, activation, dims…): mode 0 forward (x, f → out), 1 filter gradient
 * (x, dy → out), 2 input gradient (dy, f → out); offsets in bytes (−1 for a tensor the mode does not use);
 * dims: n, h, w, cin, oh, ow, cout, fh, fw, sh, sw, dh, dw, top, left.
 */
static napi_value conv2d(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[22];
  if (!read_args(env, info, "conv2d", 22, &data, &length, v)) return NULL;
  int64_t mode = v[0], xo = v[1], fo = v[2], dyo = v[3], oo = v[4], bo = v[5], act = v[6];
  /* n … dilations at least 1, the padding at least 0; every count an int. */
  for (int i = 7; i < 22; i++)
    if (v[i] < (i <= 19 ? 1 : 0) || v[i] > (1 << 24)) return throw_error(env, "conv2d: bad sizes");
  if (v[7] * v[11] * v[12] > INT32_MAX || v[14] * v[15] * v[10] > INT32_MAX) return throw_error(env, "conv2d: bad sizes");
  conv_t s = {NULL, (int)v[7], (int)v[8], (int)v[9], (int)v[10], (int)v[11], (int)v[12], (int)v[13], (int)v[14], (int)v[15], (int)v[16], (int)v[17], (int)v[18], (int)v[19], (int)v[20], (int)v[21]};
  int64_t fl = (int64_t)length / 4;
  int64_t xs = (int64_t)s.n * s.h * s.w * s.cin, fs = (int64_t)s.fh * s.fw * s.cin * s.cout, ys = (int64_t)s.n * s.oh * s.ow * s.cout;
  int64_t os = mode == 0 ? ys : mode == 1 ? fs : xs;
  int bad = mode < 0 || mode > 2 || !inside(oo, os, fl) || (bo >= 0 && (mode != 0 || !inside(bo, s.cout, fl)));
  if (mode != 2) bad |= !inside(xo, xs, fl);
  if (mode != 1) bad |= !inside(fo, fs, fl);
  if (mode != 0) bad |= !inside(dyo, ys, fl);
  if (bad) return throw_error(env, "conv2d: a tensor lies outside the memory");
  float *base = (float *)data;
  s.x = mode == 2 ? NULL : base + xo / 4;
  if (!conv((int)mode, &s, mode == 1 ? NULL : base + fo / 4, mode == 0 ? NULL : base + dyo / 4, base + oo / 4, bo >= 0 ? base + bo / 4 : NULL, (int)act))
    return throw_error(env, "conv2d: out of memory, or this CPU lacks AVX2 and FMA");
  return NULL;
}

/*
 * pool2x2(memory, mode, x, dy, out, n, h, w, c, oh, ow): 2×2, stride 2 max pooling, NHWC; mode 0 forward
 * (x → out), 1 its gradient (x, dy → out, the input's shape); offsets in bytes, dy −1 in mode 0.
 */
static napi_value pool2x2(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[10];
  if (!read_args(env, info, "pool2x2", 10, &data, &length, v)) return NULL;
  int64_t mode = v[0], xo = v[1], dyo = v[2], oo = v[3];
  for (int i = 4; i < 10; i++)
    if (v[i] < 1 || v[i] > (1 << 24)) return throw_error(env, "pool2x2: bad sizes");
  int64_t n = v[4], h = v[5], w = v[6], c = v[7], oh = v[8], ow = v[9];
  if (oh * 2 > h || ow * 2 > w) return throw_error(env, "pool2x2: bad sizes");
  int64_t fl = (int64_t)length / 4, xs = n * h * w * c, ys = n * oh * ow * c;
  int bad = mode < 0 || mode > 1 || !inside(xo, xs, fl) || !inside(oo, mode ? xs : ys, fl);
  if (mode == 1) bad |= !inside(dyo, ys, fl);
  if (bad) return throw_error(env, "pool2x2: a tensor lies outside the memory");
  if (!cpu_ok()) return throw_error(env, "pool2x2: this CPU lacks AVX2 and FMA");
#if defined(__x86_64__)
  float *base = (float *)data;
  pool_2x2((int)mode, base + xo / 4, mode ? base + dyo / 4 : NULL, base + oo / 4, (int)n, (int)h, (int)w, (int)c, (int)oh, (int)ow);
#endif
  return NULL;
}

/*
 * rowwise(memory, op, x, y, out, rows, cols): op 0 out = x · step(y) (x, y, out: rows·cols), 1 out = x + y
 * (y: cols), 2 out = x's rows summed (out: cols, y −1); offsets in bytes.
 */
static napi_value rowwise_op(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[6];
  if (!read_args(env, info, "rowwise", 6, &data, &length, v)) return NULL;
  int64_t op = v[0], xo = v[1], yo = v[2], oo = v[3], rows = v[4], cols = v[5];
  if (rows < 1 || cols < 1 || cols > INT32_MAX || rows > ((int64_t)1 << 40) / cols) return throw_error(env, "rowwise: bad sizes");
  int64_t fl = (int64_t)length / 4, all = rows * cols, ysize = op == 0 ? all : cols, osize = op == 2 ? cols : all;
  int bad = op < 0 || op > 2 || !inside(xo, all, fl) || !inside(oo, osize, fl);
  if (op != 2) bad |= !inside(yo, ysize, fl);
  if (bad) return throw_error(env, "rowwise: a tensor lies outside the memory");
  if (!cpu_ok()) return throw_error(env, "rowwise: this CPU lacks AVX2 and FMA");
#if defined(__x86_64__)
  float *base = (float *)data;
  rowwise((int)op, base + xo / 4, op == 2 ? NULL : base + yo / 4, base + oo / 4, (size_t)rows, (int)cols);
#endif
  return NULL;
}

/*
 * adam(memory, w, m, v, g, wOut, n, lr, beta1, beta2, 1 − beta1, 1 − beta2, epsilon, c1, c2): one Adam step;
 * offsets in bytes; m and v updated in place, the new weights written to wOut (which must not be w).
 */
static napi_value adam_op(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[6];
  double f[8];
  if (!read_call(env, info, "adam", 6, 8, &data, &length, v, f)) return NULL;
  int64_t wo = v[0], mo = v[1], vo = v[2], go = v[3], oo = v[4], n = v[5];
  if (n < 1 || n > ((int64_t)1 << 40)) return throw_error(env, "adam: bad sizes");
  int64_t fl = (int64_t)length / 4;
  int64_t offs[5] = {wo, mo, vo, go, oo};
  for (int i = 0; i < 5; i++)
    if (!inside(offs[i], n, fl)) return throw_error(env, "adam: a tensor lies outside the memory");
  if (!cpu_ok()) return throw_error(env, "adam: this CPU lacks AVX2 and FMA");
#if defined(__x86_64__)
  float k[8];
  for (int i = 0; i < 8; i++) k[i] = (float)f[i];
  float *base = (float *)data;
  adam_step(base + wo / 4, base + mo / 4, base + vo / 4, base + go / 4, base + oo / 4, (size_t)n, k);
#endif
  return NULL;
}

/*
 * update(memory, rule, w, g, s1, s2, wOut, n, k0 … k4): one step of SGD (rule 0), momentum (1), Nesterov
 * momentum (2) or RMSprop (3), as update_step says; offsets in bytes, −1 for state the rule has not.
 */
static napi_value update_op(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[7];
  double f[5];
  if (!read_call(env, info, "update", 7, 5, &data, &length, v, f)) return NULL;
  int64_t rule = v[0], wo = v[1], go = v[2], s1o = v[3], s2o = v[4], oo = v[5], n = v[6];
  if (rule < RULE_SGD || rule > RULE_RMSPROP) return throw_error(env, "update: unknown rule");
  if (n < 1 || n > ((int64_t)1 << 40)) return throw_error(env, "update: bad sizes");
  int64_t fl = (int64_t)length / 4;
  int states = rule == RULE_SGD ? 0 : rule == RULE_RMSPROP ? 2 : 1;
  int64_t offs[5] = {wo, go, oo, s1o, s2o};
  for (int i = 0; i < 3 + states; i++)
    if (!inside(offs[i], n, fl)) return throw_error(env, "update: a tensor lies outside the memory");
  if (!cpu_ok()) return throw_error(env, "update: this CPU lacks AVX2 and FMA");
#if defined(__x86_64__)
  float k[5];
  for (int i = 0; i < 5; i++) k[i] = (float)f[i];
  float *base = (float *)data;
  update_step((int)rule, base + wo / 4, base + go / 4, states > 0 ? base + s1o / 4 : NULL, states > 1 ? base + s2o / 4 : NULL, base + oo / 4, (size_t)n, k);
#endif
  return NULL;
}

/* dropoutMask(memory, out, n, seed, counter, threshold, scale): a dropout mask (dropout_mask above); out in bytes. */
static napi_value dropout_mask_op(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t length = 0;
  int64_t v[5];
  double f[1];
  if (!read_call(env, info, "dropoutMask", 5, 1, &data, &length, v, f)) return NULL;
  int64_t oo = v[0], n = v[1], seed = v[2], counter = v[3], threshold = v[4];
  if (n < 1 || n > ((int64_t)1 << 40) || seed < 0 || seed > UINT32_MAX || counter < 0 || counter > UINT32_MAX || threshold < 0 || threshold > (1 << 24))
    return throw_error(env, "dropoutMask: bad sizes");
  if (!inside(oo, n, (int64_t)length / 4)) return throw_error(env, "dropoutMask: a tensor lies outside the memory");
  if (!cpu_ok()) return throw_error(env, "dropoutMask: this CPU lacks AVX2 and FMA");
#if defined(__x86_64__)
  dropout_mask((float *)data + oo / 4, (size_t)n, (uint32_t)seed, (uint32_t)counter, (uint32_t)threshold, (float)f[0]);
#endif
  return NULL;
}

static napi_value available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_get_boolean(env, cpu_ok(), &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"pool2x2", NULL, pool2x2, NULL, NULL, NULL, napi_default, NULL},
      {"rowwise", NULL, rowwise_op, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, adam_op, NULL, NULL, NULL, napi_default, NULL},
      {"update", NULL, update_op, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutMask", NULL, dropout_mask_op, NULL, NULL, NULL, napi_default, NULL},
      {"available", NULL, available, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
