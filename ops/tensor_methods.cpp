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
    if (whole) style = max_abs > 1e8 ? Sci : Whole;
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

struct Printer {
  std::vector<std::string> cells;  // every element formatted, padded to one width
  IntArrayRef sizes;
  bool summarize;

  // Prints the sub-array of dimension d starting at flat position `base`.
  void print(std::ostringstream& os, int64_t d, int64_t base, int indent) const {
    if (d == static_cast<int64_t>(sizes.size())) {
      os << cells[static_cast<size_t>(base)];
      return;
    }
    int64_t inner = 1;
    for (size_t k = static_cast<size_t>(d) + 1; k < sizes.size(); ++k) inner *= sizes[k];
    const int64_t n = sizes[static_cast<size_t>(d)];
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
        os << "...";
        i = n - kEdgeItems - 1;
        continue;
      }
      print(os, d + 1, base + i * inner, indent + 1);
    }
    os << ']';
  }
};

// Every element of t as text. Integers are read as int64, not through a
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
    Printer p{format_cells(*this), sizes(), numel() > kSummarizeAbove};
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
