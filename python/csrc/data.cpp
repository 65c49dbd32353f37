// Data loading from Python: the C++ readers behind wick.datasets (IDX files,
// MNIST pairs, text corpora, character windows) in the submodule
// wick._C._data, and the autograd graph's DOT export behind
// wick.autograd.graph.to_dot. File reading and decoding run without the GIL.
#include "autograd/graph_dot.h"
#include "data/idx.h"
#include "data/mnist.h"
#include "data/text.h"
#include "python/csrc/bindings.h"

namespace wick::python {

namespace {

using data::CharDataset;
using data::Example;
using data::TextCorpus;
using data::Vocabulary;

py::tuple pair(Example e) { return py::make_tuple(std::move(e.data), std::move(e.target)); }

std::optional<data::Normalize> normalize_from(std::optional<double> mean, std::optional<double> std) {
  if (!mean && !std) return std::nullopt;
  if (!mean || !std) throw py::value_error("normalize needs both a mean and a std");
  return data::Normalize{*mean, *std};
}

void init_readers(py::module_& d) {
  using py::arg;
  const auto no_gil = py::call_guard<py::gil_scoped_release>();
  d.attr("FASHION_MNIST_ROOT") = data::FashionMNIST::kDefaultRoot;
  d.attr("FORTUNES_DIR") = data::kFortunesDir;

  d.def("read_idx", &data::read_idx, arg("path"), no_gil,
        "The array of an IDX file (raw or gzip) as a uint8 tensor of its sizes.");
  d.def("write_idx", &data::write_idx, arg("path"), arg("array"), arg("gzip") = false, no_gil,
        "Writes a uint8 tensor as an IDX file, gzip-compressed when gzip=True.");
  d.def("mnist_files", &data::mnist_files, arg("root"), arg("train"), arg("name"), no_gil,
        "The (images, labels) IDX paths of a split of MNIST or FashionMNIST in root.");
  d.def(
      "read_mnist_pair",
      [](const std::string& images, const std::string& labels) {
        Example e = without_gil([&] { return data::read_mnist_pair(images, labels); });
        return pair(std::move(e));
      },
      arg("images_path"), arg("labels_path"),
      "(uint8 images [N, H, W], int64 labels [N]) of an IDX pair, checked against each other.");
  d.def(
      "images_to_float",
      [](const Tensor& images, std::optional<double> mean, std::optional<double> std) {
        auto normalize = normalize_from(mean, std);
        return without_gil([&] { return data::images_to_float(images, normalize); });
      },
      arg("images"), arg("mean") = py::none(), arg("std") = py::none(),
      "uint8 images [N, H, W] -> float32 [N, 1, H, W] in [0, 1], then (x - mean) / std if given.");

  d.def("read_text_file", &data::read_text_file, arg("path"), no_gil, "The contents of a UTF-8 text file.");
  d.def("read_fortunes", &data::read_fortunes, arg("dir") = std::string(data::kFortunesDir), no_gil,
        "The fortunes of Debian's fortunes package, without their '%' separator lines.");
}

void init_text(py::module_& d) {
  using py::arg;
  const auto no_gil = py::call_guard<py::gil_scoped_release>();
  py::class_<Vocabulary>(d, "Vocabulary", "The sorted distinct characters of a text, with their ids.")
      .def(py::init<std::string>(), arg("text"), no_gil)
      .def("__len__", &Vocabulary::size)
      .def_property_readonly("chars", &Vocabulary::chars)
      .def("id", &Vocabulary::id, arg("char"))
      .def("encode", &Vocabulary::encode, arg("text"), no_gil)
      .def("decode", &Vocabulary::decode, arg("ids"), no_gil)
      .def("__eq__", [](const Vocabulary& a, const Vocabulary& b) { return a == b; });

  py::class_<CharDataset, std::shared_ptr<CharDataset>>(d, "CharDataset",
                                                        "Windows of character ids for next-character prediction.")
      .def(py::init<Tensor, int64_t, int64_t>(), arg("ids"), arg("seq_len"), arg("stride") = 0)
      .def("__len__", &CharDataset::size)
      .def("get", [](const CharDataset& ds, int64_t i) { return pair(ds.get(i)); }, arg("index"))
      .def(
          "get_batch",
          [](const CharDataset& ds, const Tensor& indices) {
            Example e = without_gil([&] { return ds.get_batch(indices); });
            return pair(std::move(e));
          },
          arg("indices"))
      .def_property_readonly("seq_len", &CharDataset::seq_len)
      .def_property_readonly("stride", &CharDataset::stride)
      .def_property_readonly("ids", &CharDataset::ids);

  py::class_<TextCorpus>(d, "TextCorpus", "A text as character ids over its vocabulary.")
      .def(py::init<std::string>(), arg("text"), no_gil)
      .def_static("fortunes", &TextCorpus::fortunes, arg("dir") = std::string(data::kFortunesDir), no_gil)
      .def_static("from_file", &TextCorpus::from_file, arg("path"), no_gil)
      .def_property_readonly("text", &TextCorpus::text)
      .def_property_readonly("vocab", &TextCorpus::vocab)
      .def_property_readonly("ids", &TextCorpus::ids)
      .def(
          "split",
          [](const TextCorpus& c, int64_t seq_len, double test_fraction, int64_t stride) {
            TextCorpus::Split s = without_gil([&] { return c.split(seq_len, test_fraction, stride); });
            return py::make_tuple(s.train, s.test ? py::cast(s.test) : py::none());
          },
          arg("seq_len"), arg("test_fraction") = 0.1, arg("stride") = 0);
}

}  // namespace

void init_data(py::module_& m, TensorClass& /*cls*/) {
  py::module_ d = m.def_submodule("_data", "wick's C++ data readers, used by wick.datasets.");
  init_readers(d);
  init_text(d);

  m.def(
      "_graph_to_dot",
      [](const TensorList& roots, const std::vector<std::pair<std::string, Tensor>>& params) {
        return without_gil([&] { return to_dot(roots, params); });
      },
      py::arg("roots"), py::arg("params"), "Graphviz DOT text of the autograd graph behind `roots`.");
}

}  // namespace wick::python
