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

/*
 * Rows k0 … k0+kc of the NR columns of B (k×n, or n×k when transposed) from column j0, as kc rows of NR floats,
 * zero-padded on the right.
 */
static void pack_b_panel(const float *b, int k, int n, int trans, int j0, int k0, int kc, float *out) {
  int nr = n - j0 < NR ? n - j0 : NR;
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
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

/* Packs MR rows of the left operand from row i0, columns k0 … k0+kc, as kc columns of MR (zero-padded below). */
typedef void (*pack_a_fn)(const void *ctx, int i0, int k0, int kc, float *out);

/* Packs rows k0 … k0+kc of the right operand's NR columns from j0 as kc rows of NR floats (zero-padded right). */
typedef void (*pack_b_fn)(const void *ctx, int j0, int k0, int kc, float *out);

/* The slice of k packed at a time: A's panels (for a layer's batch) and a B panel stay in cache while used. */
#define KC 256

/*
 * The product c (m×n, row stride ldc) = A · op(b) (+ bias[n]) (activation), A given by its packer, k in slices
 * of KC (each slice adds to the tile; the bias and activation come with the last). Each slice packs A whole
 * (MR-row panels); B is read in place when it is not transposed (rows of NR floats at stride n), else one
 * NR-column panel at a time. Each B panel is used for every A panel before the next.
 */
static int gemm_core(pack_a_fn pack, const void *actx, pack_b_fn packb, const void *bctx, const float *b, float *c, int ldc, const float *bias, int m, int n, int k, int tb, int act) {
#if defined(__x86_64__)
  size_t a_panels = (size_t)(m + MR - 1) / MR;
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

#if defined(__x86_64__)
/*
 * Few filter taps (the first layer of an image model: 3×3 on one channel): a matrix product would spend its
 * time on nine-long dot products and packing. Directly instead, per pixel, eight output channels to a register.
 */
__attribute__((target("avx2,fma"))) static void conv_direct(const conv_t *s, const float *f, float *y) {
  /* Sixteen output channels (the usual first layer): two named accumulators, kept in registers. */
  for (int b = 0; b < s->n; b++)
    for (int oy = 0; oy < s->oh; oy++)
      for (int ox = 0; ox < s->ow; ox++) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (int ky = 0; ky < s->fh; ky++) {
          int iy = oy * s->sh + ky * s->dh - s->top;
          if (iy < 0 || iy >= s->h) continue;
          const float *xrow = s->x + ((size_t)b * s->h + iy) * s->w * s->cin;
          for (int kx = 0; kx < s->fw; kx++) {
            int ix = ox * s->sw + kx * s->dw - s->left;
            if (ix < 0 || ix >= s->w) continue;
            const float *xp = xrow + (size_t)ix * s->cin;
            const float *wp = f + ((size_t)ky * s->fw + kx) * s->cin * 16;
            for (int c = 0; c < s->cin; c++) {
              __m256 xv = _mm256_broadcast_ss(xp + c);
              a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(wp + (size_t)c * 16), a0);
              a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(wp + (size_t)c * 16 + 8), a1);
            }
          }
        }
        float *out = y + (((size_t)b * s->oh + oy) * s->ow + ox) * 16;
        _mm256_storeu_ps(out, a0);
        _mm256_storeu_ps(out + 8, a1);
      }
}

#endif

/* Where the direct kernel above beats the matrix product: few taps, sixteen output channels. */
static int direct(const conv_t *s) {
  return s->fh * s->fw * s->cin <= 32 && s->cout == 16;
}

static _Thread_local float *cols_buf = NULL;
static _Thread_local size_t cols_size = 0;

/* mode 0: y = conv(x, f) (+ bias) (activation); 1: dW = patches(x)ᵀ · dy; 2: dx = col2im(dy · fᵀ). */
static int conv(int mode, conv_t *s, const float *f, const float *dy, float *out, const float *bias, int act) {
  int pixels = s->n * s->oh * s->ow, K = s->fh * s->fw * s->cin;
#if defined(__x86_64__)
  if (mode == 0 && direct(s) && !bias && act == ACT_LINEAR) {
    conv_direct(s, f, out);
    return 1;
  }
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

/* ------------------------------------------------------------- N-API glue ------------------------------------------------------------- */

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/*
 * Reads a call's arguments: the memory (an ArrayBuffer) and `count` integers after it. False once it has thrown
 * the JavaScript error that says what was wrong.
 */
static int read_args(napi_env env, napi_callback_info info, const char *name, size_t count, void **data, size_t *length, int64_t *v) {
  char message[96];
  napi_value argv[32];
  size_t argc = 32;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != count + 1) {
    snprintf(message, sizeof message, "%s: expected %zu arguments", name, count + 1);
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
  return 1;
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
  /* Every read and write stays inside the memory: a bad offset is an error, never a stray write. */
  int64_t fl = (int64_t)length / 4;
  int64_t a_end = ao / 4 + (batch - 1) * sa + m * k, b_end = bo / 4 + (batch - 1) * sb + k * n, c_end = co / 4 + batch * m * n;
  if (ao < 0 || bo < 0 || co < 0 || (ao | bo | co) % 4 || a_end > fl || b_end > fl || c_end > fl || (biaso >= 0 && (biaso % 4 || biaso / 4 + n > fl)))
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
  /* Every read and write stays inside the memory: a bad offset is an error, never a stray write. */
  int bad = mode < 0 || mode > 2 || oo < 0 || oo % 4 || oo / 4 + os > fl || (bo >= 0 && (mode != 0 || bo % 4 || bo / 4 + s.cout > fl));
  if (mode != 2) bad |= xo < 0 || xo % 4 || xo / 4 + xs > fl;
  if (mode != 1) bad |= fo < 0 || fo % 4 || fo / 4 + fs > fl;
  if (mode != 0) bad |= dyo < 0 || dyo % 4 || dyo / 4 + ys > fl;
  if (bad) return throw_error(env, "conv2d: a tensor lies outside the memory");
  float *base = (float *)data;
  s.x = mode == 2 ? NULL : base + xo / 4;
  if (!conv((int)mode, &s, mode == 1 ? NULL : base + fo / 4, mode == 0 ? NULL : base + dyo / 4, base + oo / 4, bo >= 0 ? base + bo / 4 : NULL, (int)act))
    return throw_error(env, "conv2d: out of memory, or this CPU lacks AVX2 and FMA");
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
      {"available", NULL, available, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
