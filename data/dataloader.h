// DataLoader: a dataset in batches, shuffled or in order, loaded ahead of the
// training loop on a background thread.
//
//   auto train = std::make_shared<data::FashionMNIST>();
//   data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 0});
//   for (int epoch = 0; epoch < 3; ++epoch)
//     for (const data::Example& batch : loader) {   // batch.data [64, 1, 28, 28], batch.target [64]
//       ...
//     }
//
// Each range-for (each begin()) is one epoch. Every example appears exactly
// once per epoch; with drop_last the final partial batch is left out. The
// shuffle order comes from wick's Philox generator: with `seed` set, the
// loader's own generator (epochs differ from each other, runs repeat
// exactly); without, the default generator, so wick::manual_seed makes runs
// repeat. The order is drawn on the calling thread when the epoch starts.
//
// Note [Prefetching thread]
// An epoch starts a thread that calls dataset->get_batch for batch after
// batch and keeps up to `prefetch` of them ready in a bounded queue: the
// training loop takes a batch without waiting, and loading never runs more
// than `prefetch` batches ahead (memory stays bounded). The thread runs its
// ops with grad mode off and on one OpenMP thread, so it does not compete
// with the training loop's parallel kernels for the cores. An exception in
// get_batch travels to the consumer and is rethrown where the failing batch
// would have been delivered, after the batches before it. Starting a new
// epoch, or destroying the loader, in the middle of an epoch stops the thread
// and waits for the batch it is loading.
//
// This loader keeps its thread where Python's DataLoader starts worker
// processes (Note [Loading processes] in python/wick/utils/data/dataloader.py):
// a C++ dataset holds no interpreter lock, so a thread overlaps loading with
// training without pickling anything or copying batches between processes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "autograd/grad_mode.h"
#include "core/generator.h"
#include "core/parallel.h"
#include "data/dataset.h"
#include "ops/creation.h"
#include "ops/view.h"

namespace wick::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  // Leave out the last batch when it would be smaller than batch_size.
  bool drop_last = false;
  // Seed of the shuffle order (unset: the default generator's stream).
  std::optional<uint64_t> seed = std::nullopt;
  // Batches loaded ahead on the background thread; 0 loads each batch on
  // the calling thread when it is asked for.
  int64_t prefetch = 2;
};

namespace detail {

// One epoch: the order of the examples and, with prefetching, the thread
// that loads its batches (Note [Prefetching thread]).
template <typename ExampleT>
class Epoch {
 public:
  Epoch(std::shared_ptr<const Dataset<ExampleT>> dataset, Tensor order, int64_t batch_size, int64_t num_batches,
        int64_t prefetch)
      : dataset_(std::move(dataset)),
        order_(std::move(order)),
        batch_size_(batch_size),
        num_batches_(num_batches),
        capacity_(static_cast<size_t>(prefetch)) {
    if (capacity_ > 0 && num_batches_ > 0) worker_ = std::thread([this] { run(); });
  }
  ~Epoch() { stop(); }
  Epoch(const Epoch&) = delete;
  Epoch& operator=(const Epoch&) = delete;

  ExampleT& current() { return current_; }

  // Makes the next batch current; false (and an empty current batch) after
  // the last one. Rethrows an error of the loading thread.
  bool advance() {
    if (!next(current_)) {
      current_ = ExampleT();
      return false;
    }
    return true;
  }

 private:
  bool next(ExampleT& out) {
    if (delivered_ >= num_batches_) return false;
    if (capacity_ == 0) {
      try {
        out = dataset_->get_batch(indices(delivered_));
      } catch (...) {
        delivered_ = num_batches_;  // as with the thread: an error ends the epoch
        throw;
      }
      ++delivered_;
      return true;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || error_; });
    if (!queue_.empty()) {
      out = std::move(queue_.front());
      queue_.pop_front();
      ++delivered_;
      lock.unlock();
      space_.notify_one();
      return true;
    }
    delivered_ = num_batches_;  // the thread has stopped: this epoch is over
    std::rethrow_exception(error_);
  }

  Tensor indices(int64_t batch) const {
    const int64_t start = batch * batch_size_;
    return narrow(order_, 0, start, std::min(batch_size_, order_.size(0) - start));
  }

  void run() {
    set_num_threads(1);
    NoGradGuard no_grad;
    try {
      for (int64_t b = 0; b < num_batches_; ++b) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          space_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
          if (stop_) return;
        }
        ExampleT batch = dataset_->get_batch(indices(b));
        {
          std::lock_guard<std::mutex> lock(mutex_);
          queue_.push_back(std::move(batch));
        }
        ready_.notify_one();
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
      }
      ready_.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  std::shared_ptr<const Dataset<ExampleT>> dataset_;
  Tensor order_;
  int64_t batch_size_;
  int64_t num_batches_;
  size_t capacity_;
  int64_t delivered_ = 0;  // consumer side only
  ExampleT current_{};

  std::mutex mutex_;
  std::condition_variable ready_;  // a batch or an error arrived
  std::condition_variable space_;  // the queue has room, or stop
  std::deque<ExampleT> queue_;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace detail

template <typename ExampleT = Example>
class DataLoader {
 public:
  using Batch = ExampleT;

  explicit DataLoader(std::shared_ptr<const Dataset<ExampleT>> dataset, DataLoaderOptions options = {})
      : dataset_(std::move(dataset)), options_(options) {
    WICK_CHECK(dataset_ != nullptr, ValueError, "DataLoader: the dataset is null");
    WICK_CHECK(options_.batch_size >= 1, ValueError,
               "DataLoader: batch_size should be a positive integer value, but got batch_size=", options_.batch_size);
    WICK_CHECK(options_.prefetch >= 0, ValueError, "DataLoader: prefetch must be >= 0, but got ", options_.prefetch);
    if (options_.seed) generator_.manual_seed(*options_.seed);
  }
  ~DataLoader() = default;  // the epoch's destructor stops its thread
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Batches per epoch.
  int64_t size() const {
    const int64_t n = dataset_->size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }
  const DataLoaderOptions& options() const { return options_; }
  const Dataset<ExampleT>& dataset() const { return *dataset_; }

  struct Sentinel {};
  // The batch an iterator points at lives in the loader: it stays valid
  // until the iterator advances or a new epoch starts, even when the
  // iterator itself is a temporary (`const Example& b = *loader.begin();`).
  class Iterator {
   public:
    using value_type = ExampleT;
    using difference_type = std::ptrdiff_t;

    ExampleT& operator*() const { return loader_->epoch_->current(); }
    ExampleT* operator->() const { return &loader_->epoch_->current(); }
    Iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(Sentinel) const { return done_; }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, uint64_t epoch) : loader_(loader), epoch_(epoch) { advance(); }
    void advance() {
      WICK_CHECK(loader_->epoch_id_ == epoch_, Error,
                 "DataLoader: this iterator belongs to an epoch that a later begin() ended");
      done_ = !loader_->epoch_->advance();
    }
    DataLoader* loader_;
    uint64_t epoch_;
    bool done_ = false;
  };

  // Starts an epoch (stopping one in progress) and returns its first batch.
  Iterator begin() {
    epoch_.reset();
    const int64_t n = dataset_->size();
    Tensor order = options_.shuffle ? randperm(n, TensorOptions(ScalarType::Int64), options_.seed ? &generator_ : nullptr)
                                    : arange(n, TensorOptions(ScalarType::Int64));
    epoch_ = std::make_unique<detail::Epoch<ExampleT>>(dataset_, std::move(order), options_.batch_size, size(),
                                                       options_.prefetch);
    return Iterator(this, ++epoch_id_);
  }
  Sentinel end() const { return {}; }

 private:
  std::shared_ptr<const Dataset<ExampleT>> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  uint64_t epoch_id_ = 0;
  std::unique_ptr<detail::Epoch<ExampleT>> epoch_;
};

template <typename D>
DataLoader(std::shared_ptr<D>, DataLoaderOptions = {}) -> DataLoader<typename D::ExampleType>;

}  // namespace wick::data
