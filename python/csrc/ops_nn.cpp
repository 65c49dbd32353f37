// The neural-net functions (ops/softmax.h, loss.h, dropout.h, resize.h and
// linear/bilinear of ops/linalg.h) with torch.nn.functional's names, argument
// names, order and defaults, so that python/wick/nn/functional.py re-exports
// them as they are. Where torch.<name> differs from F.<name> (softmax's third
// positional argument, dropout's `train`), both forms are accepted.
#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

void warn(PyObject* category, const std::string& message) {
  if (PyErr_WarnEx(category, message.c_str(), 1) < 0) throw py::error_already_set();
}

std::string shape_str(IntArrayRef sizes) {
  std::ostringstream os;
  os << sizes;
  return os.str();
}

// The reduction from `reduction`, or from the legacy size_average/reduce
// arguments when either is given (with PyTorch's deprecation warning).
Reduction reduction_arg(py::handle size_average, py::handle reduce, const std::string& reduction) {
  if (size_average.is_none() && reduce.is_none()) return reduction_from_string(reduction);
  const auto truth = [](py::handle flag) {
    const int t = PyObject_IsTrue(flag.ptr());  // -1 with an exception set: bool() of an empty tensor, say
    if (t < 0) throw py::error_already_set();
    return t == 1;
  };
  const bool avg = size_average.is_none() || truth(size_average);
  const bool red = reduce.is_none() || truth(reduce);
  const char* name = avg && red ? "mean" : red ? "sum" : "none";
  warn(PyExc_UserWarning, std::string("size_average and reduce args will be deprecated, please use reduction='") +
                              name + "' instead.");
  return reduction_from_string(name);
}

// torch.nn.functional's warning when a regression loss broadcasts.
void warn_if_broadcasting(const Tensor& input, const Tensor& target) {
  if (input.sizes() == target.sizes()) return;
  warn(PyExc_UserWarning, "Using a target size (" + shape_str(target.sizes()) +
                              ") that is different to the input size (" + shape_str(input.sizes()) +
                              "). This will likely lead to incorrect results due to broadcasting. Please ensure they "
                              "have the same size.");
}

Tensor or_undefined(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

// softmax(input, dim=None, _stacklevel=3, dtype=None) as torch.nn.functional
// has it; torch.softmax(input, dim, dtype) passes the dtype third, which is
// taken as the dtype. Without dim, PyTorch's implicit choice (with its warning).
using SoftmaxFn = Tensor (*)(const Tensor&, int64_t, std::optional<ScalarType>);
void def_softmax_like(py::module_& m, TensorClass& cls, const char* name, SoftmaxFn f, const char* doc,
                      const char* method_doc) {
  m.def(
      name,
      [name, f](const Tensor& x, py::handle dim, py::handle stacklevel, py::handle dtype_obj) {
        std::optional<ScalarType> dtype;
        if (!dtype_obj.is_none()) {
          dtype = dtype_from_object(dtype_obj, false);
          if (!dtype) throw py::type_error(std::string(name) + "(): argument 'dtype' must be a wick.dtype");
        }
        if (auto positional = dtype_from_object(stacklevel, false)) dtype = positional;
        int64_t d;
        if (dim.is_none()) {
          const int64_t ndim = x.dim();
          d = ndim == 0 || ndim == 1 || ndim == 3 ? 0 : 1;
          warn(PyExc_UserWarning, std::string("Implicit dimension choice for ") + name +
                                      " has been deprecated. Change the call to include dim=X as an argument.");
        } else {
          d = int_from(dim, name, "dim");
        }
        return without_gil([&] { return f(x, d, dtype); });
      },
      py::arg("input"), py::arg("dim") = py::none(), py::arg("_stacklevel") = 3, py::arg("dtype") = py::none(), doc);
  cls.def(
      name, [f](const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) { return f(x, dim, dtype); },
      py::arg("dim"), py::arg("dtype") = py::none(), py::call_guard<py::gil_scoped_release>(), method_doc);
}

// A size or scale_factor argument of interpolate: None, one number, or one per spatial dim.
template <typename T>
T number_from(py::handle obj, const char* arg) {
  if constexpr (std::is_integral_v<T>) {
    return int_from(obj, "interpolate", arg);
  } else {
    const double v = PyNumber_Check(obj.ptr()) ? PyFloat_AsDouble(obj.ptr()) : -1.0;
    if (PyErr_Occurred() || !PyNumber_Check(obj.ptr())) {
      PyErr_Clear();
      throw py::type_error(std::string("interpolate(): argument '") + arg +
                           "' must be a float or a tuple of floats, not " +
                           py::type::of(obj).attr("__name__").cast<std::string>());
    }
    return v;
  }
}

template <typename T>
std::optional<std::vector<T>> per_dim(py::handle obj, const Tensor& input, const char* arg) {
  if (obj.is_none()) return std::nullopt;
  if (!PyTuple_Check(obj.ptr()) && !PyList_Check(obj.ptr())) return std::vector<T>{number_from<T>(obj, arg)};
  std::vector<T> values;
  for (py::handle item : py::reinterpret_borrow<py::sequence>(obj)) values.push_back(number_from<T>(item, arg));
  const int64_t spatial = input.dim() - 2;
  if (static_cast<int64_t>(values.size()) != spatial) {
    const std::string name = std::string(arg) == "size" ? "output" : arg;
    std::ostringstream os;
    os << "Input and " << name << " must have the same number of spatial dimensions, but got input with spatial "
       << "dimensions of "
       << (input.dim() >= 2 ? IntArrayRef(input.sizes().data() + 2, static_cast<size_t>(input.dim() - 2))
                            : IntArrayRef())
       << " and " << arg << " of " << py::str(obj).cast<std::string>()
       << ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and " << arg << " in (o1, o2, ...,oK) "
       << "format.";
    throw py::value_error(os.str());
  }
  return values;
}

// F.dropout(input, p, training, inplace): the input object itself when
// nothing changes or when in place, as in PyTorch.
py::object dropout_call(py::object self, double p, bool training, bool inplace) {
  if (!is_tensor(self)) throw py::type_error("dropout(): argument 'input' must be a Tensor");
  const Tensor& x = self.cast<const Tensor&>();
  Tensor out;
  {
    py::gil_scoped_release release;
    if (inplace) dropout_(x, p, training);
    else out = dropout(x, p, training);
  }
  if (inplace || out.is_same(x)) return self;
  return py::cast(out);
}

// ---- docstrings ---------------------------------------------------------------------------------

constexpr const char* kSoftmaxDoc =
    "softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor\n\n"
    "exp(x) / sum(exp(x)) along dim, computed stably (the max is subtracted first). As\n"
    "torch.nn.functional.softmax; torch.softmax(input, dim, dtype) is accepted too. Without dim, the\n"
    "deprecated implicit choice applies (0 for 0-, 1- and 3-D inputs, else 1) with a warning.\n\n"
    "Args:\n"
    "    input (Tensor): floating point, or any dtype with a floating dtype argument.\n"
    "    dim (int): the dim whose entries sum to one.\n"
    "    dtype (wick.dtype, optional): convert input to it first.\n\n"
    "Example::\n\n"
    "    >>> wick.softmax(wick.tensor([1.0, 2.0, 3.0]), 0)\n"
    "    tensor([0.0900, 0.2447, 0.6652])";
constexpr const char* kLogSoftmaxDoc =
    "log_softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor\n\n"
    "log(softmax(input, dim)), computed in one pass as x - max - log(sum(exp(x - max))), so it stays\n"
    "finite where softmax underflows. Arguments as softmax.\n\n"
    "Example::\n\n"
    "    >>> wick.log_softmax(wick.tensor([1.0, 2.0, 3.0]), 0)\n"
    "    tensor([-2.4076, -1.4076, -0.4076])";
constexpr const char* kSoftmaxMethodDoc =
    "softmax(dim, dtype=None) -> Tensor\n\n"
    "wick.softmax(self, dim, dtype): exp(x) / sum(exp(x)) along dim.";
constexpr const char* kLogSoftmaxMethodDoc =
    "log_softmax(dim, dtype=None) -> Tensor\n\n"
    "wick.log_softmax(self, dim, dtype): log(softmax(self, dim)), computed stably.";
constexpr const char* kNllLossDoc =
    "nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean') -> Tensor\n\n"
    "The negative log likelihood loss: -weight[t] * input[n, t] for each target class t. input holds\n"
    "log-probabilities, [N, C], [N, C, d1, ...] or [C]; target the class indices (int64), [N],\n"
    "[N, d1, ...] or []. Targets equal to ignore_index add nothing and do not count in the mean, which\n"
    "divides by the summed weight of the counted targets (nan when there are none).\n\n"
    "Args:\n"
    "    weight (Tensor, optional): a [C] rescaling of each class.\n"
    "    reduction (str): 'none' | 'mean' | 'sum'. size_average and reduce are its deprecated form.\n\n"
    "Example::\n\n"
    "    >>> logp = wick.log_softmax(wick.tensor([[1.0, 2.0], [0.5, 0.5]]), 1)\n"
    "    >>> wick.nll_loss(logp, wick.tensor([1, 0]), reduction='none')\n"
    "    tensor([0.3133, 0.6931])";
constexpr const char* kCrossEntropyDoc =
    "cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, "
    "reduction='mean', label_smoothing=0.0) -> Tensor\n\n"
    "The cross entropy between the softmax of the logits input (class dim 1, or 0 unbatched) and\n"
    "target: class indices (nll_loss of log_softmax, with weight and ignore_index as there), or class\n"
    "probabilities of input's shape. label_smoothing mixes the target with the uniform distribution:\n"
    "(1 - eps) * loss + eps / C * (the loss against every class), as PyTorch 1.13 computes it.\n\n"
    "Example::\n\n"
    "    >>> logits = wick.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])\n"
    "    >>> wick.cross_entropy(logits, wick.tensor([0, 1]))\n"
    "    tensor(0.3964)\n"
    "    >>> wick.cross_entropy(logits, wick.tensor([0, 1]), label_smoothing=0.1)\n"
    "    tensor(0.5047)";
constexpr const char* kMseLossDoc =
    "mse_loss(input, target, size_average=None, reduce=None, reduction='mean') -> Tensor\n\n"
    "The squared differences (input - target)^2, reduced ('none' | 'mean' | 'sum'). A target of\n"
    "another shape broadcasts, with a warning, as in PyTorch.\n\n"
    "Example::\n\n"
    "    >>> wick.mse_loss(wick.tensor([1.0, 2.0]), wick.tensor([0.0, 4.0]))\n"
    "    tensor(2.5000)";
constexpr const char* kL1LossDoc =
    "l1_loss(input, target, size_average=None, reduce=None, reduction='mean') -> Tensor\n\n"
    "The absolute differences |input - target|, reduced ('none' | 'mean' | 'sum').\n\n"
    "Example::\n\n"
    "    >>> wick.l1_loss(wick.tensor([1.0, 2.0]), wick.tensor([0.0, 4.0]))\n"
    "    tensor(1.5000)";
constexpr const char* kSmoothL1LossDoc =
    "smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0) -> Tensor\n\n"
    "The Huber-like loss of d = input - target: 0.5 * d^2 / beta where |d| < beta, |d| - 0.5 * beta\n"
    "elsewhere (beta = 0 is the L1 loss), reduced ('none' | 'mean' | 'sum').\n\n"
    "Example::\n\n"
    "    >>> wick.smooth_l1_loss(wick.tensor([0.5, 3.0]), wick.tensor([0.0, 0.0]), reduction='none')\n"
    "    tensor([0.1250, 2.5000])";
constexpr const char* kBceDoc =
    "binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction='mean') -> Tensor\n\n"
    "-weight * (target * log(input) + (1 - target) * log(1 - input)) for probabilities input in\n"
    "[0, 1] and a target of the same shape; each log is clamped at -100, so the loss stays finite.\n\n"
    "Example::\n\n"
    "    >>> wick.binary_cross_entropy(wick.tensor([0.8, 0.0]), wick.tensor([1.0, 1.0]), reduction='none')\n"
    "    tensor([  0.2231, 100.0000])";
constexpr const char* kBceLogitsDoc =
    "binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, "
    "reduction='mean', pos_weight=None) -> Tensor\n\n"
    "binary_cross_entropy of sigmoid(input), computed from the logits without overflow:\n"
    "(1 - target) * x + (1 + (pos_weight - 1) * target) * log(1 + exp(-x)), times weight.\n"
    "pos_weight (one per class, broadcast along the last dim) weighs the positive targets.\n\n"
    "Example::\n\n"
    "    >>> wick.binary_cross_entropy_with_logits(wick.tensor([100.0, -1.0]), wick.tensor([0.0, 1.0]), "
    "reduction='none')\n"
    "    tensor([100.0000,   1.3133])";
constexpr const char* kDropoutDoc =
    "dropout(input, p=0.5, training=True, inplace=False) -> Tensor\n\n"
    "In training, zeroes each element with probability p, drawn from the global generator\n"
    "(wick.manual_seed makes it repeatable), and scales the others by 1 / (1 - p); otherwise (or with\n"
    "p = 0) returns input itself. p = 1 gives zeros. inplace changes input. torch.dropout's form\n"
    "dropout(input, p, train) is accepted too.\n\n"
    "Example::\n\n"
    "    >>> wick.manual_seed(0)\n"
    "    >>> y = wick.dropout(wick.ones(1000), 0.25)\n"
    "    >>> sorted(set(y.tolist()))\n"
    "    [0.0, 1.3333333730697632]";
constexpr const char* kDropoutTrainDoc =
    "dropout(input, p, train) -> Tensor\n\n"
    "torch.dropout's form of dropout(input, p, training=train).";
constexpr const char* kDropoutInplaceDoc =
    "dropout_(input, p=0.5, train=True) -> Tensor\n\n"
    "Dropout in place: zeroes elements of input with probability p and scales the rest by 1 / (1 - p).\n"
    "Returns input.";
constexpr const char* kLinearDoc =
    "linear(input, weight, bias=None) -> Tensor\n\n"
    "input @ weight.T + bias: input [*, in_features], weight [out_features, in_features], bias\n"
    "[out_features]. A batch of vectors with a bias is one addmm (its grad_fn AddmmBackward0).\n\n"
    "Example::\n\n"
    "    >>> wick.linear(wick.ones(2, 3), wick.ones(4, 3), wick.zeros(4)).shape\n"
    "    wick.Size([2, 4])";
constexpr const char* kBilinearDoc =
    "bilinear(input1, input2, weight, bias=None) -> Tensor\n\n"
    "y[..., o] = input1[...] . weight[o] . input2[...] + bias[o]: input1 [*, in1], input2 [*, in2] (the\n"
    "same leading dims), weight [out, in1, in2], bias [out].\n\n"
    "Example::\n\n"
    "    >>> wick.bilinear(wick.ones(2, 3), wick.ones(2, 4), wick.ones(5, 3, 4)).shape\n"
    "    wick.Size([2, 5])";
constexpr const char* kPadDoc =
    "pad(input, pad, mode='constant', value=None) -> Tensor\n\n"
    "Pads input by pad = (before, after) pairs from the last dim backwards; negative amounts crop.\n"
    "mode 'constant' fills with value (default 0) and pads any number of dims; 'reflect' (mirror\n"
    "without repeating the edge), 'replicate' (repeat the edge) and 'circular' (wrap around) pad the\n"
    "last 1, 2 or 3 dims of a 2-D to 5-D input.\n\n"
    "Example::\n\n"
    "    >>> x = wick.tensor([[[0.0, 1.0, 2.0]]])\n"
    "    >>> wick.pad(x, (2, 1), mode='reflect')\n"
    "    tensor([[[2., 1., 0., 1., 2., 1.]]])\n"
    "    >>> wick.pad(x, (1, -1), value=9.0)\n"
    "    tensor([[[9., 0., 1.]]])";
constexpr const char* kInterpolateDoc =
    "interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None, "
    "recompute_scale_factor=None, antialias=False) -> Tensor\n\n"
    "Resizes the spatial dims of [N, C, W], [N, C, H, W] or [N, C, D, H, W] to size, or by\n"
    "scale_factor (an output size of floor(in * scale)); either may be one number for all dims.\n"
    "mode: 'nearest' (PyTorch's legacy rule), 'nearest-exact', 'linear' (3-D), 'bilinear' (4-D) or\n"
    "'trilinear' (5-D); align_corners (linear modes only) maps the corner pixels' centres onto each\n"
    "other. Index arithmetic follows PyTorch's, so results match it.\n\n"
    "Example::\n\n"
    "    >>> wick.interpolate(wick.tensor([[[0.0, 1.0]]]), size=4, mode='linear')\n"
    "    tensor([[[0.0000, 0.2500, 0.7500, 1.0000]]])";

}  // namespace

void init_nn_functional(py::module_& m, TensorClass& cls) {
  // ---- softmax -----------------------------------------------------------------------------
  def_softmax_like(m, cls, "softmax", &softmax, kSoftmaxDoc, kSoftmaxMethodDoc);
  def_softmax_like(m, cls, "log_softmax", &log_softmax, kLogSoftmaxDoc, kLogSoftmaxMethodDoc);

  // ---- losses --------------------------------------------------------------------------------
  m.def(
      "nll_loss",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, py::handle size_average,
         int64_t ignore_index, py::handle reduce, const std::string& reduction) {
        const Reduction r = reduction_arg(size_average, reduce, reduction);
        return without_gil([&] { return nll_loss(input, target, or_undefined(weight), r, ignore_index); });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("size_average") = py::none(),
      py::arg("ignore_index") = -100, py::arg("reduce") = py::none(), py::arg("reduction") = "mean", kNllLossDoc);
  m.def(
      "cross_entropy",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, py::handle size_average,
         int64_t ignore_index, py::handle reduce, const std::string& reduction, double label_smoothing) {
        const Reduction r = reduction_arg(size_average, reduce, reduction);
        return without_gil(
            [&] { return cross_entropy(input, target, or_undefined(weight), r, ignore_index, label_smoothing); });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("size_average") = py::none(),
      py::arg("ignore_index") = -100, py::arg("reduce") = py::none(), py::arg("reduction") = "mean",
      py::arg("label_smoothing") = 0.0, kCrossEntropyDoc);
  using Regression = Tensor (*)(const Tensor&, const Tensor&, Reduction);
  const std::tuple<const char*, Regression, const char*> regression[] = {{"mse_loss", &mse_loss, kMseLossDoc},
                                                                         {"l1_loss", &l1_loss, kL1LossDoc}};
  for (const auto& [name, f, doc] : regression) {
    const Regression fn = f;
    m.def(
        name,
        [fn](const Tensor& input, const Tensor& target, py::handle size_average, py::handle reduce,
             const std::string& reduction) {
          warn_if_broadcasting(input, target);
          const Reduction r = reduction_arg(size_average, reduce, reduction);
          return without_gil([&] { return fn(input, target, r); });
        },
        py::arg("input"), py::arg("target"), py::arg("size_average") = py::none(), py::arg("reduce") = py::none(),
        py::arg("reduction") = "mean", doc);
  }
  m.def(
      "smooth_l1_loss",
      [](const Tensor& input, const Tensor& target, py::handle size_average, py::handle reduce,
         const std::string& reduction, double beta) {
        warn_if_broadcasting(input, target);
        const Reduction r = reduction_arg(size_average, reduce, reduction);
        return without_gil([&] { return smooth_l1_loss(input, target, r, beta); });
      },
      py::arg("input"), py::arg("target"), py::arg("size_average") = py::none(), py::arg("reduce") = py::none(),
      py::arg("reduction") = "mean", py::arg("beta") = 1.0, kSmoothL1LossDoc);
  m.def(
      "binary_cross_entropy",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, py::handle size_average,
         py::handle reduce, const std::string& reduction) {
        const Reduction r = reduction_arg(size_average, reduce, reduction);
        return without_gil([&] { return binary_cross_entropy(input, target, or_undefined(weight), r); });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("size_average") = py::none(),
      py::arg("reduce") = py::none(), py::arg("reduction") = "mean", kBceDoc);
  m.def(
      "binary_cross_entropy_with_logits",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, py::handle size_average,
         py::handle reduce, const std::string& reduction, std::optional<Tensor> pos_weight) {
        const Reduction r = reduction_arg(size_average, reduce, reduction);
        return without_gil([&] {
          return binary_cross_entropy_with_logits(input, target, or_undefined(weight), r, or_undefined(pos_weight));
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("size_average") = py::none(),
      py::arg("reduce") = py::none(), py::arg("reduction") = "mean", py::arg("pos_weight") = py::none(),
      kBceLogitsDoc);

  // ---- dropout --------------------------------------------------------------------------------
  // F.dropout(input, p=0.5, training=True, inplace=False); torch.dropout(input, p, train) and
  // torch.dropout_(input, p, train) as well.
  m.def("dropout", &dropout_call, py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
        py::arg("inplace") = false, kDropoutDoc);
  m.def(
      "dropout", [](py::object self, double p, bool train) { return dropout_call(std::move(self), p, train, false); },
      py::arg("input"), py::arg("p"), py::arg("train"), kDropoutTrainDoc);
  m.def(
      "dropout_", [](py::object self, double p, bool train) { return dropout_call(std::move(self), p, train, true); },
      py::arg("input"), py::arg("p") = 0.5, py::arg("train") = true, kDropoutInplaceDoc);

  // ---- linear layers --------------------------------------------------------------------------
  m.def(
      "linear",
      [](const Tensor& input, const Tensor& weight, std::optional<Tensor> bias) {
        return linear(input, weight, or_undefined(bias));
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::call_guard<py::gil_scoped_release>(),
      kLinearDoc);
  m.def(
      "bilinear",
      [](const Tensor& input1, const Tensor& input2, const Tensor& weight, std::optional<Tensor> bias) {
        return bilinear(input1, input2, weight, or_undefined(bias));
      },
      py::arg("input1"), py::arg("input2"), py::arg("weight"), py::arg("bias") = py::none(),
      py::call_guard<py::gil_scoped_release>(), kBilinearDoc);

  // ---- padding and resizing ---------------------------------------------------------------------
  m.def(
      "pad",
      [](const Tensor& input, py::handle pad_obj, const std::string& mode, std::optional<double> value) {
        const std::vector<int64_t> amounts = int_list(pad_obj, "pad", "pad");
        return without_gil([&] { return pad(input, amounts, mode, value.value_or(0.0)); });
      },
      py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none(), kPadDoc);
  m.def(
      "interpolate",
      [](const Tensor& input, py::handle size_obj, py::handle scale_obj, const std::string& mode,
         std::optional<bool> align_corners, std::optional<bool> recompute_scale_factor, bool antialias) {
        WICK_CHECK(!antialias, NotImplementedError, "interpolate: antialias=True is not implemented in wick");
        const auto size = per_dim<int64_t>(size_obj, input, "size");
        const auto scale = per_dim<double>(scale_obj, input, "scale_factor");
        return without_gil(
            [&] { return interpolate(input, size, scale, mode, align_corners, recompute_scale_factor); });
      },
      py::arg("input"), py::arg("size") = py::none(), py::arg("scale_factor") = py::none(),
      py::arg("mode") = "nearest", py::arg("align_corners") = py::none(),
      py::arg("recompute_scale_factor") = py::none(), py::arg("antialias") = false, kInterpolateDoc);
}

}  // namespace wick::python
