#include "core/tensor.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "autograd/autograd_meta.h"
#include "autograd/engine.h"
#include "autograd/function.h"
#include "ops/copy.h"
#include "ops/view.h"

namespace wick {

int64_t Tensor::size(int64_t d) const { return sizes()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

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
    if (whole && max_abs < 1e8) style = Whole;
    else if (max_abs >= 1e8 || (min_abs < 1e-4) || (max_abs / min_abs > 1000 && max_abs > 1e4)) style = Sci;
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

std::vector<std::string> format_cells(const std::vector<double>& values, ScalarType dtype) {
  std::vector<std::string> cells;
  cells.reserve(values.size());
  std::optional<FloatFormat> ffmt;
  if (is_floating_point(dtype)) ffmt.emplace(values);
  size_t width = 0;
  for (double x : values) {
    if (dtype == ScalarType::Bool) cells.push_back(x != 0 ? "True" : "False");
    else if (ffmt) cells.push_back(ffmt->format(x));
    else cells.push_back(std::to_string(static_cast<int64_t>(x)));
    width = std::max(width, cells.back().size());
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
    Printer p{format_cells(to_vector<double>(), dtype()), sizes(), numel() > kSummarizeAbove};
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

// ---- autograd ---------------------------------------------------------------

bool Tensor::requires_grad() const { return impl_->requires_grad || impl_->grad_fn; }

const Tensor& Tensor::requires_grad_(bool requires_grad) const {
  if (impl_->grad_fn) {
    WICK_CHECK(requires_grad, Error,
               "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
               "in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
    return *this;
  }
  WICK_CHECK(!requires_grad || is_floating_point(), Error,
             "only Tensors of floating point dtype can require gradients (got ", dtype(), ")");
  impl_->requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const { return !impl_->grad_fn; }

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const AutogradMeta* m = impl_->autograd.get();
  if (!m) return undefined;
  if (m->retained_grad) return *m->retained_grad;
  return m->grad;
}

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    WICK_CHECK(grad.sizes() == sizes(), ValueError, "assigned grad has shape ", grad.sizes(),
               " but the tensor has shape ", sizes());
    WICK_CHECK(grad.dtype() == dtype(), TypeError, "assigned grad has dtype ", grad.dtype(),
               " but the tensor has dtype ", dtype());
    WICK_CHECK(grad.device() == device(), ValueError, "assigned grad is on ", grad.device(),
               " but the tensor is on ", device());
  }
  AutogradMeta& m = autograd_meta(*this);
  if (m.retained_grad) *m.retained_grad = grad;
  else m.grad = grad;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_->grad_fn; }

uint32_t Tensor::output_nr() const { return impl_->output_nr; }

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

void Tensor::retain_grad() const {
  WICK_CHECK(requires_grad(), Error, "can't retain_grad on Tensor that has requires_grad=False");
  if (is_leaf()) return;  // leaves keep their .grad anyway
  AutogradMeta& m = autograd_meta(*this);
  if (m.retained_grad) return;
  m.retained_grad = std::make_shared<Tensor>();
  std::weak_ptr<Tensor> slot = m.retained_grad;
  // Runs before the grad_fn consumes the gradient: store (or add) a copy.
  impl_->grad_fn->pre_hooks().push_back({impl_->output_nr, next_hook_handle(), [slot](const Tensor& g) {
                                      if (auto s = slot.lock()) {
                                        if (!s->defined()) *s = g.detach().clone();
                                        else *s = s->detach().add(g.detach());
                                      }
                                      return Tensor();
                                    }});
}

bool Tensor::retains_grad() const {
  const AutogradMeta* m = impl_->autograd.get();
  return m && m->retained_grad;
}

size_t Tensor::register_hook(Hook hook) const {
  WICK_CHECK(requires_grad(), Error, "cannot register a hook on a tensor that doesn't require gradient");
  const size_t handle = next_hook_handle();
  if (impl_->grad_fn) impl_->grad_fn->pre_hooks().push_back({impl_->output_nr, handle, std::move(hook)});
  else autograd_meta(*this).leaf_hooks.push_back({0, handle, std::move(hook)});
  return handle;
}

void Tensor::remove_hook(size_t handle) const {
  auto drop = [handle](std::vector<Node::PreHook>& hooks) {
    std::erase_if(hooks, [handle](const Node::PreHook& h) { return h.handle == handle; });
  };
  if (AutogradMeta* m = impl_->autograd.get()) {
    drop(m->leaf_hooks);
    std::erase_if(m->post_accumulate_grad_hooks,
                  [handle](const AutogradMeta::PostAccumulateGradHook& h) { return h.handle == handle; });
  }
  if (impl_->grad_fn) drop(impl_->grad_fn->pre_hooks());
}

size_t Tensor::register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const {
  WICK_CHECK(requires_grad(), Error, "cannot register a hook on a tensor that doesn't require gradient");
  WICK_CHECK(is_leaf(), Error, "post accumulate grad hooks cannot be registered on non-leaf tensors");
  const size_t handle = next_hook_handle();
  autograd_meta(*this).post_accumulate_grad_hooks.push_back({handle, std::move(hook)});
  return handle;
}

void Tensor::set_name(std::string name) const { autograd_meta(*this).name = std::move(name); }

const std::string& Tensor::name() const {
  static const std::string empty;
  const AutogradMeta* m = impl_->autograd.get();
  return m ? m->name : empty;
}

}  // namespace wick
