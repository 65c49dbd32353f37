// Creating tensors (ops/creation.h): wick.tensor / zeros / arange / randn ...,
// the *_like functions, Tensor.new_*, the in-place random fills, and
// wick.Generator (the random number generator objects that generator= takes).
#include <random>

#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

// The keyword-only arguments every factory takes: py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw().
py::arg_v dtype_kw() { return py::arg("dtype") = py::none(); }
py::arg_v device_kw() { return py::arg("device") = py::none(); }
py::arg_v requires_grad_kw() { return py::arg("requires_grad") = false; }
py::arg_v generator_kw() { return py::arg("generator") = py::none(); }

using OptDtype = std::optional<ScalarType>;
using OptDevice = std::optional<Device>;

// ---- generators ------------------------------------------------------------------------------

// wick.Generator: a Philox generator of its own (or, for wick.default_generator,
// the global one). wick's generators are counter-based and serve every device.
struct PyGenerator {
  std::shared_ptr<Generator> gen;
  Device device;
};

// The `generator=` argument: None (the default generator) or a wick.Generator.
Generator* generator_from(py::handle obj, const char* op) {
  if (obj.is_none()) return nullptr;
  if (!py::isinstance<PyGenerator>(obj)) {
    throw py::type_error(std::string(op) + "(): argument 'generator' must be wick.Generator, not " +
                         Py_TYPE(obj.ptr())->tp_name);
  }
  return obj.cast<const PyGenerator&>().gen.get();
}

// A seed: any Python int, negative ones included, as in PyTorch: its low 64 bits.
uint64_t seed_from(py::handle seed) {
  if (!PyLong_Check(seed.ptr()) || PyBool_Check(seed.ptr()))
    throw py::type_error(std::string("manual_seed expected an int, but got ") + Py_TYPE(seed.ptr())->tp_name);
  const unsigned long long s = PyLong_AsUnsignedLongLongMask(seed.ptr());
  if (PyErr_Occurred()) throw py::error_already_set();
  return s;
}

uint64_t nondeterministic_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

// A generator's state as PyTorch shows it, a uint8 tensor: here the seed and
// the counter offset, 8 little-endian bytes each.
Tensor get_state(const Generator& g) {
  Tensor state = empty({16}, TensorOptions(ScalarType::UInt8));
  uint8_t* p = state.data_ptr<uint8_t>();
  const uint64_t words[2] = {g.initial_seed(), g.offset()};
  for (int w = 0; w < 2; ++w)
    for (int b = 0; b < 8; ++b) p[w * 8 + b] = static_cast<uint8_t>(words[w] >> (8 * b));
  return state;
}

void set_state(Generator& g, const Tensor& state) {
  WICK_CHECK(state.dtype() == ScalarType::UInt8 && state.device().is_cpu(), TypeError,
             "RNG state must be a wick.uint8 CPU tensor, got a ", state.dtype(), " tensor on ", state.device());
  WICK_CHECK(state.numel() == 16, ValueError, "RNG state must have 16 elements (the seed and the offset), got ",
             state.numel());
  const Tensor s = state.contiguous();
  const uint8_t* p = s.data_ptr<uint8_t>();
  uint64_t words[2] = {0, 0};
  for (int w = 0; w < 2; ++w)
    for (int b = 0; b < 8; ++b) words[w] |= static_cast<uint64_t>(p[w * 8 + b]) << (8 * b);
  g.manual_seed(words[0]);
  g.set_offset(words[1]);
}

void init_generator(py::module_& m) {
  py::class_<PyGenerator>(m, "Generator",
                          "Generator(device='cpu') -> Generator\n\n"
                          "A random number generator with its own seed and position, to pass as generator= to\n"
                          "rand, randn, randint, randperm, bernoulli, normal_ and uniform_ so that their numbers\n"
                          "do not depend on (nor advance) the default generator. wick's generators are\n"
                          "counter-based (Philox) and serve the CPU and CUDA alike.\n\n"
                          "Example::\n\n"
                          "    >>> g = wick.Generator().manual_seed(42)\n"
                          "    >>> a = wick.rand(3, generator=g)\n"
                          "    >>> _ = g.manual_seed(42)   # it returns the generator\n"
                          "    >>> wick.equal(a, wick.rand(3, generator=g))\n"
                          "    True")
      .def(py::init([](std::optional<Device> device) {
             return PyGenerator{std::make_shared<Generator>(), device.value_or(kCPU)};
           }),
           py::arg("device") = py::none())
      .def_property_readonly(
          "device", [](const PyGenerator& g) { return g.device; }, "The device the generator is meant for.")
      .def(
          "manual_seed",
          [](py::object self, py::handle seed) {
            self.cast<PyGenerator&>().gen->manual_seed(seed_from(seed));
            return self;
          },
          py::arg("seed"),
          "manual_seed(seed) -> Generator\n\n"
          "Restarts the generator from `seed` (an int; negative ones count modulo 2**64). Returns the\n"
          "generator itself.")
      .def(
          "seed",
          [](const PyGenerator& g) {
            const uint64_t s = nondeterministic_seed();
            g.gen->manual_seed(s);
            return s;
          },
          "seed() -> int\n\nRestarts the generator from a nondeterministic seed, and returns that seed.")
      .def(
          "initial_seed", [](const PyGenerator& g) { return g.gen->initial_seed(); },
          "initial_seed() -> int\n\nThe seed the generator was last started from.")
      .def(
          "get_state", [](const PyGenerator& g) { return get_state(*g.gen); },
          "get_state() -> Tensor\n\n"
          "The generator's state as a wick.uint8 tensor, for set_state to restore later.")
      .def(
          "set_state",
          [](py::object self, const Tensor& state) {
            set_state(*self.cast<PyGenerator&>().gen, state);
            return self;
          },
          py::arg("new_state"),
          "set_state(new_state) -> Generator\n\n"
          "Restores a state that get_state returned: the numbers drawn next repeat those drawn after it.");
  // The generator ops use when given none; wick.manual_seed reseeds it.
  m.attr("default_generator") = PyGenerator{std::shared_ptr<Generator>(&default_generator(), [](Generator*) {}), kCPU};
  m.def(
      "seed",
      [] {
        const uint64_t s = nondeterministic_seed();
        manual_seed(s);
        return s;
      },
      "seed() -> int\n\nSeeds the default generator from a nondeterministic source, and returns that seed.");
  m.def(
      "get_rng_state", [] { return get_state(default_generator()); },
      "get_rng_state() -> Tensor\n\nThe default generator's state as a wick.uint8 tensor (see set_rng_state).");
  m.def(
      "set_rng_state", [](const Tensor& state) { set_state(default_generator(), state); }, py::arg("new_state"),
      "set_rng_state(new_state) -> None\n\nRestores the default generator's state from get_rng_state().");
}

// ---- factories -------------------------------------------------------------------------------

// A factory of the form f(*size, dtype=, device=, requires_grad=).
template <typename F>
void def_sized_factory(py::module_& m, const char* name, F make, const std::string& doc) {
  m.def(
      name,
      [make, name](const py::args& size, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = sizes_from_args(size, name);
        const TensorOptions options = make_options(dtype, device, requires_grad);
        return without_gil([&] { return make(sizes, options); });
      },
      py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), doc.c_str());
}

// The random factories rand/randn: f(*size, generator=, dtype=, device=, requires_grad=).
template <typename F>
void def_random_factory(py::module_& m, const char* name, F make, const std::string& doc) {
  m.def(
      name,
      [make, name](const py::args& size, py::handle generator, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = sizes_from_args(size, name);
        const TensorOptions options = make_options(dtype, device, requires_grad);
        Generator* gen = generator_from(generator, name);
        return without_gil([&] { return make(sizes, options, gen); });
      },
      py::kw_only(), generator_kw(), dtype_kw(), device_kw(), requires_grad_kw(), doc.c_str());
}

// A factory of the form f(input, dtype=, device=, requires_grad=): the shape,
// and unless given the dtype and device, of `input`.
template <typename F>
void def_like_factory(py::module_& m, const char* name, F make, const std::string& doc) {
  m.def(
      name,
      [make](const Tensor& like, OptDtype dtype, OptDevice device, bool requires_grad) {
        TensorOptions options = make_options(dtype.value_or(like.dtype()), device.value_or(like.device()), requires_grad);
        return without_gil([&] { return make(like, options); });
      },
      py::arg("input"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), doc.c_str());
}

// Tensor.new_zeros(*size, dtype=, device=, requires_grad=): dtype and device default to self's.
template <typename F>
void def_new_factory(TensorClass& cls, const char* name, F make, const std::string& doc) {
  cls.def(
      name,
      [make, name](const Tensor& self, const py::args& size, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = sizes_from_args(size, name);
        const TensorOptions options =
            make_options(dtype.value_or(self.dtype()), device.value_or(self.device()), requires_grad);
        return without_gil([&] { return make(sizes, options); });
      },
      py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), doc.c_str());
}

// The arguments every factory's docstring describes (pybind11 copies docstrings).
const std::string kFactoryArgs =
    "    dtype (wick.dtype, optional): the element type (default: wick.get_default_dtype()).\n"
    "    device (wick.device, optional): where to allocate it (default: the CPU).\n"
    "    requires_grad (bool): whether autograd records ops on the result (default: False).\n";
const std::string kLikeArgs =
    "Args:\n"
    "    input (Tensor): the tensor whose shape (and, unless given, dtype and device) to take.\n"
    "    dtype, device, requires_grad: as for wick.zeros.\n";
const std::string kNewArgs =
    "The dtype and device default to this tensor's.\n\n"
    "Args:\n"
    "    size (int...): the shape, as separate ints or one sequence.\n"
    "    dtype, device, requires_grad: as for wick.zeros.\n";

}  // namespace

namespace {

// From data.
void def_creation_from_data(py::module_& m, TensorClass& cls) {
  m.def("tensor", &tensor_from_data, py::arg("data"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
        "tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
        "A new tensor holding a copy of data: a number, nested lists or tuples of numbers, a NumPy\n"
        "array or another tensor. Without dtype, Python floats give the default float dtype, ints\n"
        "int64 and bools bool; NumPy data keeps its dtype.\n\n"
        "Example::\n\n"
        "    >>> wick.tensor([[1, 2], [3, 4]])\n"
        "    tensor([[1, 2],\n"
        "            [3, 4]])\n"
        "    >>> wick.tensor([1.0, 2.0], requires_grad=True)\n"
        "    tensor([1., 2.], requires_grad=True)");
  m.def("as_tensor", &as_tensor, py::arg("data"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
        "as_tensor(data, dtype=None, device=None) -> Tensor\n\n"
        "data as a tensor, sharing its memory when data already is a tensor or a NumPy array of the\n"
        "wanted dtype and device; otherwise a copy, as wick.tensor makes.\n\n"
        "Example::\n\n"
        "    >>> a = numpy.array([1.0, 2.0])\n"
        "    >>> t = wick.as_tensor(a)\n"
        "    >>> t[0] = 5.0       # a is now array([5., 2.])");
  m.def("from_numpy", &from_numpy, py::arg("ndarray"),
        "from_numpy(ndarray) -> Tensor\n\n"
        "A tensor over a NumPy array's memory (no copy): writes through either are seen by both.\n"
        "The array's dtype must be float64, float32, int64, int32, uint8 or bool.\n\n"
        "Example::\n\n"
        "    >>> wick.from_numpy(numpy.arange(3))\n"
        "    tensor([0, 1, 2])");
  m.def(
      "scalar_tensor",
      [](Scalar s, OptDtype dtype, OptDevice device, bool requires_grad) {
        return scalar_tensor(s, make_options(dtype, device, requires_grad));
      },
      py::arg("s"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(), py::call_guard<py::gil_scoped_release>(),
      "scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A 0-dimensional tensor holding the number s.\n\n"
      "Example::\n\n"
      "    >>> wick.scalar_tensor(3.5)\n"
      "    tensor(3.5000)");
}

// Filled.
void def_creation_filled(py::module_& m, TensorClass& cls) {
  m.def(
      "empty_strided",
      [](const std::vector<int64_t>& size, const std::vector<int64_t>& stride, OptDtype dtype, OptDevice device,
         bool requires_grad) {
        const TensorOptions options = make_options(dtype, device, requires_grad);
        return without_gil([&] { return empty_strided(size, stride, options); });
      },
      py::arg("size"), py::arg("stride"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      "empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given sizes and strides (in elements) over new memory just large enough for\n"
      "them; its values are not initialized.\n\n"
      "Example::\n\n"
      "    >>> wick.empty_strided((2, 3), (1, 2)).stride()\n"
      "    (1, 2)");
  def_sized_factory(
      m, "empty", [](IntArrayRef s, const TensorOptions& o) { return empty(s, o); },
      std::string("empty(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape whose values are not initialized (whatever the memory held).\n\n"
      "Args:\n"
      "    size (int...): the shape, as separate ints or one sequence.\n") + kFactoryArgs +
      "\nExample::\n\n"
      "    >>> wick.empty(2, 3).shape\n"
      "    wick.Size([2, 3])");
  def_sized_factory(
      m, "zeros", [](IntArrayRef s, const TensorOptions& o) { return zeros(s, o); },
      std::string("zeros(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape filled with 0.\n\n"
      "Args:\n"
      "    size (int...): the shape, as separate ints or one sequence.\n") + kFactoryArgs +
      "\nExample::\n\n"
      "    >>> wick.zeros(2, 3)\n"
      "    tensor([[0., 0., 0.],\n"
      "            [0., 0., 0.]])");
  def_sized_factory(
      m, "ones", [](IntArrayRef s, const TensorOptions& o) { return ones(s, o); },
      std::string("ones(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape filled with 1.\n\n"
      "Args:\n"
      "    size (int...): the shape, as separate ints or one sequence.\n") + kFactoryArgs +
      "\nExample::\n\n"
      "    >>> wick.ones((2,), dtype=wick.int64)\n"
      "    tensor([1, 1])");
  def_random_factory(
      m, "rand", [](IntArrayRef s, const TensorOptions& o, Generator* g) { return rand(s, o, g); },
      std::string("rand(*size, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape filled with numbers drawn uniformly from [0, 1).\n\n"
      "Args:\n"
      "    size (int...): the shape, as separate ints or one sequence.\n"
      "    generator (wick.Generator, optional): where the numbers come from (default: the global one).\n") + kFactoryArgs +
      "\nExample::\n\n"
      "    >>> wick.manual_seed(0)\n"
      "    >>> wick.rand(2, 3).shape\n"
      "    wick.Size([2, 3])");
  def_random_factory(
      m, "randn", [](IntArrayRef s, const TensorOptions& o, Generator* g) { return randn(s, o, g); },
      std::string("randn(*size, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape filled with numbers drawn from the standard normal distribution\n"
      "(mean 0, variance 1).\n\n"
      "Args:\n"
      "    size (int...): the shape, as separate ints or one sequence.\n"
      "    generator (wick.Generator, optional): where the numbers come from (default: the global one).\n") + kFactoryArgs +
      "\nExample::\n\n"
      "    >>> w = wick.randn(784, 128) * 0.01   # small random weights");
  m.def(
      "full",
      [](py::handle size, Scalar fill_value, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = int_list(size, "full", "size");
        return without_gil([&] { return full(sizes, fill_value, make_options(dtype, device, requires_grad)); });
      },
      py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      "full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of shape `size` filled with fill_value. Without dtype, the value's kind decides:\n"
      "bool, int64, or the default float dtype.\n\n"
      "Example::\n\n"
      "    >>> wick.full((2, 2), 7)\n"
      "    tensor([[7, 7],\n"
      "            [7, 7]])");
}

// Ranges.
void def_creation_ranges(py::module_& m, TensorClass& cls) {
  // arange(end), arange(start, end), arange(start, end, step); also by keyword.
  m.def(
      "arange",
      [](const py::args& args, std::optional<Scalar> start, std::optional<Scalar> end, std::optional<Scalar> step,
         OptDtype dtype, OptDevice device, bool requires_grad) {
        std::vector<Scalar> pos;
        for (py::handle a : args) {
          Scalar s;
          if (!scalar_from_object(a, s))
            throw py::type_error(std::string("arange(): expected numbers, got ") + Py_TYPE(a.ptr())->tp_name);
          pos.push_back(s);
        }
        if (pos.size() > 3) throw py::type_error("arange() takes at most 3 positional arguments (start, end, step)");
        if (pos.size() == 1 && !end) end = pos[0];
        else if (pos.size() >= 2) start = pos[0], end = pos[1];
        if (pos.size() == 3) step = pos[2];
        if (!end) throw py::type_error("arange() missing required argument 'end'");
        const TensorOptions o = make_options(dtype, device, requires_grad);
        return without_gil([&] { return arange(start.value_or(Scalar(int64_t{0})), *end, step.value_or(Scalar(int64_t{1})), o); });
      },
      py::kw_only(), py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("step") = py::none(),
      dtype_kw(), device_kw(), requires_grad_kw(),
      "arange(end) or arange(start, end, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A 1-D tensor of the values start, start + step, ... up to but not including end. int64 when\n"
      "all three are integers, else the default float dtype.\n\n"
      "Example::\n\n"
      "    >>> wick.arange(4)\n"
      "    tensor([0, 1, 2, 3])\n"
      "    >>> wick.arange(1, 2, 0.25)\n"
      "    tensor([1.0000, 1.2500, 1.5000, 1.7500])");
  m.def(
      "linspace",
      [](Scalar start, Scalar end, int64_t steps, OptDtype dtype, OptDevice device, bool requires_grad) {
        return linspace(start, end, steps, make_options(dtype, device, requires_grad));
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      py::call_guard<py::gil_scoped_release>(),
      "linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A 1-D tensor of `steps` evenly spaced values from start to end, both included.\n\n"
      "Example::\n\n"
      "    >>> wick.linspace(0, 1, 5)\n"
      "    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])");
  m.def(
      "eye",
      [](int64_t n, std::optional<int64_t> m_, OptDtype dtype, OptDevice device, bool requires_grad) {
        return eye(n, m_, make_options(dtype, device, requires_grad));
      },
      py::arg("n"), py::arg("m") = py::none(), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      py::call_guard<py::gil_scoped_release>(),
      "eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "An n x m matrix (m defaults to n) with ones on the diagonal and zeros elsewhere.\n\n"
      "Example::\n\n"
      "    >>> wick.eye(2)\n"
      "    tensor([[1., 0.],\n"
      "            [0., 1.]])");
}

// Random.
void def_creation_random(py::module_& m, TensorClass& cls) {
  // randint(high, size) or randint(low, high, size).
  m.def(
      "randint",
      [](const py::args& args, py::handle generator, OptDtype dtype, OptDevice device, bool requires_grad) {
        if (args.size() != 2 && args.size() != 3)
          throw py::type_error("randint() expects (high, size) or (low, high, size)");
        const int64_t low = args.size() == 3 ? int_from(args[0], "randint", "low") : 0;
        const int64_t high = int_from(args[args.size() - 2], "randint", "high");
        const std::vector<int64_t> sizes = int_list(args[args.size() - 1], "randint", "size");
        const TensorOptions o = make_options(dtype, device, requires_grad);
        Generator* gen = generator_from(generator, "randint");
        return without_gil([&] { return randint(low, high, sizes, o, gen); });
      },
      py::kw_only(), generator_kw(), dtype_kw(), device_kw(), requires_grad_kw(),
      "randint(low=0, high, size, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of shape `size` filled with integers drawn uniformly from [low, high); int64\n"
      "unless a dtype is given.\n\n"
      "Example::\n\n"
      "    >>> labels = wick.randint(10, (64,))   # 64 class labels in 0..9");
  m.def(
      "randperm",
      [](int64_t n, py::handle generator, OptDtype dtype, OptDevice device, bool requires_grad) {
        const TensorOptions o = make_options(dtype, device, requires_grad);
        Generator* gen = generator_from(generator, "randperm");
        return without_gil([&] { return randperm(n, o, gen); });
      },
      py::arg("n"), py::kw_only(), generator_kw(), dtype_kw(), device_kw(), requires_grad_kw(),
      "randperm(n, *, generator=None, dtype=wick.int64, device=None, requires_grad=False) -> Tensor\n\n"
      "A random permutation of the integers 0 .. n-1.\n\n"
      "Example::\n\n"
      "    >>> order = wick.randperm(5)   # a shuffled epoch of 5 samples\n"
      "    >>> sorted(order.tolist())\n"
      "    [0, 1, 2, 3, 4]");
  const char* bernoulli_doc =
      "bernoulli(input, *, generator=None) -> Tensor\n\n"
      "Draws 0 or 1 for each element: 1 with the probability the element gives (values in [0, 1]).\n"
      "The result has input's shape and dtype.\n\n"
      "Example::\n\n"
      "    >>> mask = wick.bernoulli(wick.full((3,), 0.5))";
  m.def(
      "bernoulli",
      [](const Tensor& p, py::handle generator) {
        Generator* gen = generator_from(generator, "bernoulli");
        return without_gil([&] { return bernoulli(p, gen); });
      },
      py::arg("input"), py::kw_only(), generator_kw(), bernoulli_doc);
  cls.def(
      "bernoulli",
      [](const Tensor& p, py::handle generator) {
        Generator* gen = generator_from(generator, "bernoulli");
        return without_gil([&] { return bernoulli(p, gen); });
      },
      py::kw_only(), generator_kw(), bernoulli_doc);
  cls.def(
         "uniform_",
         [](py::object self, double from, double to, py::handle generator) {
           Generator* gen = generator_from(generator, "uniform_");
           const Tensor& t = self.cast<const Tensor&>();
           without_gil([&] { uniform_(t, from, to, gen); });
           return self;
         },
         py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), generator_kw(),
         "uniform_(from=0, to=1, *, generator=None) -> Tensor\n\n"
         "Fills the tensor in place with numbers drawn uniformly from [from, to); returns it.")
      .def(
          "normal_",
          [](py::object self, double mean, double std, py::handle generator) {
            Generator* gen = generator_from(generator, "normal_");
            const Tensor& t = self.cast<const Tensor&>();
            without_gil([&] { normal_(t, mean, std, gen); });
            return self;
          },
          py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), generator_kw(),
          "normal_(mean=0, std=1, *, generator=None) -> Tensor\n\n"
          "Fills the tensor in place with numbers drawn from the normal distribution N(mean, std**2);\n"
          "returns it.\n\n"
          "Example::\n\n"
          "    >>> w = wick.empty(128, 784).normal_(0, 0.01)");
}

// The *_like factories.
void def_creation_like(py::module_& m, TensorClass& cls) {
  def_like_factory(
      m, "empty_like", [](const Tensor& l, const TensorOptions& o) { return empty_like(l, o); },
      std::string("empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "An uninitialized tensor of input's shape.\n\n") + kLikeArgs);
  def_like_factory(
      m, "zeros_like", [](const Tensor& l, const TensorOptions& o) { return zeros_like(l, o); },
      std::string("zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of input's shape filled with 0.\n\n") + kLikeArgs +
      "\nExample::\n\n"
      "    >>> wick.zeros_like(wick.ones(2, dtype=wick.int64))\n"
      "    tensor([0, 0])");
  def_like_factory(
      m, "ones_like", [](const Tensor& l, const TensorOptions& o) { return ones_like(l, o); },
      std::string("ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of input's shape filled with 1.\n\n") + kLikeArgs);
  def_like_factory(
      m, "rand_like", [](const Tensor& l, const TensorOptions& o) { return rand_like(l, o); },
      std::string("rand_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of input's shape filled with numbers drawn uniformly from [0, 1).\n\n") + kLikeArgs);
  def_like_factory(
      m, "randn_like", [](const Tensor& l, const TensorOptions& o) { return randn_like(l, o); },
      std::string("randn_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of input's shape filled with standard normal numbers.\n\n") + kLikeArgs);
  m.def(
      "full_like",
      [](const Tensor& like, Scalar fill_value, OptDtype dtype, OptDevice device, bool requires_grad) {
        return full_like(like, fill_value,
                         make_options(dtype.value_or(like.dtype()), device.value_or(like.device()), requires_grad));
      },
      py::arg("input"), py::arg("fill_value"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      py::call_guard<py::gil_scoped_release>(),
      (std::string("full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of input's shape filled with fill_value.\n\n") + kLikeArgs).c_str());
}

// Tensor.new_* factories.
void def_creation_tensor_new(py::module_& m, TensorClass& cls) {
  def_new_factory(
      cls, "new_empty", [](IntArrayRef s, const TensorOptions& o) { return empty(s, o); },
      std::string("new_empty(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "An uninitialized tensor of the given shape. ") + kNewArgs);
  def_new_factory(
      cls, "new_zeros", [](IntArrayRef s, const TensorOptions& o) { return zeros(s, o); },
      std::string("new_zeros(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape filled with 0. ") + kNewArgs +
      "\nExample::\n\n"
      "    >>> wick.ones(2, dtype=wick.float64).new_zeros(3)\n"
      "    tensor([0., 0., 0.], dtype=wick.float64)");
  def_new_factory(
      cls, "new_ones", [](IntArrayRef s, const TensorOptions& o) { return ones(s, o); },
      std::string("new_ones(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of the given shape filled with 1. ") + kNewArgs);
  cls.def(
      "new_full",
      [](const Tensor& self, py::handle size, Scalar fill_value, OptDtype dtype, OptDevice device, bool requires_grad) {
        const std::vector<int64_t> sizes = int_list(size, "new_full", "size");
        const TensorOptions o = make_options(dtype.value_or(self.dtype()), device.value_or(self.device()), requires_grad);
        return without_gil([&] { return full(sizes, fill_value, o); });
      },
      py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      "new_full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A tensor of shape `size` filled with fill_value; dtype and device default to this tensor's.");
  cls.def(
      "new_tensor",
      [](const Tensor& self, py::handle data, OptDtype dtype, OptDevice device, bool requires_grad) {
        return tensor_from_data(data, dtype.value_or(self.dtype()), device.value_or(self.device()), requires_grad);
      },
      py::arg("data"), py::kw_only(), dtype_kw(), device_kw(), requires_grad_kw(),
      "new_tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor\n\n"
      "A copy of data, as wick.tensor makes it, with this tensor's dtype and device unless given.");
}

}  // namespace

void init_creation(py::module_& m, TensorClass& cls) {
  init_generator(m);
  def_creation_from_data(m, cls);
  def_creation_filled(m, cls);
  def_creation_ranges(m, cls);
  def_creation_random(m, cls);
  def_creation_like(m, cls);
  def_creation_tensor_new(m, cls);
}

}  // namespace wick::python
