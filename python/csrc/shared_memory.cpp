// Tensors in shared memory from Python: the C++ half of wick.multiprocessing's
// reductions (python/wick/multiprocessing/reductions.py) and of the
// DataLoader's worker collation. Note [Shared memory] in core/shared_memory.cpp.
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

SharingStrategy strategy_from(const std::string& name) {
  if (name == "file_descriptor") return SharingStrategy::kFileDescriptor;
  if (name == "file_system") return SharingStrategy::kFileSystem;
  WICK_THROW(ValueError, "unknown sharing strategy '", name, "' (expected 'file_descriptor' or 'file_system')");
}

// A 1-d uint8 tensor over all of a storage's bytes: what the receiving side
// keeps per storage, and makes each tensor of a message over (_tensor_on_storage).
Tensor bytes_tensor(IntrusivePtr<StorageImpl> storage) {
  const int64_t n = static_cast<int64_t>(storage->nbytes());
  return Tensor(IntrusivePtr<TensorImpl>(new TensorImpl(std::move(storage), ScalarType::UInt8, {n}, {1}, 0)));
}

}  // namespace

void init_shared_memory(py::module_& m) {
  m.def(
      "_share_memory_",
      [](const Tensor& t, const std::string& strategy) { share_memory(*t.impl()->storage(), strategy_from(strategy)); },
      py::arg("tensor"), py::arg("strategy"));
  m.def(
      "_is_shared_memory", [](const Tensor& t) { return is_shared_memory(*t.impl()->storage()); }, py::arg("tensor"));
  // (strategy, descriptor or name, storage bytes). A 'file_system' handle reserves a reference for its receiver.
  m.def(
      "_shared_memory_handle",
      [](const Tensor& t) {
        const SharedMemoryHandle h = shared_memory_handle(*t.impl()->storage());
        if (h.strategy == SharingStrategy::kFileSystem)
          return py::make_tuple("file_system", h.name, h.nbytes);
        return py::make_tuple("file_descriptor", h.fd, h.nbytes);
      },
      py::arg("tensor"));
  m.def(
      "_storage_from_shared_fd",
      [](int fd, size_t nbytes, bool keep_fd) { return bytes_tensor(storage_from_shared_fd(fd, nbytes, keep_fd)); },
      py::arg("fd"), py::arg("nbytes"), py::arg("keep_fd"));
  m.def(
      "_storage_from_shared_name",
      [](const std::string& name, size_t nbytes) { return bytes_tensor(storage_from_shared_name(name, nbytes)); },
      py::arg("name"), py::arg("nbytes"));
  m.def("_release_shared_name", &release_shared_name, py::arg("name"));
  m.def("_shared_memory_stats", [] {
    const SharedMemoryStats s = shared_memory_stats();
    py::dict d;
    d["segments_created"] = s.segments_created;
    d["bytes_moved"] = s.bytes_moved;
    return d;
  });
  // An uninitialised-looking (zero) contiguous tensor in shared memory: what a worker collates a batch into.
  m.def(
      "_empty_shared",
      [](py::handle shape, ScalarType dtype, const std::string& strategy) {
        const std::vector<int64_t> sizes = int_list(shape, "_empty_shared", "shape");
        const int64_t numel = checked_numel(sizes, "_empty_shared");
        auto storage =
            empty_shared_storage(static_cast<size_t>(numel) * itemsize(dtype), strategy_from(strategy));
        return Tensor(IntrusivePtr<TensorImpl>(
            new TensorImpl(std::move(storage), dtype, sizes, contiguous_strides(sizes), 0)));
      },
      py::arg("shape"), py::arg("dtype"), py::arg("strategy"));
  // stack(tensors) written into `out` (a contiguous tensor of shape [len, *sample]), with one copy per sample:
  // how a worker collates a batch into shared memory (stack's out= computes, then copies).
  m.def(
      "_stack_into",
      [](const TensorList& tensors, const Tensor& out) {
        WICK_CHECK(out.dim() >= 1 && out.sizes()[0] == static_cast<int64_t>(tensors.size()), ValueError,
                   "_stack_into: ", tensors.size(), " tensors into a tensor of shape ", out.sizes());
        const IntArrayRef sample(out.sizes().data() + 1, out.sizes().size() - 1);
        for (size_t i = 0; i < tensors.size(); ++i) {
          WICK_CHECK(tensors[i].sizes() == sample, ValueError, "_stack_into: tensor ", i, " has shape ",
                     tensors[i].sizes(), ", not ", sample);
          out.select(0, static_cast<int64_t>(i)).copy_(tensors[i]);
        }
        return out;
      },
      py::arg("tensors"), py::arg("out"), py::call_guard<py::gil_scoped_release>());
  // A tensor of the given geometry over the storage of `storage` (a _storage_from_shared_* result),
  // checked to lie inside it: the geometry comes from another process.
  m.def(
      "_tensor_on_storage",
      [](const Tensor& storage, ScalarType dtype, py::handle shape, py::handle stride, int64_t offset) {
        const std::vector<int64_t> sizes = int_list(shape, "_tensor_on_storage", "shape");
        const std::vector<int64_t> strides = int_list(stride, "_tensor_on_storage", "stride");
        const int64_t numel = checked_numel(sizes, "_tensor_on_storage");
        const auto& impl = storage.impl()->storage();
        const int64_t capacity = static_cast<int64_t>(impl->nbytes() / itemsize(dtype));
        WICK_CHECK(strides.size() == sizes.size() && offset >= 0, ValueError,
                   "_tensor_on_storage: a shape of ", sizes.size(), " dims with ", strides.size(),
                   " strides and offset ", offset);
        if (numel > 0) {
          int64_t last = offset;  // the furthest element
          for (size_t d = 0; d < sizes.size(); ++d) {
            WICK_CHECK(strides[d] >= 0 && strides[d] <= capacity, ValueError, "_tensor_on_storage: stride ",
                       strides[d], " does not fit a storage of ", capacity, " elements");
            int64_t reach;
            const bool overflow = __builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) ||
                                  __builtin_add_overflow(last, reach, &last);
            WICK_CHECK(!overflow && last < capacity, ValueError, "_tensor_on_storage: a ", dtype, " tensor of shape ",
                       IntArrayRef(sizes), ", strides ", IntArrayRef(strides), " and offset ", offset,
                       " reaches past a storage of ", impl->nbytes(), " bytes");
          }
        }
        return Tensor(IntrusivePtr<TensorImpl>(new TensorImpl(impl, dtype, sizes, strides, offset)));
      },
      py::arg("storage"), py::arg("dtype"), py::arg("shape"), py::arg("stride"), py::arg("offset"));
}

}  // namespace wick::python
