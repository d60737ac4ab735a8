// models/fused_ops.cpp — the fused training kernels of fused_ops.h: row-parallel (at::parallel_for), float
// rows in AVX2+FMA intrinsics (functions compiled for that target and picked at run time), a scalar template
// for double and for CPUs without AVX2. Dropout bits are a counter hash, regenerated in backward.
#include "models/fused_ops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

namespace bertforge::models::fused {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Dropout bits: two rounds of a 32-bit avalanche mix over (index + seed_lo) ^ seed_hi. The mix is a
// bijection, so distinct indices of one call give distinct hashes; keep iff hash < threshold.

inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

struct Bits {
  uint32_t s0 = 0, s1 = 0, threshold = 0;
  bool on = false;
  Bits(double p, uint64_t seed)
      : s0(static_cast<uint32_t>(seed)),
        s1(static_cast<uint32_t>(seed >> 32)),
        threshold(keep_threshold(p)),
        on(p > 0) {}
  bool keep(uint32_t i) const { return mix32(mix32(i + s0) ^ s1) < threshold; }
};

bool cpu_avx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

int64_t grain_rows(int64_t width) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width));
}

void check_index_range(const Tensor& t) {
  TORCH_CHECK(t.numel() < (int64_t{1} << 32),
              "fused dropout kernels index elements with 32 bits; tensor has ", t.numel());
}

// ---------------------------------------------------------------------------------------------------------
// AVX2 helpers (float).

#define BF_AVX2 __attribute__((target("avx2,fma")))

BF_AVX2 inline __m256i mix8(__m256i x) {
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
  x = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<int>(0x846ca68bU)));
  x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
  return x;
}

// scale where element base..base+7 is kept, 0 where dropped.
BF_AVX2 inline __m256 keep_scale8(const Bits& bits, uint32_t base, __m256 scale) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(base)), lane);
  __m256i h = mix8(_mm256_xor_si256(mix8(_mm256_add_epi32(idx, _mm256_set1_epi32(static_cast<int>(bits.s0)))),
                                    _mm256_set1_epi32(static_cast<int>(bits.s1))));
  const __m256i flip = _mm256_set1_epi32(static_cast<int>(0x80000000U));
  __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(bits.threshold ^ 0x80000000U)),
                                    _mm256_xor_si256(h, flip));
  return _mm256_and_ps(_mm256_castsi256_ps(keep), scale);
}

BF_AVX2 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

BF_AVX2 inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// exp for float lanes (Cephes polynomial, ~1 ulp); below -87.3 the result is exactly 0, like expf's underflow
// of the large negative attention-mask values.
BF_AVX2 inline __m256 exp8(__m256 x) {
  const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365447504f), _CMP_LT_OQ);
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365447504f));
  __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), x);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(n));
  return _mm256_andnot_ps(under, y);
}

template <typename T>
inline T keep_scale(const Bits& bits, uint32_t index, T scale) {
  return bits.keep(index) ? scale : T(0);
}

// ---------------------------------------------------------------------------------------------------------
// dropout + residual + LayerNorm, rows [r0, r1) of width H.

template <typename T>
void ln_forward_rows(const T* x, const T* res, const T* w, const T* b, T* y, T* xhat, T* rstd, int64_t r0,
                     int64_t r1, int64_t H, double eps, const Bits& bits, T scale) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * H;
    const T* rr = res + r * H;
    T* yr = y + r * H;
    T* hr = xhat + r * H;
    const uint32_t base = static_cast<uint32_t>(r * H);
    T sum = 0;
    for (int64_t j = 0; j < H; ++j) {
      T v = bits.on ? xr[j] * keep_scale(bits, base + static_cast<uint32_t>(j), scale) : xr[j];
      yr[j] = v + rr[j];
      sum += yr[j];
    }
    const T mean = sum / static_cast<T>(H);
    T var = 0;
    for (int64_t j = 0; j < H; ++j) var += (yr[j] - mean) * (yr[j] - mean);
    const T rs = T(1) / std::sqrt(var / static_cast<T>(H) + static_cast<T>(eps));
    for (int64_t j = 0; j < H; ++j) {
      hr[j] = (yr[j] - mean) * rs;
      yr[j] = hr[j] * w[j] + b[j];
    }
    rstd[r] = rs;
  }
}

BF_AVX2 void ln_forward_rows_avx2(const float* x, const float* res, const float* w, const float* b, float* y,
                                  float* xhat, float* rstd, int64_t r0, int64_t r1, int64_t H, double eps,
                                  const Bits& bits, float scale) {
  const __m256 vscale = _mm256_set1_ps(scale);
  const int64_t H8 = H - H % 8;
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * H;
    const float* rr = res + r * H;
    float* yr = y + r * H;
    float* hr = xhat + r * H;
    const uint32_t base = static_cast<uint32_t>(r * H);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < H8; j += 8) {
      __m256 v = _mm256_loadu_ps(xr + j);
      if (bits.on) v = _mm256_mul_ps(v, keep_scale8(bits, base + static_cast<uint32_t>(j), vscale));
      v = _mm256_add_ps(v, _mm256_loadu_ps(rr + j));
      _mm256_storeu_ps(yr + j, v);
      acc = _mm256_add_ps(acc, v);
    }
    float sum = hsum8(acc);
    for (int64_t j = H8; j < H; ++j) {
      float v = bits.on ? xr[j] * keep_scale(bits, base + static_cast<uint32_t>(j), scale) : xr[j];
      yr[j] = v + rr[j];
      sum += yr[j];
    }
    const float mean = sum / static_cast<float>(H);
    const __m256 vmean = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < H8; j += 8) {
      __m256 d = _mm256_sub_ps(_mm256_loadu_ps(yr + j), vmean);
      acc = _mm256_fmadd_ps(d, d, acc);
    }
    float var = hsum8(acc);
    for (int64_t j = H8; j < H; ++j) var += (yr[j] - mean) * (yr[j] - mean);
    const float rs = 1.0f / std::sqrt(var / static_cast<float>(H) + static_cast<float>(eps));
    const __m256 vrs = _mm256_set1_ps(rs);
    for (int64_t j = 0; j < H8; j += 8) {
      __m256 h = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(yr + j), vmean), vrs);
      _mm256_storeu_ps(hr + j, h);
      _mm256_storeu_ps(yr + j, _mm256_fmadd_ps(h, _mm256_loadu_ps(w + j), _mm256_loadu_ps(b + j)));
    }
    for (int64_t j = H8; j < H; ++j) {
      hr[j] = (yr[j] - mean) * rs;
      yr[j] = hr[j] * w[j] + b[j];
    }
    rstd[r] = rs;
  }
}

// dgamma/dbeta accumulate into this thread's `acc` (2H: dgamma then dbeta).
template <typename T>
void ln_backward_rows(const T* gy, const T* xhat, const T* rstd, const T* w, T* dx, T* dres, T* acc,
                      int64_t r0, int64_t r1, int64_t H, const Bits& bits, T scale) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* g = gy + r * H;
    const T* h = xhat + r * H;
    T a = 0, bsum = 0;
    for (int64_t j = 0; j < H; ++j) {
      const T gw = g[j] * w[j];
      a += gw;
      bsum += gw * h[j];
      acc[j] += g[j] * h[j];
      acc[H + j] += g[j];
    }
    const T am = a / static_cast<T>(H), bm = bsum / static_cast<T>(H), rs = rstd[r];
    const uint32_t base = static_cast<uint32_t>(r * H);
    for (int64_t j = 0; j < H; ++j) {
      const T dz = rs * (g[j] * w[j] - am - h[j] * bm);
      dres[r * H + j] = dz;
      dx[r * H + j] = bits.on ? dz * keep_scale(bits, base + static_cast<uint32_t>(j), scale) : dz;
    }
  }
}

BF_AVX2 void ln_backward_rows_avx2(const float* gy, const float* xhat, const float* rstd, const float* w,
                                   float* dx, float* dres, float* acc, int64_t r0, int64_t r1, int64_t H,
                                   const Bits& bits, float scale) {
  const __m256 vscale = _mm256_set1_ps(scale);
  const int64_t H8 = H - H % 8;
  for (int64_t r = r0; r < r1; ++r) {
    const float* g = gy + r * H;
    const float* h = xhat + r * H;
    __m256 va = _mm256_setzero_ps(), vb = _mm256_setzero_ps();
    for (int64_t j = 0; j < H8; j += 8) {
      __m256 gv = _mm256_loadu_ps(g + j), hv = _mm256_loadu_ps(h + j);
      __m256 gw = _mm256_mul_ps(gv, _mm256_loadu_ps(w + j));
      va = _mm256_add_ps(va, gw);
      vb = _mm256_fmadd_ps(gw, hv, vb);
      _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(gv, hv, _mm256_loadu_ps(acc + j)));
      _mm256_storeu_ps(acc + H + j, _mm256_add_ps(gv, _mm256_loadu_ps(acc + H + j)));
    }
    float a = hsum8(va), bsum = hsum8(vb);
    for (int64_t j = H8; j < H; ++j) {
      const float gw = g[j] * w[j];
      a += gw;
      bsum += gw * h[j];
      acc[j] += g[j] * h[j];
      acc[H + j] += g[j];
    }
    const float am = a / static_cast<float>(H), bm = bsum / static_cast<float>(H), rs = rstd[r];
    const __m256 vam = _mm256_set1_ps(am), vbm = _mm256_set1_ps(bm), vrs = _mm256_set1_ps(rs);
    const uint32_t base = static_cast<uint32_t>(r * H);
    float* dxr = dx + r * H;
    float* drr = dres + r * H;
    for (int64_t j = 0; j < H8; j += 8) {
      __m256 gw = _mm256_mul_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(w + j));
      __m256 dz = _mm256_mul_ps(
          vrs, _mm256_sub_ps(_mm256_sub_ps(gw, vam), _mm256_mul_ps(_mm256_loadu_ps(h + j), vbm)));
      _mm256_storeu_ps(drr + j, dz);
      if (bits.on) dz = _mm256_mul_ps(dz, keep_scale8(bits, base + static_cast<uint32_t>(j), vscale));
      _mm256_storeu_ps(dxr + j, dz);
    }
    for (int64_t j = H8; j < H; ++j) {
      const float dz = rs * (g[j] * w[j] - am - h[j] * bm);
      drr[j] = dz;
      dxr[j] = bits.on ? dz * keep_scale(bits, base + static_cast<uint32_t>(j), scale) : dz;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Attention softmax: rows of length T; row r belongs to batch r / rows_per_batch (mask row).

template <typename T>
void softmax_forward_rows(const T* s, const T* mask, T* probs, T* out, int64_t r0, int64_t r1, int64_t L,
                          int64_t rows_per_batch, T divisor, const Bits& bits, T scale) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* sr = s + r * L;
    const T* m = mask ? mask + (r / rows_per_batch) * L : nullptr;
    T* pr = probs + r * L;
    T mx = -std::numeric_limits<T>::infinity();
    for (int64_t j = 0; j < L; ++j) {
      T v = sr[j] / divisor;
      if (m) v += m[j];
      pr[j] = v;
      mx = std::max(mx, v);
    }
    T sum = 0;
    for (int64_t j = 0; j < L; ++j) {
      pr[j] = std::exp(pr[j] - mx);
      sum += pr[j];
    }
    const T inv = T(1) / sum;
    const uint32_t base = static_cast<uint32_t>(r * L);
    for (int64_t j = 0; j < L; ++j) {
      pr[j] *= inv;
      if (bits.on) out[r * L + j] = pr[j] * keep_scale(bits, base + static_cast<uint32_t>(j), scale);
    }
  }
}

BF_AVX2 void softmax_forward_rows_avx2(const float* s, const float* mask, float* probs, float* out,
                                       int64_t r0, int64_t r1, int64_t L, int64_t rows_per_batch,
                                       float divisor, const Bits& bits, float scale) {
  const __m256 vdiv = _mm256_set1_ps(divisor), vscale = _mm256_set1_ps(scale);
  const int64_t L8 = L - L % 8;
  for (int64_t r = r0; r < r1; ++r) {
    const float* sr = s + r * L;
    const float* m = mask ? mask + (r / rows_per_batch) * L : nullptr;
    float* pr = probs + r * L;
    __m256 vmx = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < L8; j += 8) {
      __m256 v = _mm256_div_ps(_mm256_loadu_ps(sr + j), vdiv);
      if (m) v = _mm256_add_ps(v, _mm256_loadu_ps(m + j));
      _mm256_storeu_ps(pr + j, v);
      vmx = _mm256_max_ps(vmx, v);
    }
    float mx = hmax8(vmx);
    for (int64_t j = L8; j < L; ++j) {
      float v = sr[j] / divisor;
      if (m) v += m[j];
      pr[j] = v;
      mx = std::max(mx, v);
    }
    const __m256 vm = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < L8; j += 8) {
      __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(pr + j), vm));
      _mm256_storeu_ps(pr + j, e);
      acc = _mm256_add_ps(acc, e);
    }
    float sum = hsum8(acc);
    for (int64_t j = L8; j < L; ++j) {
      pr[j] = std::exp(pr[j] - mx);
      sum += pr[j];
    }
    const float inv = 1.0f / sum;
    const __m256 vinv = _mm256_set1_ps(inv);
    const uint32_t base = static_cast<uint32_t>(r * L);
    float* orow = out + r * L;
    for (int64_t j = 0; j < L8; j += 8) {
      __m256 p = _mm256_mul_ps(_mm256_loadu_ps(pr + j), vinv);
      _mm256_storeu_ps(pr + j, p);
      if (bits.on)
        _mm256_storeu_ps(orow + j,
                         _mm256_mul_ps(p, keep_scale8(bits, base + static_cast<uint32_t>(j), vscale)));
    }
    for (int64_t j = L8; j < L; ++j) {
      pr[j] *= inv;
      if (bits.on) orow[j] = pr[j] * keep_scale(bits, base + static_cast<uint32_t>(j), scale);
    }
  }
}

template <typename T>
void softmax_backward_rows(const T* g, const T* probs, T* ds, int64_t r0, int64_t r1, int64_t L, T divisor,
                           const Bits& bits, T scale) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* gr = g + r * L;
    const T* pr = probs + r * L;
    T* dr = ds + r * L;
    const uint32_t base = static_cast<uint32_t>(r * L);
    T dot = 0;
    for (int64_t j = 0; j < L; ++j) {
      const T dp = bits.on ? gr[j] * keep_scale(bits, base + static_cast<uint32_t>(j), scale) : gr[j];
      dr[j] = dp;
      dot += dp * pr[j];
    }
    for (int64_t j = 0; j < L; ++j) dr[j] = pr[j] * (dr[j] - dot) / divisor;
  }
}

BF_AVX2 void softmax_backward_rows_avx2(const float* g, const float* probs, float* ds, int64_t r0, int64_t r1,
                                        int64_t L, float divisor, const Bits& bits, float scale) {
  const __m256 vscale = _mm256_set1_ps(scale), vdiv = _mm256_set1_ps(divisor);
  const int64_t L8 = L - L % 8;
  for (int64_t r = r0; r < r1; ++r) {
    const float* gr = g + r * L;
    const float* pr = probs + r * L;
    float* dr = ds + r * L;
    const uint32_t base = static_cast<uint32_t>(r * L);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < L8; j += 8) {
      __m256 dp = _mm256_loadu_ps(gr + j);
      if (bits.on) dp = _mm256_mul_ps(dp, keep_scale8(bits, base + static_cast<uint32_t>(j), vscale));
      _mm256_storeu_ps(dr + j, dp);
      acc = _mm256_fmadd_ps(dp, _mm256_loadu_ps(pr + j), acc);
    }
    float dot = hsum8(acc);
    for (int64_t j = L8; j < L; ++j) {
      const float dp = bits.on ? gr[j] * keep_scale(bits, base + static_cast<uint32_t>(j), scale) : gr[j];
      dr[j] = dp;
      dot += dp * pr[j];
    }
    const __m256 vdot = _mm256_set1_ps(dot);
    for (int64_t j = 0; j < L8; j += 8) {
      __m256 d = _mm256_mul_ps(_mm256_loadu_ps(pr + j), _mm256_sub_ps(_mm256_loadu_ps(dr + j), vdot));
      _mm256_storeu_ps(dr + j, _mm256_div_ps(d, vdiv));
    }
    for (int64_t j = L8; j < L; ++j) dr[j] = pr[j] * (dr[j] - dot) / divisor;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Plain dropout over a flat range.

template <typename T>
void dropout_range(const T* x, T* y, int64_t i0, int64_t i1, const Bits& bits, T scale) {
  for (int64_t i = i0; i < i1; ++i) y[i] = x[i] * keep_scale(bits, static_cast<uint32_t>(i), scale);
}

BF_AVX2 void dropout_range_avx2(const float* x, float* y, int64_t i0, int64_t i1, const Bits& bits,
                                float scale) {
  const __m256 vscale = _mm256_set1_ps(scale);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8)
    _mm256_storeu_ps(
        y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), keep_scale8(bits, static_cast<uint32_t>(i), vscale)));
  for (; i < i1; ++i) y[i] = x[i] * keep_scale(bits, static_cast<uint32_t>(i), scale);
}

// Kernel choice: the AVX2 version for float rows when the CPU has it, the scalar template otherwise.
template <typename T>
void run_dropout_range(const T* x, T* y, int64_t i0, int64_t i1, const Bits& bits, T scale) {
  dropout_range<T>(x, y, i0, i1, bits, scale);
}
inline void run_dropout_range(const float* x, float* y, int64_t i0, int64_t i1, const Bits& bits,
                              float scale) {
  if (cpu_avx2())
    dropout_range_avx2(x, y, i0, i1, bits, scale);
  else
    dropout_range<float>(x, y, i0, i1, bits, scale);
}
template <typename T>
void run_ln_forward_rows(const T* x, const T* res, const T* w, const T* b, T* y, T* xhat, T* rstd, int64_t r0,
                         int64_t r1, int64_t H, double eps, const Bits& bits, T scale) {
  ln_forward_rows<T>(x, res, w, b, y, xhat, rstd, r0, r1, H, eps, bits, scale);
}
inline void run_ln_forward_rows(const float* x, const float* res, const float* w, const float* b, float* y,
                                float* xhat, float* rstd, int64_t r0, int64_t r1, int64_t H, double eps,
                                const Bits& bits, float scale) {
  if (cpu_avx2())
    ln_forward_rows_avx2(x, res, w, b, y, xhat, rstd, r0, r1, H, eps, bits, scale);
  else
    ln_forward_rows<float>(x, res, w, b, y, xhat, rstd, r0, r1, H, eps, bits, scale);
}
template <typename T>
void run_ln_backward_rows(const T* gy, const T* xhat, const T* rstd, const T* w, T* dx, T* dres, T* acc,
                          int64_t r0, int64_t r1, int64_t H, const Bits& bits, T scale) {
  ln_backward_rows<T>(gy, xhat, rstd, w, dx, dres, acc, r0, r1, H, bits, scale);
}
inline void run_ln_backward_rows(const float* gy, const float* xhat, const float* rstd, const float* w,
                                 float* dx, float* dres, float* acc, int64_t r0, int64_t r1, int64_t H,
                                 const Bits& bits, float scale) {
  if (cpu_avx2())
    ln_backward_rows_avx2(gy, xhat, rstd, w, dx, dres, acc, r0, r1, H, bits, scale);
  else
    ln_backward_rows<float>(gy, xhat, rstd, w, dx, dres, acc, r0, r1, H, bits, scale);
}
template <typename T>
void run_softmax_forward_rows(const T* s, const T* mask, T* probs, T* out, int64_t r0, int64_t r1, int64_t L,
                              int64_t rows_per_batch, T divisor, const Bits& bits, T scale) {
  softmax_forward_rows<T>(s, mask, probs, out, r0, r1, L, rows_per_batch, divisor, bits, scale);
}
inline void run_softmax_forward_rows(const float* s, const float* mask, float* probs, float* out, int64_t r0,
                                     int64_t r1, int64_t L, int64_t rows_per_batch, float divisor,
                                     const Bits& bits, float scale) {
  if (cpu_avx2())
    softmax_forward_rows_avx2(s, mask, probs, out, r0, r1, L, rows_per_batch, divisor, bits, scale);
  else
    softmax_forward_rows<float>(s, mask, probs, out, r0, r1, L, rows_per_batch, divisor, bits, scale);
}
template <typename T>
void run_softmax_backward_rows(const T* g, const T* probs, T* ds, int64_t r0, int64_t r1, int64_t L,
                               T divisor, const Bits& bits, T scale) {
  softmax_backward_rows<T>(g, probs, ds, r0, r1, L, divisor, bits, scale);
}
inline void run_softmax_backward_rows(const float* g, const float* probs, float* ds, int64_t r0, int64_t r1,
                                      int64_t L, float divisor, const Bits& bits, float scale) {
  if (cpu_avx2())
    softmax_backward_rows_avx2(g, probs, ds, r0, r1, L, divisor, bits, scale);
  else
    softmax_backward_rows<float>(g, probs, ds, r0, r1, L, divisor, bits, scale);
}

template <typename T>
T scale_of(double p) {
  return p > 0 ? static_cast<T>(1.0 / (1.0 - p)) : T(1);
}

void dropout_apply(const Tensor& x, Tensor& y, double p, uint64_t seed) {
  const Bits bits(p, seed);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fused_dropout", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* yp = y.data_ptr<scalar_t>();
    const scalar_t scale = scale_of<scalar_t>(p);
    at::parallel_for(0, x.numel(), 32768,
                     [&](int64_t i0, int64_t i1) { run_dropout_range(xp, yp, i0, i1, bits, scale); });
  });
}

int64_t seed_bits(uint64_t seed) {
  int64_t s;
  std::memcpy(&s, &seed, sizeof s);
  return s;
}
uint64_t seed_of(const c10::IValue& v) {
  int64_t s = v.toInt();
  uint64_t u;
  std::memcpy(&u, &s, sizeof u);
  return u;
}

// ---------------------------------------------------------------------------------------------------------
// Autograd functions.

struct DropoutFn : torch::autograd::Function<DropoutFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, double p, int64_t seed) {
    auto xc = x.contiguous();
    check_index_range(xc);
    auto y = at::empty_like(xc);
    dropout_apply(xc, y, p, seed_of(seed));
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto g = grads[0].contiguous();
    auto dx = at::empty_like(g);
    dropout_apply(g, dx, ctx->saved_data["p"].toDouble(), seed_of(ctx->saved_data["seed"]));
    return {dx, Tensor(), Tensor()};
  }
};

struct DropoutAddLayerNormFn : torch::autograd::Function<DropoutAddLayerNormFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& residual, const Tensor& weight,
                        const Tensor& bias, double eps, double p, int64_t seed) {
    auto xc = x.contiguous(), rc = residual.contiguous(), wc = weight.contiguous(), bc = bias.contiguous();
    const int64_t H = xc.size(-1), rows = xc.numel() / H;
    check_index_range(xc);
    auto y = at::empty_like(xc), xhat = at::empty_like(xc);
    auto rstd = at::empty({rows}, xc.options());
    const Bits bits(p, seed_of(seed));
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "fused_dropout_add_layer_norm", [&] {
      const scalar_t scale = scale_of<scalar_t>(p);
      auto* xp = xc.data_ptr<scalar_t>();
      auto* rp = rc.data_ptr<scalar_t>();
      auto* wp = wc.data_ptr<scalar_t>();
      auto* bp = bc.data_ptr<scalar_t>();
      auto* yp = y.data_ptr<scalar_t>();
      auto* hp = xhat.data_ptr<scalar_t>();
      auto* sp = rstd.data_ptr<scalar_t>();
      at::parallel_for(0, rows, grain_rows(H), [&](int64_t r0, int64_t r1) {
        run_ln_forward_rows(xp, rp, wp, bp, yp, hp, sp, r0, r1, H, eps, bits, scale);
      });
    });
    ctx->save_for_backward({xhat, rstd, wc});
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto &xhat = saved[0], &rstd = saved[1], &w = saved[2];
    auto g = grads[0].contiguous();
    const int64_t H = xhat.size(-1), rows = xhat.numel() / H;
    const double p = ctx->saved_data["p"].toDouble();
    const Bits bits(p, seed_of(ctx->saved_data["seed"]));
    auto dx = at::empty_like(xhat), dres = at::empty_like(xhat);
    const int threads = at::get_num_threads();
    auto acc = at::zeros({threads, 2 * H}, xhat.options());
    AT_DISPATCH_FLOATING_TYPES(xhat.scalar_type(), "fused_dropout_add_layer_norm_backward", [&] {
      const scalar_t scale = scale_of<scalar_t>(p);
      auto* gp = g.data_ptr<scalar_t>();
      auto* hp = xhat.data_ptr<scalar_t>();
      auto* sp = rstd.data_ptr<scalar_t>();
      auto* wp = w.data_ptr<scalar_t>();
      auto* dxp = dx.data_ptr<scalar_t>();
      auto* drp = dres.data_ptr<scalar_t>();
      auto* ap = acc.data_ptr<scalar_t>();
      at::parallel_for(0, rows, grain_rows(H), [&](int64_t r0, int64_t r1) {
        scalar_t* mine = ap + static_cast<int64_t>(at::get_thread_num()) * 2 * H;
        run_ln_backward_rows(gp, hp, sp, wp, dxp, drp, mine, r0, r1, H, bits, scale);
      });
    });
    auto sums = acc.sum(0);
    return {dx, dres, sums.narrow(0, 0, H), sums.narrow(0, H, H), Tensor(), Tensor(), Tensor()};
  }
};

struct AttentionSoftmaxDropoutFn : torch::autograd::Function<AttentionSoftmaxDropoutFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& scores, const Tensor& mask, double divisor,
                        double p, int64_t seed) {
    auto sc = scores.contiguous();
    TORCH_CHECK(sc.dim() == 4, "attention_softmax_dropout: scores must be (B, heads, Tq, Tk)");
    check_index_range(sc);
    const int64_t L = sc.size(3), rows = sc.numel() / L, rows_per_batch = sc.size(1) * sc.size(2);
    Tensor mc;
    if (mask.defined() && mask.numel() > 0) {
      mc = mask.to(sc.scalar_type()).contiguous();
      TORCH_CHECK(mc.numel() == sc.size(0) * L, "attention_softmax_dropout: mask must be (B, Tk)");
    }
    const Bits bits(p, seed_of(seed));
    auto probs = at::empty_like(sc);
    auto out = bits.on ? at::empty_like(sc) : probs;
    AT_DISPATCH_FLOATING_TYPES(sc.scalar_type(), "fused_attention_softmax_dropout", [&] {
      const scalar_t scale = scale_of<scalar_t>(p), div = static_cast<scalar_t>(divisor);
      auto* spt = sc.data_ptr<scalar_t>();
      const scalar_t* mp = mc.defined() ? mc.data_ptr<scalar_t>() : nullptr;
      auto* pp = probs.data_ptr<scalar_t>();
      auto* op = out.data_ptr<scalar_t>();
      at::parallel_for(0, rows, grain_rows(L), [&](int64_t r0, int64_t r1) {
        run_softmax_forward_rows(spt, mp, pp, op, r0, r1, L, rows_per_batch, div, bits, scale);
      });
    });
    ctx->save_for_backward({probs});
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["divisor"] = divisor;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto probs = ctx->get_saved_variables()[0];
    auto g = grads[0].contiguous();
    const int64_t L = probs.size(3), rows = probs.numel() / L;
    const double p = ctx->saved_data["p"].toDouble();
    const double divisor = ctx->saved_data["divisor"].toDouble();
    const Bits bits(p, seed_of(ctx->saved_data["seed"]));
    auto ds = at::empty_like(probs);
    AT_DISPATCH_FLOATING_TYPES(probs.scalar_type(), "fused_attention_softmax_dropout_backward", [&] {
      const scalar_t scale = scale_of<scalar_t>(p), div = static_cast<scalar_t>(divisor);
      auto* gp = g.data_ptr<scalar_t>();
      auto* pp = probs.data_ptr<scalar_t>();
      auto* dp = ds.data_ptr<scalar_t>();
      at::parallel_for(0, rows, grain_rows(L), [&](int64_t r0, int64_t r1) {
        run_softmax_backward_rows(gp, pp, dp, r0, r1, L, div, bits, scale);
      });
    });
    return {ds, Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

}  // namespace

uint32_t keep_threshold(double p) {
  const double t = std::ldexp(1.0 - p, 32);
  if (t >= 4294967295.0) return 0xFFFFFFFFU;
  if (t <= 0) return 0;
  return static_cast<uint32_t>(std::llround(t));
}

uint32_t dropout_hash(uint64_t seed, uint64_t index) {
  return mix32(mix32(static_cast<uint32_t>(index) + static_cast<uint32_t>(seed)) ^
               static_cast<uint32_t>(seed >> 32));
}

Tensor keep_mask(at::IntArrayRef sizes, double p, uint64_t seed) {
  auto m = at::empty(sizes, at::kFloat);
  const Bits bits(p, seed);
  float* mp = m.data_ptr<float>();
  for (int64_t i = 0; i < m.numel(); ++i)
    mp[i] = !bits.on || bits.keep(static_cast<uint32_t>(i)) ? 1.0f : 0.0f;
  return m;
}

uint64_t draw_seed() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

bool using_avx2() {
  return cpu_avx2();
}

namespace {
std::atomic<bool>& enabled_flag() {
  static std::atomic<bool> flag([] {
    const char* env = std::getenv("BERTFORGE_FUSED");
    return !(env && std::string(env) == "0");
  }());
  return flag;
}
}  // namespace

bool enabled() {
  return enabled_flag().load(std::memory_order_relaxed);
}

void set_enabled(bool on) {
  enabled_flag().store(on);
}

Tensor dropout(const Tensor& x, double p, uint64_t seed) {
  if (p <= 0) return x;
  return DropoutFn::apply(x, p, seed_bits(seed));
}

Tensor dropout_add_layer_norm(const Tensor& x, const Tensor& residual, const Tensor& weight,
                              const Tensor& bias, double eps, double p, uint64_t seed) {
  TORCH_CHECK(x.sizes() == residual.sizes(), "dropout_add_layer_norm: x and residual differ in shape");
  TORCH_CHECK(x.scalar_type() == residual.scalar_type() && x.scalar_type() == weight.scalar_type(),
              "dropout_add_layer_norm: dtypes differ");
  return DropoutAddLayerNormFn::apply(x, residual, weight, bias, eps, p, seed_bits(seed));
}

Tensor attention_softmax_dropout(const Tensor& scores, const Tensor& additive_mask, double divisor, double p,
                                 uint64_t seed) {
  // Custom autograd functions take no undefined tensors: "no mask" travels as an empty one.
  const Tensor mask = additive_mask.defined() ? additive_mask : at::empty({0}, scores.options());
  return AttentionSoftmaxDropoutFn::apply(scores, mask, divisor, p, seed_bits(seed));
}

}  // namespace bertforge::models::fused
