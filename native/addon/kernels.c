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

/* The NR columns of B (k×n, or n×k when transposed) from column j0 as k rows of NR floats, zero-padded on the right. */
static void pack_b_panel(const float *b, int k, int n, int trans, int j0, float *out) {
  int nr = n - j0 < NR ? n - j0 : NR;
  if (trans) {
    /* Row by row of Bᵀ's stored rows: contiguous reads; the writes land in this small panel, in cache. */
    for (int j = 0; j < NR; j++) {
      const float *src = b + (size_t)(j0 + j) * k;
      for (int p = 0; p < k; p++) out[(size_t)p * NR + j] = j < nr ? src[p] : 0.0f;
    }
    return;
  }
  for (int p = 0; p < k; p++) {
    float *row = out + (size_t)p * NR;
    for (int j = 0; j < nr; j++) row[j] = b[(size_t)p * n + j0 + j];
    for (int j = nr; j < NR; j++) row[j] = 0.0f;
  }
}

/* MR rows of A (m×k, or k×m when transposed) from row i0, packed as k columns of MR, zero-padded below. */
static void pack_a_panel(const float *a, int m, int k, int trans, int i0, float *out) {
  int mr = m - i0 < MR ? m - i0 : MR;
  for (int p = 0; p < k; p++) {
    float *col = out + (size_t)p * MR;
    for (int r = 0; r < mr; r++) col[r] = trans ? a[(size_t)p * m + i0 + r] : a[(size_t)(i0 + r) * k + p];
    for (int r = mr; r < MR; r++) col[r] = 0.0f;
  }
}

#if defined(__x86_64__)
/* C[mr×nr] (row stride ldc) = A panel · B panel (+ bias) (activation); the tile is computed whole in registers. */
__attribute__((target("avx2,fma"))) static void tile_avx2(int k, const float *a, const float *b, size_t ldb, float *c, int ldc, int mr, int nr,
                                                           const float *bias, int act) {
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

/*
 * One matrix product: c (m×n) = op(a) · op(b) (+ bias[n]) (activation). A is packed whole (MR-row panels: small
 * for a layer's batch); B is read in place when it is not transposed (rows of NR floats at stride n), else one
 * NR-column panel at a time. Each B panel is used for every A panel before the next: it is read from memory once.
 */
static int gemm(const float *a, const float *b, float *c, const float *bias, int m, int n, int k, int ta, int tb, int act) {
#if defined(__x86_64__)
  size_t a_panels = (size_t)(m + MR - 1) / MR;
  float *pa = grow(&pack_a, &pack_a_size, a_panels * (size_t)k * MR);
  float *pb = grow(&pack_b, &pack_b_size, (size_t)k * NR);
  if (!pb || !pa) return 0;
  for (size_t ip = 0; ip < a_panels; ip++) pack_a_panel(a, m, k, ta, (int)ip * MR, pa + ip * (size_t)k * MR);
  for (int j0 = 0; j0 < n; j0 += NR) {
    int nr = n - j0 < NR ? n - j0 : NR;
    const float *bp = b + j0;
    size_t ldb = (size_t)n;
    if (tb || nr < NR) {
      pack_b_panel(b, k, n, tb, j0, pb);
      bp = pb;
      ldb = NR;
    }
    for (size_t ip = 0; ip < a_panels; ip++) {
      int i0 = (int)ip * MR;
      int mr = m - i0 < MR ? m - i0 : MR;
      tile_avx2(k, pa + ip * (size_t)k * MR, bp, ldb, c + (size_t)i0 * n + j0, n, mr, nr, bias ? bias + j0 : NULL, act);
    }
  }
  return 1;
#else
  (void)a; (void)b; (void)c; (void)bias; (void)m; (void)n; (void)k; (void)ta; (void)tb; (void)act;
  return 0;
#endif
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
 * matmul(memory, a, b, c, bias, batch, m, n, k, transA, transB, activation, strideA, strideB): offsets in bytes
 * into `memory` (an ArrayBuffer), bias −1 for none; batch products with element strides strideA and strideB
 * between the inputs' matrices (0: the same matrix for every product), c densely packed.
 */
static napi_value matmul(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 14) return throw_error(env, "matmul: expected 14 arguments");
  void *data = NULL;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) return throw_error(env, "matmul: the first argument must be an ArrayBuffer");
  int64_t v[13];
  for (int i = 0; i < 13; i++)
    if (!arg_int(env, argv[i + 1], &v[i])) return throw_error(env, "matmul: offsets and sizes must be integers");
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

static napi_value available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_get_boolean(env, cpu_ok(), &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
      {"available", NULL, available, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
