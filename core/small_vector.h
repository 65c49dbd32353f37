// SmallVector: a vector that keeps its first N elements inline, so the sizes
// and strides of an ordinary tensor, and the edges of an ordinary autograd
// node, never touch the heap. Slots past size() hold default-constructed
// values (an element is reset when removed), which keeps it simple for any
// default-constructible T.
//
// IntArrayRef: a non-owning view of int64 sizes, built from braces, vectors or
// SmallVectors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <type_traits>
#include <vector>

namespace wick {

class IntArrayRef {
 public:
  constexpr IntArrayRef() = default;
  constexpr IntArrayRef(const int64_t* data, size_t size) : data_(data), size_(size) {}
  // A single value is a one-element list, as in x.sum(1).
  constexpr IntArrayRef(const int64_t& one) : data_(&one), size_(1) {}
  // Braces make a temporary array that lives until the end of the full
  // expression: fine for an argument, which is what IntArrayRef is for.
#if defined(__GNUC__) && !defined(__clang__)  // GCC's warning; clang has no such group
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  constexpr IntArrayRef(std::initializer_list<int64_t> il) : data_(il.begin()), size_(il.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  IntArrayRef(const std::vector<int64_t>& v) : data_(v.data()), size_(v.size()) {}

  constexpr const int64_t* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const int64_t* begin() const { return data_; }
  constexpr const int64_t* end() const { return data_ + size_; }
  constexpr int64_t operator[](size_t i) const { return data_[i]; }
  constexpr int64_t back() const { return data_[size_ - 1]; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  friend bool operator==(IntArrayRef a, IntArrayRef b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  const int64_t* data_ = nullptr;
  size_t size_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, IntArrayRef a) {
  os << '[';
  for (size_t i = 0; i < a.size(); ++i) os << (i ? ", " : "") << a[i];
  return os << ']';
}

template <typename T, size_t N>
class SmallVector {
  static_assert(std::is_default_constructible_v<T> && std::is_move_assignable_v<T>);

 public:
  SmallVector() = default;
  explicit SmallVector(size_t n, T value = T()) { resize(n, value); }
  SmallVector(std::initializer_list<T> il) { assign(il.begin(), il.end()); }
  template <typename It>
  SmallVector(It first, It last) {
    assign(first, last);
  }
  SmallVector(IntArrayRef r)
    requires std::is_same_v<T, int64_t>
  {
    assign(r.begin(), r.end());
  }
  SmallVector(const SmallVector& o) { assign(o.begin(), o.end()); }
  SmallVector(SmallVector&& o) noexcept { steal(o); }
  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) {
      release();
      steal(o);
    }
    return *this;
  }
  ~SmallVector() { release(); }

  template <typename It>
  void assign(It first, It last) {
    clear();
    reserve(static_cast<size_t>(std::distance(first, last)));
    for (; first != last; ++first) data_[size_++] = static_cast<T>(*first);
  }
  void reserve(size_t n) {
    if (n <= cap_) return;
    T* fresh = new T[n];
    std::move(data_, data_ + size_, fresh);
    const size_t size = size_;
    release();
    data_ = fresh;
    cap_ = n;
    size_ = size;
  }
  void resize(size_t n, const T& value = T()) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) data_[i] = value;
    truncate(std::min(n, size_));
    size_ = n;
  }
  void push_back(T v) {
    if (size_ == cap_) reserve(cap_ * 2);
    data_[size_++] = std::move(v);
  }
  void pop_back() { truncate(size_ - 1); }
  void insert(size_t pos, T v) {
    push_back(std::move(v));
    std::rotate(data_ + pos, data_ + size_ - 1, data_ + size_);
  }
  void erase(size_t pos) {
    std::move(data_ + pos + 1, data_ + size_, data_ + pos);
    truncate(size_ - 1);
  }
  void clear() { truncate(0); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  operator IntArrayRef() const
    requires std::is_same_v<T, int64_t>
  {
    return {data_, size_};
  }
  std::vector<T> vec() const { return {begin(), end()}; }
  friend bool operator==(const SmallVector& a, const SmallVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  bool on_heap() const { return data_ != inline_; }
  // Drops the elements from n on (resetting their slots, so that a removed
  // element releases what it holds now, not when the vector dies).
  void truncate(size_t n) {
    if constexpr (!std::is_trivially_copyable_v<T>) std::fill(data_ + n, data_ + size_, T());
    size_ = n;
  }
  // Frees the heap block, if any; the vector is then empty and inline.
  void release() {
    if (on_heap()) delete[] data_;
    else truncate(0);
    data_ = inline_;
    cap_ = N;
    size_ = 0;
  }
  void steal(SmallVector& o) {
    if (o.on_heap()) {
      data_ = o.data_;
      cap_ = o.cap_;
      size_ = o.size_;
      o.data_ = o.inline_;
      o.cap_ = N;
    } else {
      data_ = inline_;
      cap_ = N;
      size_ = o.size_;
      std::move(o.inline_, o.inline_ + size_, inline_);
      o.truncate(0);
    }
    o.size_ = 0;
  }

  T* data_ = inline_;
  size_t size_ = 0;
  size_t cap_ = N;
  T inline_[N];
};

// Sizes and strides of one tensor: inline up to 6 dimensions.
using DimVector = SmallVector<int64_t, 6>;

}  // namespace wick
