// The last overload of every wick function and Tensor method: `out=` and a
// clear TypeError (Note [The last-resort overload]).
#include <string>
#include <vector>

#include "python/csrc/bindings.h"

namespace wick::python {

// Note [The last-resort overload]
// pybind11 tries a function's overloads in order, in two passes: the first
// without implicit conversions, the second with them. When none matches it
// raises its own TypeError ("incompatible function arguments. The following
// argument types are supported: 1. (arg0: wick._C.Tensor, ...) ... Invoked
// with: ..."), which names C++ types and is not what a PyTorch user reads.
// So, once every binding is made, each public function of wick._C and each
// public Tensor method gets one more overload, `(input, *args, **kwargs)`,
// whose first parameter (LastResort) loads only in the second pass: it runs
// only when no real overload matched either way, costing a valid call
// nothing (functions whose parameters are all keyword-only or *args are
// left alone: second_pass_safe). It does two things:
//   - `out=`: a function called with out=t runs again without it and writes
//     the result into t, with PyTorch's rules (no autograd through out=, the
//     result's dtype must cast to t's, t is resized to the result's shape,
//     with PyTorch's warning when t had elements; a tuple result into a tuple
//     of tensors), and returns t itself. The result is computed first and
//     copied, so out= saves no memory in wick yet.
//   - anything else: TypeError "name() received an invalid combination of
//     arguments - got (Tensor, str), but expected one of: * (...)", PyTorch's
//     wording, with the signatures the function has.
struct LastResort {
  py::object value;
};

}  // namespace wick::python

namespace pybind11::detail {
template <>
struct type_caster<wick::python::LastResort> {
  PYBIND11_TYPE_CASTER(wick::python::LastResort, const_name("object"));
  bool load(handle src, bool convert) {
    if (!convert) return false;  // the first pass: the real overloads go first
    value.value = reinterpret_borrow<object>(src);
    return true;
  }
};
}  // namespace pybind11::detail

namespace wick::python {

namespace {

std::string type_name(py::handle obj) {
  if (is_tensor(obj)) return "Tensor";
  return py::str(py::type::handle_of(obj).attr("__name__"));
}

// The signatures pybind11 wrote into a function's docstring, as PyTorch
// prints them: "(input: Tensor, other: float)" (without self for methods).
std::vector<std::string> signatures(py::handle fn, const std::string& name, bool method) {
  std::vector<std::string> out;
  py::object doc = py::getattr(fn, "__doc__", py::none());
  if (doc.is_none()) return out;
  const std::string text = py::str(doc);
  size_t pos = 0;
  for (bool first_line = true; pos < text.size(); first_line = false) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    // pybind11's lines: the first, "name(...) -> ...", or "1. name(...) -> ..." after "Overloaded function."
    // (the docstrings' own examples also start with "name(").
    size_t start = line.find(name + "(");
    const size_t digits = line.find_first_not_of("0123456789");
    const bool numbered = digits != std::string::npos && digits > 0 && line.compare(digits, 2, ". ") == 0 &&
                          start == digits + 2;
    if (start == std::string::npos || !((first_line && start == 0) || numbered)) continue;
    const size_t open = start + name.size();
    const size_t arrow = line.rfind(") -> ");
    if (arrow == std::string::npos || arrow < open) continue;
    std::string params = line.substr(open + 1, arrow - open - 1);
    if (params.find("*args") != std::string::npos) continue;  // the last resort itself
    for (const std::string prefix : {"wick._C.", "wick::"}) {
      for (size_t p; (p = params.find(prefix)) != std::string::npos;) params.erase(p, prefix.size());
    }
    if (method) {
      const size_t comma = params.find(", ");
      params = params.rfind("self", 0) == 0 ? (comma == std::string::npos ? "" : params.substr(comma + 2)) : params;
    }
    out.push_back("(" + params + ")");
  }
  return out;
}

[[noreturn]] void invalid_call(const std::string& name, const std::vector<std::string>& sigs, const py::args& args,
                               const py::kwargs& kwargs, py::handle first) {
  std::string got;
  auto add = [&](const std::string& s) { got += (got.empty() ? "" : ", ") + s; };
  if (first) add(type_name(first));
  for (py::handle a : args) add(type_name(a));
  for (auto [k, v] : kwargs) add(std::string(py::str(k)) + "=" + type_name(v));
  std::string message = name + "() received an invalid combination of arguments - got (" + got + "), but expected";
  if (sigs.size() == 1) {
    message += " " + sigs[0];
  } else {
    message += " one of:";
    for (const std::string& s : sigs) message += "\n * " + s;
  }
  throw py::type_error(message);
}

void write_one(const std::string& name, py::handle result, py::handle out) {
  if (!is_tensor(out)) {
    throw py::type_error(name + "(): argument 'out' must be Tensor, not " + type_name(out));
  }
  const Tensor& r = result.cast<const Tensor&>();
  const Tensor& o = out.cast<const Tensor&>();
  py::gil_scoped_release release;
  WICK_CHECK(!GradMode::is_enabled() || !(r.requires_grad() || o.requires_grad()), Error, name,
             "(): functions with out=... arguments don't support automatic differentiation, but one of the "
             "arguments requires grad.");
  WICK_CHECK(r.device() == o.device(), Error, name, "(): expected out tensor to have device ", r.device(),
             ", but got ", o.device(), " instead");
  if (name == "any" || name == "all") {
    // PyTorch's any/all write their truth values into a bool or a uint8 out,
    // whatever the input's dtype (check_result_is_bytebool), and no other.
    WICK_CHECK(o.dtype() == ScalarType::Bool || o.dtype() == ScalarType::UInt8, Error, name,
               " only supports bool tensor for result, got: ", o.dtype());
  } else {
    WICK_CHECK(can_cast(r.dtype(), o.dtype()), Error, "result type ", r.dtype(), " can't be cast to the desired "
               "output type ", o.dtype());
  }
  if (o.sizes() != r.sizes()) {
    if (o.numel() != 0) {
      py::gil_scoped_acquire gil;
      std::string shape_of_out;
      for (int64_t s : o.sizes()) shape_of_out += (shape_of_out.empty() ? "" : ", ") + std::to_string(s);
      shape_of_out = "[" + shape_of_out + "]";
      if (PyErr_WarnEx(PyExc_UserWarning,
                       ("An output with one or more elements was resized since it had shape " + shape_of_out +
                        ", which does not match the required output shape. This behavior is deprecated (as in "
                        "PyTorch); resize it to zero elements first with t.resize_(0).")
                           .c_str(),
                       1) != 0) {
        throw py::error_already_set();
      }
    }
    resize_(o, r.sizes());
  }
  AutoGradMode no_grad(false);
  o.copy_(r);
}

py::object write_out(const std::string& name, py::handle result, py::handle out) {
  if (py::isinstance<py::tuple>(result)) {
    const auto results = py::reinterpret_borrow<py::tuple>(result);
    if (!py::isinstance<py::tuple>(out) && !py::isinstance<py::list>(out)) {
      throw py::type_error(name + "(): argument 'out' must be a tuple of " + std::to_string(results.size()) +
                           " tensors, not " + type_name(out));
    }
    const auto outs = py::reinterpret_borrow<py::sequence>(out);
    if (py::len(outs) != results.size()) {
      throw py::type_error(name + "(): argument 'out' must be a tuple of " + std::to_string(results.size()) +
                           " tensors, got " + std::to_string(py::len(outs)));
    }
    for (size_t i = 0; i < results.size(); ++i) write_one(name, results[i], outs[i]);
    return py::reinterpret_borrow<py::object>(out);
  }
  write_one(name, result, out);
  return py::reinterpret_borrow<py::object>(out);
}

// pybind11 retries an overload with conversions only when it has a positional parameter (after self): one
// whose parameters are all keyword-only or *args (wick.zeros(*size, device=...)) matched with conversions only
// because it was the only overload. Such functions get no last resort, so that they keep converting.
bool second_pass_safe(const std::vector<std::string>& sigs) {
  if (sigs.empty()) return false;
  for (const std::string& s : sigs) {
    if (s.rfind("(*", 0) == 0) return false;
  }
  return true;
}

}  // namespace

void init_last_resort(py::module_& m, TensorClass& cls) {
  const py::dict functions = m.attr("__dict__");
  for (auto [key, fn] : functions) {
    const std::string name = py::str(key);
    if (name.empty() || name[0] == '_' || !PyCFunction_Check(fn.ptr())) continue;
    if (!second_pass_safe(signatures(fn, name, false))) continue;
    m.def(
        name.c_str(),
        [name, sigs = signatures(fn, name, false), module = py::object(m)](LastResort input, py::args args,
                                                                          py::kwargs kwargs) -> py::object {
          if (kwargs.contains("out")) {
            py::object out = kwargs.attr("pop")("out");
            py::object result = module.attr(name.c_str())(input.value, *args, **kwargs);
            return out.is_none() ? result : write_out(name, result, out);
          }
          invalid_call(name, sigs, args, kwargs, input.value);
        },
        py::arg("input"));
  }
  const py::dict methods = cls.attr("__dict__");
  const py::object not_given = py::module_::import("builtins").attr("object")();
  for (auto [key, fn] : methods) {
    const std::string name = py::str(key);
    if (name.empty() || name[0] == '_' || !PyInstanceMethod_Check(fn.ptr())) continue;
    py::handle function = PyInstanceMethod_GET_FUNCTION(fn.ptr());
    if (!second_pass_safe(signatures(function, name, true))) continue;
    // The second positional parameter is there for pybind11, which gives a method's overload a second,
    // converting pass only when a parameter after self allows conversion.
    cls.def(
        name.c_str(),
        [name, sigs = signatures(function, name, true), not_given](LastResort, py::object first, py::args args,
                                                                   py::kwargs kwargs) -> py::object {
          invalid_call(name, sigs, args, kwargs, first.is(not_given) ? py::handle() : first);
        },
        py::arg("_first") = not_given);
  }
}

}  // namespace wick::python
