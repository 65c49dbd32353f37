// The wick._C extension: what its binding files share.
//
//   module.cpp       the module, exception translation, dtype and device objects, global state
//   tensor.cpp       the Tensor class: metadata, autograd fields, conversions, operators
//   indexing.cpp     Tensor.__getitem__ / __setitem__
//   convert.cpp      Python data <-> tensors: nested lists, numbers, NumPy arrays, tolist()
//   autograd.cpp     grad_fn nodes, hooks, backward/grad, gradcheck, custom Functions (PyFunctionNode)
//   dlpack.cpp       the DLPack protocol: Tensor.__dlpack__, wick.from_dlpack
//   ops_*.cpp        one file per op family of ops/, as functions (wick.exp) and methods (x.exp()):
//                    creation, elementwise, reduce, view, linalg, indexing
//   shared_memory.cpp tensors in shared memory for wick.multiprocessing and DataLoader workers
//   data.cpp         wick._C._data: the IDX, MNIST and text readers of data/; the graph's DOT export
//
// Conventions: every binding that runs tensor code releases the GIL around it
// (py::call_guard<py::gil_scoped_release> when the signature is plain C++,
// `py::gil_scoped_release` in the body otherwise); C++ code that calls back
// into Python takes it again (see GilSafeObject). wick's exceptions become
// ValueError, TypeError, IndexError, NotImplementedError and RuntimeError.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "wick.h"

namespace wick::python {

namespace py = pybind11;
using TensorClass = py::class_<Tensor>;

// The Python class of a dtype (wick.float32 ...): one singleton per ScalarType.
struct DType {
  ScalarType type;
};

// ---- Python values <-> wick values (module.cpp) ------------------------------------------

// The wick.<dtype> singleton (a borrowed reference).
py::handle dtype_object(ScalarType t);
// A dtype from a wick.dtype, or with `convert` from the Python types float, int, bool.
std::optional<ScalarType> dtype_from_object(py::handle obj, bool convert);
// A number from a Python bool/int/float or a NumPy scalar; false for anything else.
bool scalar_from_object(py::handle obj, Scalar& out);
py::object scalar_to_object(const Scalar& s);
bool is_tensor(py::handle obj);
// True when obj is a NumPy array (without importing NumPy when nobody else has).
bool is_numpy_array(py::handle obj);

// A Python int or sequence of ints (a shape or a list of dims); TypeError otherwise.
std::vector<int64_t> int_list(py::handle obj, const char* op, const char* arg);
// A shape given as separate ints, x.view(2, 3), or as one sequence, x.view((2, 3)).
std::vector<int64_t> sizes_from_args(const py::args& args, const char* op);
// A `dim` argument: None (all dims) gives nullopt; an int or a sequence of ints a list.
std::optional<std::vector<int64_t>> dims_from(py::handle obj, const char* op);
// An int argument that may also be a one-element integer tensor or NumPy integer.
int64_t int_from(py::handle obj, const char* op, const char* arg);

TensorOptions make_options(std::optional<ScalarType> dtype, std::optional<Device> device, bool requires_grad);
// wick.Size(sizes), the tuple subclass of python/wick/_size.py.
py::object make_size(IntArrayRef sizes);
// The tensors as a Python tuple (what split, unbind, meshgrid... return).
py::tuple tensor_tuple(const TensorList& tensors);
// A namedtuple of python/wick/return_types.py, e.g. return_types.max(values, indices).
py::object make_return_type(const char* name, py::object a, py::object b);

// pybind11 lets Python call Class.__new__ without __init__ and then reads a
// C++ object that was never constructed. Classes only wick creates (grad_fn
// nodes, dtypes, hook handles) refuse __new__; Tensor and device construct in it.
void disallow_new(py::handle cls);

// A member function bound with `self` as a reference. Bound directly, a member
// function pointer takes `self` as a pointer, and pybind11 passes None as a
// null one: wick.Tensor.dim(None) would crash. Use method(&Tensor::dim).
template <typename R, typename C, typename... A>
auto method(R (C::*f)(A...) const) {
  return [f](const C& self, A... args) -> std::decay_t<R> { return (self.*f)(std::forward<A>(args)...); };
}
template <typename R, typename C, typename... A>
auto method(R (C::*f)(A...)) {
  return [f](C& self, A... args) -> std::decay_t<R> { return (self.*f)(std::forward<A>(args)...); };
}

// The same call without the GIL: tensor code that may run long or in parallel.
template <typename F>
auto without_gil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

// A Python object that C++ may copy and destroy on any thread: the last owner
// takes the GIL to drop the reference (hooks stored in autograd nodes die
// wherever the graph is freed, often inside a GIL-free backward).
class GilSafeObject {
 public:
  explicit GilSafeObject(py::object obj);
  const py::object& get() const { return *obj_; }

  // For Python's cycle collector (Note [Python's cycle collector], autograd.cpp):
  // the object when this holder is its only C++ owner (copies share one
  // reference, so no copy may report it), else null.
  PyObject* sole() const { return obj_.use_count() == 1 ? obj_->ptr() : nullptr; }
  // Hands the reference over (for tp_clear), leaving None in its place.
  py::object take() { return std::exchange(*obj_, py::none()); }

 private:
  std::shared_ptr<py::object> obj_;
};

// Shows Python's cycle collector what a Tensor object owns through C++ (hooks,
// its grad_fn's ctx): the custom_type_setup of wick.Tensor (autograd.cpp).
void collect_tensor_cycles(PyHeapTypeObject* heap_type);

// ---- conversions (convert.cpp) ---------------------------------------------------------

// wick.tensor(data): always a new tensor, detached from any graph.
Tensor tensor_from_data(py::handle data, std::optional<ScalarType> dtype, std::optional<Device> device,
                        bool requires_grad);
// wick.as_tensor(data): shares memory with a tensor or a NumPy array when dtype and device allow.
Tensor as_tensor(py::handle data, std::optional<ScalarType> dtype, std::optional<Device> device);
// wick.from_numpy(array): a tensor over the array's memory.
Tensor from_numpy(py::handle array);
// Tensor.numpy(): an array over the tensor's memory (CPU tensors that don't require grad).
py::object to_numpy(const Tensor& self, bool force);
py::object tolist(const Tensor& self);
py::object item(const Tensor& self);
// An operand of a binary operator or op: a Tensor as is, a number as a wrapped
// 0-dim tensor (it promotes like a Python number), a NumPy array as a tensor;
// nullopt for anything else.
std::optional<Tensor> operand(py::handle obj);

// ---- init functions, called in this order by module.cpp ---------------------------------
void init_tensor(py::module_& m, TensorClass& cls);
void init_indexing(py::module_& m, TensorClass& cls);
void init_autograd(py::module_& m, TensorClass& cls);
void init_creation(py::module_& m, TensorClass& cls);
void init_elementwise(py::module_& m, TensorClass& cls);
void init_reduce(py::module_& m, TensorClass& cls);
void init_view(py::module_& m, TensorClass& cls);
void init_linalg(py::module_& m, TensorClass& cls);
void init_decomp(py::module_& m);
void init_special(py::module_& m, TensorClass& cls);  // ops_special.cpp: i0, igamma, wick._C._special  // ops_decomp.cpp: wick._C._linalg (solve, svd, eigh, qr, norms...)
void init_index_ops(py::module_& m, TensorClass& cls);
void init_nn_functional(py::module_& m, TensorClass& cls);  // ops_nn.cpp: softmax, losses, dropout, pad...
void init_optim(py::module_& m);  // ops_optim.cpp: wick._C._optim (fused optimizer steps, grad clipping)
void init_rnn(py::module_& m, TensorClass& cls);     // ops_rnn.cpp: lstm, gru, lstm_cell, gru_cell
void init_dlpack(py::module_& m, TensorClass& cls);  // dlpack.cpp: __dlpack__, wick.from_dlpack
void init_data(py::module_& m, TensorClass& cls);    // data.cpp: wick._C._data (IDX, MNIST, text), _graph_to_dot
void init_io(py::module_& m);                        // io.cpp: wick.save / wick.load's C++ half
void init_shared_memory(py::module_& m);             // shared_memory.cpp: wick.multiprocessing's C++ half
void init_conv(py::module_& m, TensorClass& cls);    // ops_conv.cpp: convolution, pooling, normalization
void init_sort(py::module_& m, TensorClass& cls);    // ops_sort.cpp: cumsum..., sort, topk, median...
void init_shape(py::module_& m, TensorClass& cls);   // ops_shape.cpp: repeat, tile, diag..., lerp, isclose...
void init_math(py::module_& m, TensorClass& cls);    // ops_math.cpp: einsum, cdist..., nonzero, unique...
// last_resort.cpp: the last overload of every function and method (out=, a clear TypeError); called last.
void init_last_resort(py::module_& m, TensorClass& cls);

// Binds f both as the function wick._C.<name>(input, ...) and as the method
// Tensor.<name>(...), with the GIL released while it runs. `args` name the
// parameters after the tensor.
template <typename F, typename... Args>
void def_function_and_method(py::module_& m, TensorClass& cls, const char* name, F f, const Args&... args) {
  m.def(name, f, py::arg("input"), args..., py::call_guard<py::gil_scoped_release>());
  cls.def(name, f, args..., py::call_guard<py::gil_scoped_release>());
}

// A Tensor argument kept as its Python object; only a wick.Tensor (or a
// subclass) converts to one, so anything else falls through to the
// last-resort overload's TypeError, which names the function and the types.
struct TensorObject {
  py::object object;
  const Tensor& tensor() const { return object.cast<const Tensor&>(); }
};

// The result of a conversion that may change nothing (to, cpu, cuda, float()
// ...): the tensor's own Python object when it did not (t.to(t.dtype) is t,
// as in PyTorch), else a new one.
inline py::object self_or_new(const TensorObject& self, Tensor result) {
  if (result.is_same(self.tensor())) return self.object;
  return py::cast(std::move(result));
}

// In-place methods return the tensor they were called on (the same Python
// object, as in PyTorch): inplace<Args...>(f) binds f(self, args...).
template <typename... Args, typename F>
auto inplace(F f) {
  return [f](TensorObject self, Args... args) -> py::object {
    const Tensor& t = self.tensor();
    {
      py::gil_scoped_release release;
      f(t, args...);
    }
    return self.object;
  };
}

}  // namespace wick::python

namespace pybind11::detail {

template <>
struct type_caster<wick::Scalar> {
  PYBIND11_TYPE_CASTER(wick::Scalar, const_name("Number"));
  bool load(handle src, bool /*convert*/) { return wick::python::scalar_from_object(src, value); }
  static handle cast(const wick::Scalar& s, return_value_policy, handle) {
    return wick::python::scalar_to_object(s).release();
  }
};

template <>
struct type_caster<wick::python::TensorObject> {
  PYBIND11_TYPE_CASTER(wick::python::TensorObject, const_name("Tensor"));
  bool load(handle src, bool /*convert*/) {
    if (!wick::python::is_tensor(src)) return false;
    value.object = reinterpret_borrow<object>(src);
    return true;
  }
  static handle cast(const wick::python::TensorObject& t, return_value_policy, handle) {
    return t.object.inc_ref();
  }
};

template <>
struct type_caster<wick::ScalarType> {
  PYBIND11_TYPE_CASTER(wick::ScalarType, const_name("dtype"));
  bool load(handle src, bool convert) {
    auto t = wick::python::dtype_from_object(src, convert);
    if (t) value = *t;
    return t.has_value();
  }
  static handle cast(wick::ScalarType t, return_value_policy, handle) {
    return wick::python::dtype_object(t).inc_ref();
  }
};

}  // namespace pybind11::detail
