// The Tensor methods of core/tensor.h that read values through ops (item,
// to_vector) and printing (str, operator<<).
#include "core/tensor.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "autograd/node.h"
#include "ops/copy.h"
#include "ops/view.h"

namespace wick {

Scalar Tensor::item() const {
  WICK_CHECK(defined(), ValueError, "item: the tensor is undefined");
  WICK_CHECK(numel() == 1, ValueError, "a Tensor with ", numel(), " elements cannot be converted to Scalar");
  Tensor host = device().is_cpu() ? *this : to(kCPU);
  return dispatch_dtype(dtype(), "item", [&]<typename T>() -> Scalar { return *static_cast<const T*>(host.raw_data()); });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = wick::to(*this, kCPU, dtype_of<T>()).contiguous();
  const T* p = host.data_ptr<T>();
  return std::vector<T>(p, p + host.numel());
}
template std::vector<bool> Tensor::to_vector<bool>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;

// ---- printing ---------------------------------------------------------------

namespace {

// How PyTorch prints floats: "1." when all values are whole, else 4 decimals,
// or scientific notation when magnitudes are very large or very small.
struct FloatFormat {
  enum { Whole, Fixed, Sci } style = Whole;
  explicit FloatFormat(const std::vector<double>& v) {
    double max_abs = 0, min_abs = INFINITY;
    bool whole = true;
    for (double x : v) {
      if (!std::isfinite(x)) continue;
      const double a = std::fabs(x);
      max_abs = std::max(max_abs, a);
      if (a > 0) min_abs = std::min(min_abs, a);
      whole = whole && std::nearbyint(x) == x;
    }
    // PyTorch's rule (torch/_tensor_str.py), over the nonzero finite magnitudes.
    if (whole) style = max_abs > 1e8 || max_abs / min_abs > 1000 ? Sci : Whole;
    else if (max_abs > 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1000) style = Sci;
    else style = Fixed;
  }

  std::string format(double x) const {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[64];
    if (style == Whole) std::snprintf(buf, sizeof buf, "%.0f.", x);
    else if (style == Fixed) std::snprintf(buf, sizeof buf, "%.4f", x);
    else std::snprintf(buf, sizeof buf, "%.4e", x);
    return buf;
  }
};

constexpr int64_t kSummarizeAbove = 1000;
constexpr int64_t kEdgeItems = 3;

// The elements a summarized print shows, as a small tensor: along each dim of
// more than 2 * kEdgeItems, the first and the last kEdgeItems. One strided
// view picks them (such a dim becomes two: which edge, and the place in it),
// so a print reads only what it shows, even of an expanded view of 2**62
// elements. As PyTorch's _tensor_str, the number format is chosen from these
// elements alone.
Tensor shown_elements(const Tensor& t) {
  DimVector sizes, strides, shown;
  for (int64_t d = 0; d < t.dim(); ++d) {
    const int64_t n = t.sizes()[d], s = t.strides()[d];
    if (n > 2 * kEdgeItems) {
      sizes.push_back(2);
      strides.push_back((n - kEdgeItems) * s);
      sizes.push_back(kEdgeItems);
      strides.push_back(s);
      shown.push_back(2 * kEdgeItems);
    } else {
      sizes.push_back(n);
      strides.push_back(s);
      shown.push_back(n);
    }
  }
  return reshape(contiguous(as_strided(t.detach(), sizes, strides, t.storage_offset())), shown);
}

struct Printer {
  std::vector<std::string> cells;  // the shown elements formatted, padded to one width
  IntArrayRef sizes;               // the tensor's
  IntArrayRef shown;               // the shown elements' (sizes, or 2 * kEdgeItems along long dims)
  bool summarize;

  // Prints the sub-array of dimension d whose first shown element is at flat position `base`.
  void print(std::ostringstream& os, int64_t d, int64_t base, int indent) const {
    if (d == static_cast<int64_t>(sizes.size())) {
      os << cells[static_cast<size_t>(base)];
      return;
    }
    int64_t inner = 1;
    for (size_t k = static_cast<size_t>(d) + 1; k < shown.size(); ++k) inner *= shown[k];
    const int64_t n = sizes[static_cast<size_t>(d)];
    const bool cut = n != shown[static_cast<size_t>(d)];  // only the edges are shown
    const bool innermost = d + 1 == static_cast<int64_t>(sizes.size());
    std::string sep = ",";
    if (innermost) {
      sep += ' ';
    } else {
      sep.append(sizes.size() - static_cast<size_t>(d) - 1, '\n');
      sep.append(static_cast<size_t>(indent + 1), ' ');
    }
    os << '[';
    for (int64_t i = 0; i < n; ++i) {
      if (i > 0) os << sep;
      if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) {
        os << (innermost ? " ..." : "...");  // as PyTorch: "2,  ..., 47" in a row, "...," on a line of its own
        i = n - kEdgeItems - 1;
        continue;
      }
      const int64_t at = cut && i >= kEdgeItems ? i - (n - 2 * kEdgeItems) : i;
      print(os, d + 1, base + at * inner, indent + 1);
    }
    os << ']';
  }
};

// Every element of t as text (t is what a print shows, at most a few hundred elements). Integers are read as int64, not through a
// double, which would print 2**62 + 1 as 4611686018427387904.
std::vector<std::string> format_cells(const Tensor& t) {
  std::vector<std::string> cells;
  size_t width = 0;
  auto add = [&](std::string cell) {
    width = std::max(width, cell.size());
    cells.push_back(std::move(cell));
  };
  if (t.is_floating_point()) {
    const std::vector<double> values = t.to_vector<double>();
    const FloatFormat ffmt(values);
    for (double x : values) add(ffmt.format(x));
  } else if (t.dtype() == ScalarType::Bool) {
    for (bool x : t.to_vector<bool>()) add(x ? "True" : "False");
  } else {
    for (int64_t x : t.to_vector<int64_t>()) add(std::to_string(x));
  }
  for (std::string& c : cells) c = std::string(width - c.size(), ' ') + c;
  return cells;
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << "tensor(";
  // As PyTorch: int64 and bool go without saying, except for empty tensors.
  const bool is_default_dtype = dtype() == default_dtype() ||
                                (numel() > 0 && (dtype() == ScalarType::Int64 || dtype() == ScalarType::Bool));
  if (numel() == 0) {
    os << "[]";
    if (dim() != 1) {
      os << ", size=(";
      for (int64_t d = 0; d < dim(); ++d) os << (d ? ", " : "") << sizes()[d];
      os << (dim() == 1 ? ",)" : ")");
    }
  } else {
    const bool summarize = numel() > kSummarizeAbove;
    const Tensor shown = summarize ? shown_elements(*this) : *this;
    Printer p{format_cells(shown), sizes(), shown.sizes(), summarize};
    p.print(os, 0, 0, 7);
  }
  if (device().is_cuda()) os << ", device='" << device() << "'";
  if (!is_default_dtype) os << ", dtype=wick." << dtype();
  if (const auto& fn = grad_fn()) os << ", grad_fn=<" << fn->name() << ">";
  else if (requires_grad()) os << ", requires_grad=True";
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace wick
