// Peak resident memory of a token-stream workload, with a pool and without one, and the bound the
// pool's caps promise. One variant per process (run it once per --variant), because peak RSS is a
// property of the whole process: a second variant in the same process would inherit the first's.
//
// Workload: S streams (threads) each append seeded tokens of 1 to 32 bytes to a rented char buffer,
// and when the next token would not fit, flush the buffer to a sink (a running FNV-1a checksum) and
// give it back; then rent the next. Variants: `shared` and `locked` rent from the pools, `new` does
// new char[]/delete[] per buffer. The checksum is the same for every variant (same tokens).
//
// Bound: the arrays a pool may keep in each bucket the run used (shared: partitions x
// arrays_per_partition + one thread-local slot per stream; locked: max_arrays_per_bucket), times the
// bucket's array bytes, plus one buffer held by each live stream. Compared with peak RSS minus the
// RSS the process had before the pool existed (which still counts thread stacks and the allocator's
// own overhead, so it is the honest, slightly pessimistic side).
//
// usage: token_stream_rss --variant shared|locked|new [--streams S] [--tokens N] [--buffer BYTES]
//                         [--seed X]          prints one JSON object on stdout
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bufpool/array_pool.hpp"

namespace {

struct Config {
  std::string variant = "shared";
  unsigned streams = 16;
  std::uint64_t tokens = 2'000'000;  // per stream
  std::size_t buffer = 16 * 1024;
  std::uint64_t seed = 1;
};

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(std::uint64_t h, std::span<const char> bytes) {
  for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  return h;
}

// One stream: tokens into a rented buffer, flushed and given back when the next one would not fit.
template <class Buffers>
std::uint64_t run_stream(Buffers& buffers, unsigned stream, const Config& c) {
  std::uint64_t rng = c.seed * 0x2545F4914F6CDD1Dull + stream;
  std::uint64_t sink = 0xCBF29CE484222325ull;
  std::span<char> buf = buffers.rent(c.buffer);
  std::size_t used = 0;
  for (std::uint64_t i = 0; i < c.tokens; ++i) {
    const std::uint64_t r = splitmix64(rng);
    const std::size_t len = 1 + (r & 31);
    if (used + len > c.buffer) {
      sink = fnv1a(sink, buf.first(used));
      buffers.give_back(buf);
      buf = buffers.rent(c.buffer);
      used = 0;
    }
    for (std::size_t k = 0; k < len; ++k) buf[used + k] = static_cast<char>('a' + (r >> (k % 56)) % 26);
    used += len;
  }
  sink = fnv1a(sink, buf.first(used));
  buffers.give_back(buf);
  return sink;
}

template <class Pool>
struct Pooled {
  Pool& pool;
  std::span<char> rent(std::size_t n) { return pool.rent(n); }
  void give_back(std::span<char> a) { pool.give_back(a); }
};

struct NewDelete {
  std::span<char> rent(std::size_t n) { return {new char[n], n}; }  // the stream overwrites: no ()
  void give_back(std::span<char> a) { delete[] a.data(); }
};

// A line of /proc/self/status in KiB ("VmRSS", "VmHWM"); 0 if absent.
std::uint64_t status_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t len = std::strlen(field);
  while (std::getline(f, line)) {
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':') {
      return std::strtoull(line.c_str() + len + 1, nullptr, 10);
    }
  }
  return 0;
}

template <class Buffers>
std::uint64_t run_streams(Buffers& buffers, const Config& c) {
  std::vector<std::uint64_t> sinks(c.streams);
  std::vector<std::thread> threads;
  for (unsigned s = 0; s < c.streams; ++s) {
    threads.emplace_back([&, s] { sinks[s] = run_stream(buffers, s, c); });
  }
  for (auto& t : threads) t.join();
  std::uint64_t all = 0;
  for (const std::uint64_t s : sinks) all = all * 31 + s;
  return all;
}

// Bytes of arrays the pool may keep in the buckets this run used, and the largest array it handed out.
struct CapBound {
  std::uint64_t kept_bytes = 0;
  std::uint64_t largest_array = 0;
  std::string rule;
};

CapBound shared_bound(const bufpool::SharedArrayPool<char>& pool, unsigned streams) {
  const auto& o = pool.options();
  CapBound b;
  b.rule = std::to_string(o.partitions) + " partitions x " + std::to_string(o.arrays_per_partition) +
           " + " + std::to_string(streams) + " thread-local slots per bucket";
  for (const auto& bucket : pool.stats().buckets) {
    if (bucket.rents == 0) continue;
    b.kept_bytes += (o.partitions * o.arrays_per_partition + streams) * bucket.capacity;
    b.largest_array = std::max<std::uint64_t>(b.largest_array, bucket.capacity);
  }
  return b;
}

CapBound locked_bound(const bufpool::LockedArrayPool<char>& pool, const bufpool::PoolOptions& o) {
  CapBound b;
  b.rule = std::to_string(o.max_arrays_per_bucket) + " per bucket";
  for (const auto& bucket : pool.stats().buckets) {
    if (bucket.rents == 0) continue;
    b.kept_bytes += o.max_arrays_per_bucket * bucket.capacity;
    b.largest_array = std::max<std::uint64_t>(b.largest_array, bucket.capacity);
  }
  return b;
}

bool parse(int argc, char** argv, Config& c) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--variant") {
      c.variant = v;
    } else if (flag == "--streams") {
      c.streams = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    } else if (flag == "--tokens") {
      c.tokens = std::strtoull(v, nullptr, 10);
    } else if (flag == "--buffer") {
      c.buffer = std::strtoull(v, nullptr, 10);
    } else if (flag == "--seed") {
      c.seed = std::strtoull(v, nullptr, 10);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && c.streams > 0 && c.buffer >= 32 &&
         (c.variant == "shared" || c.variant == "locked" || c.variant == "new");
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  if (!parse(argc, argv, c)) {
    std::fprintf(stderr,
                 "usage: token_stream_rss --variant shared|locked|new [--streams S] [--tokens N] "
                 "[--buffer BYTES >= 32] [--seed X]\n");
    return 2;
  }
  const std::uint64_t baseline_kib = status_kib("VmRSS");  // before any pool or stream exists
  std::uint64_t checksum = 0;
  CapBound bound;
  if (c.variant == "shared") {
    bufpool::SharedArrayPool<char> pool;
    Pooled<bufpool::SharedArrayPool<char>> buffers{pool};
    checksum = run_streams(buffers, c);
    bound = shared_bound(pool, c.streams);
  } else if (c.variant == "locked") {
    const bufpool::PoolOptions options{};  // .NET's defaults: 1 Mi elements, 50 per bucket
    bufpool::LockedArrayPool<char> pool(options);
    Pooled<bufpool::LockedArrayPool<char>> buffers{pool};
    checksum = run_streams(buffers, c);
    bound = locked_bound(pool, options);
  } else {
    NewDelete buffers;
    checksum = run_streams(buffers, c);
    bound.largest_array = c.buffer;
    bound.rule = "no pool: nothing kept";
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const std::uint64_t peak_kib = status_kib("VmHWM");
  const std::uint64_t live_bytes = std::uint64_t{c.streams} * bound.largest_array;
  std::printf(
      "{\"variant\": \"%s\", \"streams\": %u, \"tokens_per_stream\": %llu, \"buffer_bytes\": %zu, \"seed\": %llu, "
      "\"checksum\": \"%016llx\", \"baseline_rss_kib\": %llu, \"peak_rss_kib\": %llu, \"ru_maxrss_kib\": %ld, "
      "\"cap_rule\": \"%s\", \"kept_bound_bytes\": %llu, \"live_bytes\": %llu, \"bound_bytes\": %llu}\n",
      c.variant.c_str(), c.streams, static_cast<unsigned long long>(c.tokens), c.buffer,
      static_cast<unsigned long long>(c.seed), static_cast<unsigned long long>(checksum),
      static_cast<unsigned long long>(baseline_kib), static_cast<unsigned long long>(peak_kib), usage.ru_maxrss,
      bound.rule.c_str(), static_cast<unsigned long long>(bound.kept_bytes),
      static_cast<unsigned long long>(live_bytes), static_cast<unsigned long long>(bound.kept_bytes + live_bytes));
  return 0;
}
