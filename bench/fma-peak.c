/*
 * The CPU's peak float32 multiply-add rate on one core, with 256-bit (AVX2+FMA) and 512-bit (AVX-512)
 * instructions: independent accumulators, nothing but fused multiply-adds. Where both peaks are equal (AMD's
 * Zen 4 runs a 512-bit instruction as two 256-bit halves), AVX-512 kernels cannot compute faster than the
 * addon's AVX2 ones, which reach a share of this peak (`npm run bench:fma-peak`; x86-64 with gcc or clang).
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Twelve accumulators: enough independent chains to cover the FMA latency on both pipes. */
__attribute__((target("avx2,fma"))) static float peak256(long n) {
  __m256 a[12], b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long k = 0; k < n; k++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx512f"))) static float peak512(long n) {
  __m512 a[24], b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 24; i++) a[i] = _mm512_set1_ps((float)i);
  for (long k = 0; k < n; k++) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}

int main(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    printf("this CPU lacks AVX2 and FMA\n");
    return 0;
  }
  int wide = __builtin_cpu_supports("avx512f");
  const long n = 50000000;
  for (int round = 1; round <= 3; round++) {
    double t = now();
    float x = peak256(n);
    double g256 = 12.0 * 8 * 2 * n / (now() - t) / 1e9;
    if (!wide) {
      printf("round %d: AVX2+FMA %.1f GFLOP/s (no AVX-512 here) [%g]\n", round, g256, x);
      continue;
    }
    t = now();
    float z = peak512(n / 2);
    double g512 = 24.0 * 16 * 2 * (n / 2) / (now() - t) / 1e9;
    printf("round %d: AVX2+FMA %.1f GFLOP/s, AVX-512 %.1f GFLOP/s, ratio %.3f [%g %g]\n", round, g256, g512, g512 / g256, x, z);
  }
  return 0;
}
