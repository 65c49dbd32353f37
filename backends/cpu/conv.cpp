// CPU kernels of convolution: im2col, which lays every window of the input
// out as a column so that a convolution becomes one matrix product, and its
// adjoint col2im, which folds columns back into an input-shaped gradient.
//
// Row r = (c * kh + i) * kw + j of sample n's block of col holds input
// channel c at kernel offset (i, j) for every output position; windows that
// hang over the padding read zeros (the index mapping, shared with the CUDA
// kernels, is backends/conv_window.h). Both kernels run over (sample, channel)
// pairs in parallel: each pair owns its rows of col and its input plane, so
// no two threads write the same memory.
#include <algorithm>
#include <cstring>

#include "backends/conv_window.h"
#include "backends/cpu/cpu_backend.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// Work per (sample, channel) pair: parallelise when enough pairs add up to a grain.
int64_t pair_grain(const ConvGeometry& g) {
  const int64_t work = g.kernel_h * g.kernel_w * g.out_height * g.out_width;
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work, 1));
}

// Note [Same-pitch im2col]
// With unit strides and as many output as input columns (a 'same'-style
// convolution over contiguous rows), an output row and its input row have the
// same pitch, so one (c, i, j) block of col is the input plane shifted by a
// constant: one memcpy for all in-bounds rows, then zeros written over the
// few entries per row that wrapped around from a neighbouring row. Short rows
// (a 14-wide plane) would otherwise cost one memcpy call each.
template <typename T>
void same_pitch_block(T* rows, const T* plane, const ConvGeometry& g, int64_t i, int64_t j) {
  const int64_t H = g.height, W = g.width, OH = g.out_height;
  const int64_t row_shift = i * g.dilation_h - g.pad_h, off = j * g.dilation_w - g.pad_w;
  // Output rows whose input row oh + row_shift is in bounds.
  const int64_t a = std::clamp<int64_t>(-row_shift, 0, OH), b = std::clamp<int64_t>(H - row_shift, a, OH);
  std::fill(rows, rows + a * W, T(0));
  std::fill(rows + b * W, rows + OH * W, T(0));
  if (a == b) return;
  // rows[k] = plane[k + delta] for k in [a W, b W), clipped to the plane.
  const int64_t delta = row_shift * W + off;
  const int64_t k0 = std::max(a * W, -delta), k1 = std::min(b * W, H * W - delta);
  if (k1 > k0) std::memcpy(rows + k0, plane + k0 + delta, static_cast<size_t>(k1 - k0) * sizeof(T));
  // Columns whose input column ow + off is outside [0, W) read zeros (a
  // column at a time: one or two per row, too few for a memset call each).
  const int64_t lo = std::clamp<int64_t>(-off, 0, W), hi = std::clamp<int64_t>(W - off, lo, W);
  auto zero_column = [&](int64_t ow) {
    for (int64_t oh = a; oh < b; ++oh) rows[oh * W + ow] = T(0);
  };
  for (int64_t ow = 0; ow < lo; ++ow) zero_column(ow);
  for (int64_t ow = hi; ow < W; ++ow) zero_column(ow);
}

template <typename T>
void im2col_typed(const Tensor& col, const Tensor& input, const ConvGeometry& g) {
  const int64_t N = input.sizes()[0], C = g.channels, H = g.height, W = g.width;
  const int64_t OH = g.out_height, OW = g.out_width, KH = g.kernel_h, KW = g.kernel_w;
  const int64_t is0 = input.strides()[0], is1 = input.strides()[1], is2 = input.strides()[2],
                is3 = input.strides()[3];
  const int64_t cs0 = col.strides()[0], cs1 = col.strides()[1];
  const T* in = static_cast<const T*>(input.raw_data());
  T* out = static_cast<T*>(col.raw_data());
  const bool same_pitch = g.stride_h == 1 && g.stride_w == 1 && OW == W && (is3 == 1 || W == 1) &&
                          (is2 == W || H == 1);
  parallel_for(N * C, pair_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t n = pair / C, c = pair % C;
      const T* plane = in + n * is0 + c * is1;
      for (int64_t i = 0; i < KH; ++i) {
        for (int64_t j = 0; j < KW; ++j) {
          T* rows = out + n * cs0 + ((c * KH + i) * KW + j) * cs1;
          if (same_pitch) {
            same_pitch_block(rows, plane, g, i, j);
            continue;
          }
          const int64_t col_offset = j * g.dilation_w;
          const ConvValidRange r = conv_valid_range(col_offset, g.pad_w, g.stride_w, W, OW);
          const int64_t step = g.stride_w * is3;
          for (int64_t oh = 0; oh < OH; ++oh) {
            T* dst = rows + oh * OW;
            const int64_t ih = conv_input_pos(oh, i, g.stride_h, g.pad_h, g.dilation_h);
            if (ih < 0 || ih >= H) {
              std::fill(dst, dst + OW, T(0));
              continue;
            }
            std::fill(dst, dst + r.lo, T(0));
            std::fill(dst + r.hi, dst + OW, T(0));
            const T* src = plane + ih * is2 + (r.lo * g.stride_w - g.pad_w + col_offset) * is3;
            if (step == 1) {
              std::memcpy(dst + r.lo, src, static_cast<size_t>(r.hi - r.lo) * sizeof(T));
            } else {
              for (int64_t ow = r.lo; ow < r.hi; ++ow) dst[ow] = src[(ow - r.lo) * step];
            }
          }
        }
      }
    }
  });
}

template <typename T>
void col2im_typed(const Tensor& input, const Tensor& col, const ConvGeometry& g) {
  const int64_t N = input.sizes()[0], C = g.channels, H = g.height, W = g.width;
  const int64_t OH = g.out_height, OW = g.out_width, KH = g.kernel_h, KW = g.kernel_w;
  const int64_t cs0 = col.strides()[0], cs1 = col.strides()[1];
  const T* src_base = static_cast<const T*>(col.raw_data());
  T* grad = static_cast<T*>(input.raw_data());
  parallel_for(N * C, pair_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t n = pair / C, c = pair % C;
      T* plane = grad + pair * H * W;
      for (int64_t i = 0; i < KH; ++i) {
        for (int64_t j = 0; j < KW; ++j) {
          const T* rows = src_base + n * cs0 + ((c * KH + i) * KW + j) * cs1;
          const int64_t col_offset = j * g.dilation_w;
          const ConvValidRange r = conv_valid_range(col_offset, g.pad_w, g.stride_w, W, OW);
          for (int64_t oh = 0; oh < OH; ++oh) {
            const int64_t ih = conv_input_pos(oh, i, g.stride_h, g.pad_h, g.dilation_h);
            if (ih < 0 || ih >= H) continue;
            const T* src = rows + oh * OW;
            T* dst = plane + ih * W + (r.lo * g.stride_w - g.pad_w + col_offset);
            if (g.stride_w == 1) {
              for (int64_t ow = r.lo; ow < r.hi; ++ow) dst[ow - r.lo] += src[ow];
            } else {
              for (int64_t ow = r.lo; ow < r.hi; ++ow) dst[(ow - r.lo) * g.stride_w] += src[ow];
            }
          }
        }
      }
    }
  });
}

}  // namespace

void im2col(const Tensor& col, const Tensor& input, const ConvGeometry& g) {
  dispatch_floating(input.dtype(), "im2col", [&]<typename T>() { im2col_typed<T>(col, input, g); });
}

void col2im(const Tensor& input, const Tensor& col, const ConvGeometry& g) {
  dispatch_floating(input.dtype(), "col2im", [&]<typename T>() { col2im_typed<T>(input, col, g); });
}

}  // namespace wick::cpu
