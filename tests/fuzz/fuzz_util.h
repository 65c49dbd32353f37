// What the libFuzzer targets of tests/fuzz share (README.md there says how to
// run them). A target feeds one input to one parser; a wick::Error is the
// parser refusing the input, which is fine; anything else (a crash, a
// sanitizer report, another exception, a broken round trip, an allocation
// past libFuzzer's -malloc_limit_mb) is a finding.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace wick::fuzz {

// A finding that is not a crash: print it and abort, so libFuzzer saves the input.
[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

// The input as a file, for readers that take a path: one memfd per process,
// rewritten for each input, named by its /proc/self/fd path.
inline const std::string& as_file(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("wick-fuzz", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ftruncate(fd, 0) != 0) finding("memfd_create or ftruncate failed");
  for (size_t done = 0; done < size;) {
    const ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) finding("pwrite to the memfd failed");
    done += static_cast<size_t>(n);
  }
  return path;
}

}  // namespace wick::fuzz
