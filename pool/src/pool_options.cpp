// Validation of pool options and the BUFPOOL_SHARED_* environment overrides.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "bufpool/pool_options.hpp"

namespace bufpool {
namespace {

// Upper bounds that keep a typo from reserving absurd memory up front.
constexpr std::size_t kMaxPartitions = 4096;
constexpr std::size_t kMaxArraysPerPartition = std::size_t{1} << 20;

// The positive integer in environment variable `name`, or nullopt (with one line on stderr when it
// is set but not a positive integer no greater than `max`).
std::optional<std::size_t> positive_from_env(const char* name, std::size_t max) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || text[0] == '-' || value == 0 || value > max) {
    std::fprintf(stderr, "bufpool: ignoring %s=\"%s\": expected an integer from 1 to %zu\n", name, text, max);
    return std::nullopt;
  }
  return static_cast<std::size_t>(value);
}

}  // namespace

SharedPoolOptions SharedPoolOptions::from_environment() {
  SharedPoolOptions o;
  if (auto v = positive_from_env("BUFPOOL_SHARED_PARTITIONS", kMaxPartitions)) o.partitions = *v;
  if (auto v = positive_from_env("BUFPOOL_SHARED_ARRAYS_PER_PARTITION", kMaxArraysPerPartition)) {
    o.arrays_per_partition = *v;
  }
  if (auto v = positive_from_env("BUFPOOL_SHARED_TRIM_AFTER_MS", std::numeric_limits<std::uint32_t>::max())) {
    o.trim_after = std::chrono::milliseconds(*v);
  }
  return o;
}

SharedPoolOptions SharedPoolOptions::resolved() const {
  SharedPoolOptions options = *this;
  if (options.partitions == 0) {
    const unsigned cores = std::thread::hardware_concurrency();
    options.partitions = cores == 0 ? 1 : std::min<std::size_t>(cores, kMaxPartitions);
  }
  return options;
}

namespace internal {

void validate(const PoolOptions& options) {
  if (options.max_array_length == 0) {
    throw std::invalid_argument("PoolOptions: max_array_length is 0; expected at least 1");
  }
  if (options.max_arrays_per_bucket == 0) {
    throw std::invalid_argument("PoolOptions: max_arrays_per_bucket is 0; expected at least 1");
  }
}

void validate(const SharedPoolOptions& options) {
  if (options.partitions > kMaxPartitions) {
    throw std::invalid_argument("SharedPoolOptions: partitions is " + std::to_string(options.partitions) +
                                "; expected 0 (one per core) to " + std::to_string(kMaxPartitions));
  }
  if (options.arrays_per_partition == 0 || options.arrays_per_partition > kMaxArraysPerPartition) {
    throw std::invalid_argument("SharedPoolOptions: arrays_per_partition is " +
                                std::to_string(options.arrays_per_partition) + "; expected 1 to " +
                                std::to_string(kMaxArraysPerPartition));
  }
  if (options.trim_after.count() <= 0) {
    throw std::invalid_argument("SharedPoolOptions: trim_after is " + std::to_string(options.trim_after.count()) +
                                " ms; expected a positive duration");
  }
}

std::string not_a_bucket_message(std::size_t length, std::size_t largest_bucket) {
  return "give_back: array of " + std::to_string(length) +
         " elements is not a bucket size of this pool (buckets are powers of two from 16 to " +
         std::to_string(largest_bucket) + ")";
}

}  // namespace internal
}  // namespace bufpool
