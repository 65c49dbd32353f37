// IDX files, the format of MNIST and Fashion-MNIST.
//
//   byte 0-1   0x00 0x00
//   byte 2     element type: 0x08 unsigned byte (the only one wick reads)
//   byte 3     number of dimensions n
//   then       n sizes, each a big-endian uint32
//   then       the elements in row-major order
//
// So 0x00000801 starts a vector (labels) and 0x00000803 a 3-D array (images).
// Files may be gzip-compressed (.gz); the reader tells by their first bytes.
#pragma once

#include <string>

#include "core/tensor.h"

namespace wick::data {

// The array of an IDX file, raw or gzip, as a uint8 tensor of its sizes.
// Every problem names the file: Error when it cannot be read (missing,
// unreadable), ValueError when its contents are not a well-formed IDX file
// (wrong magic number or element type, a header or data shorter or longer
// than the sizes say, corrupt or truncated gzip data). It never reads past
// the data it was given, and allocates only as much memory as the file
// actually holds, whatever its header claims.
Tensor read_idx(const std::string& path);

// Writes a uint8 tensor (1 to 255 dims) as an IDX file, gzip-compressed when
// `gzip` (then the file name should end in .gz, as a convention only).
void write_idx(const std::string& path, const Tensor& array, bool gzip = false);

}  // namespace wick::data
