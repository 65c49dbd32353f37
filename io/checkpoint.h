// Checkpoints: saving and loading an io::Value (tensors, a state_dict, an
// optimizer's state, any tree of them) in wick's own safe format. Python's
// wick.save / wick.load write and read the same files.
//
//   io::save(io::Dict{{"weight", w}, {"step", 10}}, "model.wick");
//   io::Value v = io::load("model.wick");               // tensors back on their saved devices
//   io::Value c = io::load("model.wick", kCPU);         // everything on the CPU
//   io::save_tensors(model_state, "weights.wick");      // a flat name -> tensor map
//
// ============================== The file format, version 1 ==============================
//
// Self-describing and safe in the spirit of safetensors: a JSON header says what
// the file holds, the raw bytes follow, and reading it never runs code.
// A file is, with nothing before, between or after:
//
//   preamble  64 bytes, fixed layout
//   header    header_len bytes of UTF-8 JSON: the saved tree
//   padding   zero bytes up to data_start, the next multiple of 64
//   data      data_len bytes: the tensors' elements
//
// so its size is exactly data_start + data_len. Integers are little-endian.
//
// Preamble:
//   offset  size  field
//        0     8  magic 89 57 49 43 4B 0D 0A 1A ("\x89WICK\r\n\x1a": like PNG's, it
//                 catches files mangled by text-mode or 7-bit transfers)
//        8     4  format version, 1
//       12     4  flags, 0 (reserved)
//       16     8  header_len, at most 16 MiB
//       24     8  data_len
//       32     4  header_crc: CRC-32 of bytes [64, data_start), the header and its padding
//       36     4  data_crc: CRC-32 of the data section
//       40    20  reserved, zero
//       60     4  preamble_crc: CRC-32 of bytes [0, 60)
// CRC-32 is zlib's crc32 (the ISO-HDLC polynomial, as in gzip and PNG). Every
// byte of a file is under one of the three, so any corruption of up to 32
// consecutive bits (every single bit flip among them) is detected.
//
// Header: the JSON object {"root": NODE}, where a NODE is one of
//   null, true, false                   None, a bool
//   an integer literal: -12             an int (int64)
//   a string: "relu"                    a string
//   {"float": "0.1"}                    a float (double): its shortest round-trip
//                                       decimal text, or "nan", "inf", "-inf"
//   {"list": [NODE, ...]}               a list
//   {"tuple": [NODE, ...]}              a Python tuple (a List in C++)
//   {"dict": {"key": NODE, ...}}        a dict with string keys, in insertion order
//   {"int_dict": {"0": NODE, ...}}      a dict with int keys (an optimizer's state),
//                                       each key the canonical decimal of an int64
//   {"tensor": {"dtype": "float32", "shape": [2, 3], "device": "cpu",
//               "requires_grad": false, "offset": 0, "nbytes": 24}}
//                                       a tensor; "parameter": true marks an nn.Parameter,
//                                       "numpy": true a NumPy array (cpu, no grad)
// A wrapper object has exactly its one member; a tensor object exactly the
// members shown (plus the optional "parameter" or "numpy"). dtype is one of bool, uint8,
// int32, int64, float16, bfloat16, float32, float64; shape lists at most 64
// sizes, each >= 0; device is where the tensor was saved from ("cpu", "cuda:1");
// requires_grad may be true only for floating dtypes; offset is where the
// tensor's bytes start in the data section and nbytes = product(shape) *
// itemsize. Containers nest at most 100 deep.
//
// Data: the tensors in the order a depth-first walk of the header meets them,
// the first at offset 0 and each next one at the first multiple of 64 at or
// after the end of the one before, zero bytes between; data_len is the end of
// the last tensor (0 without tensors). Elements are row-major (C-contiguous),
// little-endian: bool one byte 0 or 1, float16 IEEE binary16, bfloat16 the high
// half of a float32.
//
// What a file does not keep: strides (a view or non-contiguous tensor is saved
// as its values and loads contiguous), storage sharing (tensors that share
// memory are saved, and load, as independent copies), gradients and grad_fn (a
// non-leaf tensor loads as a leaf that requires grad, as in PyTorch), and
// object identity (a value referenced twice is written twice).
//
// Note [Header memory]
// Loading holds the header's values twice for a moment (io::Value, then
// Python's objects), and a small value is cheap to write but not to hold: a
// null is five bytes of JSON and 8 of a Python list, a short dict key six
// bytes and ~200 in C++ and Python together, an empty tensor ~95 bytes and
// ~700. So a header holds at most kMaxHeaderValues values (a tensor counts
// kTensorValues), and one more for every kDataBytesPerExtraValue bytes of
// tensor data, which real checkpoints bring with their tensors. The JSON is
// read straight into the value tree, never into a tree of its own, and a file
// loaded by path never holds more than its header in memory beside what it
// builds. With these limits, wick.load of any file of S bytes grows the
// process by at most 4 S + 64 MiB (tests/python/test_serialization.py checks
// the worst kinds at the limit: short strings, ints, nulls, keys, empty
// containers, empty tensors). wick.save refuses a tree past the limit, so it
// never writes a file that load refuses.
//
// Saving is atomic: the bytes go to a new temporary file in the target's
// directory, which is fsync'ed and renamed over the target, and the directory
// is fsync'ed. A failed save (an exception, a full disk, a crash) leaves the
// previous file as it was. Loading checks the whole preamble and header
// (sizes against the file's size, offsets within the data section, nbytes
// against shapes without overflow, known dtypes and devices, depth) before it
// allocates a tensor, and the checksums before it returns: a truncated,
// corrupted or hostile file throws CheckpointError naming the file and what is
// wrong, never reads out of bounds, and never allocates more than the file's
// size in tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "io/value.h"

namespace wick::io {

constexpr uint32_t kFormatVersion = 1;
constexpr size_t kPreambleBytes = 64;
constexpr uint64_t kAlignment = 64;
constexpr uint64_t kMaxHeaderBytes = uint64_t{16} << 20;
constexpr int kMaxDepth = 100;
constexpr int kMaxDims = 64;
// How many values a header may hold: 2^18, and one more for every 256 bytes of
// the data section. None, a bool, an int, a float, a string, a list and a dict
// count one; a tensor, which costs a loader about four times as much, counts
// kTensorValues. See "Memory" in the format's description above.
constexpr uint64_t kMaxHeaderValues = uint64_t{1} << 18;
constexpr uint64_t kDataBytesPerExtraValue = 256;
constexpr uint64_t kTensorValues = 4;
constexpr uint64_t max_header_values(uint64_t data_len) {
  return kMaxHeaderValues + data_len / kDataBytesPerExtraValue;
}

// A file that is not a valid checkpoint: truncated, corrupted, hostile or not
// one of wick's. RuntimeError in Python.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

// The operating system refused (a missing file, a full disk, no permission):
// the matching OSError subclass in Python (FileNotFoundError ...).
class FileError : public Error {
 public:
  FileError(const std::string& message, int error_code, std::string path)
      : Error(message), error_code_(error_code), path_(std::move(path)) {}
  int error_code() const { return error_code_; }  // errno
  const std::string& path() const { return path_; }

 private:
  int error_code_;
  std::string path_;
};

// Where each loaded tensor goes, given the device it was saved from.
using DeviceMap = std::function<Device(Device saved)>;

// Writes `value` to `path` atomically. ValueError for a tree that cannot be
// saved (an undefined tensor, a string that is not UTF-8, nesting past
// kMaxDepth), FileError when the system refuses.
void save(const Value& value, const std::string& path);

// Reads a checkpoint. Without map_location each tensor goes back to the device
// it was saved from (an error if that device is not available); with it, to
// map_location.
Value load(const std::string& path, std::optional<Device> map_location = std::nullopt);
Value load(const std::string& path, const DeviceMap& map_location);

// The same in memory (Python's file objects): the bytes `save` would write,
// and a checkpoint read from bytes; `name` stands for the file in messages.
std::string save_to_bytes(const Value& value);
Value load_from_bytes(std::string_view bytes, const DeviceMap& map_location = {},
                      std::string_view name = "<bytes>");
// The size of the whole checkpoint whose first bytes are `head` (at least
// kPreambleBytes of them), for reading one from a stream; CheckpointError when
// they are not a valid preamble.
uint64_t checkpoint_size(std::string_view head, std::string_view name);

// A checkpoint laid out but not yet written: validates the tree and builds the
// header on construction, so its size is known before any byte is written (a
// caller can allocate exactly). Holds the tensors, not copies of them.
class Writer {
 public:
  explicit Writer(const Value& value);
  uint64_t size() const { return data_start_ + data_len_; }
  // Writes exactly size() bytes at dst.
  void write_to(void* dst) const;
  // Writes the file atomically (see save).
  void write_to_file(const std::string& path) const;
  class Sink;  // where the bytes go: memory or a file

 private:
  void write_body(Sink& sink, uint32_t& header_crc, uint32_t& data_crc) const;
  std::string preamble(uint32_t header_crc, uint32_t data_crc) const;

  std::string header_;
  std::vector<Tensor> tensors_;  // in data order
  std::vector<uint64_t> nbytes_;  // their sizes when the header was written
  uint64_t data_start_ = 0;
  uint64_t data_len_ = 0;
};

// A flat, ordered name -> tensor map (a model's state_dict).
using TensorDict = std::vector<std::pair<std::string, Tensor>>;
void save_tensors(const TensorDict& tensors, const std::string& path);
// TypeError when the file's root is not a dict of tensors.
TensorDict load_tensors(const std::string& path, std::optional<Device> map_location = std::nullopt);

}  // namespace wick::io
