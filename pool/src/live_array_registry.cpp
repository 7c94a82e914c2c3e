// Checked mode: the live-array registry, call-site capture and violation reporting.
#include "bufpool/internal/live_array_registry.hpp"

#include "bufpool/internal/annotated_mutex.hpp"

#include <execinfo.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>

namespace bufpool {
namespace {

void default_handler(const CheckedViolation& v) {
  std::fprintf(stderr, "bufpool checked mode: %s\n", v.message.c_str());
  std::fflush(stderr);
  std::abort();
}

std::atomic<CheckedViolationHandler> g_handler{&default_handler};

std::uint64_t this_thread_number() noexcept {
  static std::atomic<std::uint64_t> next{1};
  thread_local const std::uint64_t number = next.fetch_add(1, std::memory_order_relaxed);
  return number;
}

}  // namespace

CheckedViolationHandler set_checked_violation_handler(CheckedViolationHandler handler) noexcept {
  return g_handler.exchange(handler != nullptr ? handler : &default_handler);
}

namespace internal {

CallSite CallSite::here() noexcept {
  CallSite site;
  site.depth = ::backtrace(site.frames.data(), static_cast<int>(site.frames.size()));
  site.thread = this_thread_number();
  return site;
}

void report_checked_violation(const CheckedViolation& violation) {
  g_handler.load()(violation);
}

namespace {

enum class State { live, resting };

struct Record {
  State state;
  std::size_t length;  // elements, as handed out
  CallSite last_hand_out;
  CallSite last_give_back;
};

// The record of an array the pool freed after it was given back. array == nullptr: an empty entry.
struct Freed {
  const void* array = nullptr;
  Record record{};
};

std::string describe(const char* what, const CallSite& site) {
  std::ostringstream out;
  out << what << " on thread " << site.thread << " at";
  if (site.depth == 0) out << " (no frames)";
  // backtrace_symbols names the binary and offset of each frame (feed them to addr2line); the
  // first frame is CallSite::here itself and the next ones are the pool's own, so skip two.
  std::unique_ptr<char*, decltype(&std::free)> names(::backtrace_symbols(site.frames.data(), site.depth), &std::free);
  for (int i = 2; i < site.depth; ++i) {
    out << "\n    ";
    if (names) {
      out << names.get()[i];
    } else {
      out << site.frames[static_cast<std::size_t>(i)];
    }
  }
  return out.str();
}

std::string array_text(const void* array, std::size_t length) {
  std::ostringstream out;
  out << "array " << array << " of " << length << " elements";
  return out.str();
}

// A second give_back of an array whose record says it was given back already (`freed`: and the
// pool has freed it since).
std::string double_give_back_text(const void* array, std::size_t length, const Record& r, const CallSite& site,
                                  bool freed) {
  std::string text = "double give_back of " + array_text(array, length);
  if (length != r.length) text += " (handed out as " + std::to_string(r.length) + " elements)";
  text += freed ? ", given back twice: the pool freed it after the first give_back (its bucket was full, a trim, "
                  "or an over-size array): "
                : ", given back twice: it rests in the pool: ";
  return text + describe("first given back", r.last_give_back) + "; " + describe("given back again", site) + "; " +
         describe("last handed out", r.last_hand_out);
}

}  // namespace

struct LiveArrayRegistry::Shards {
  static constexpr std::size_t kCount = 64;
  // Records of freed arrays kept per shard. Bounded so that checked mode's memory does not grow with
  // the number of arrays a long run frees; 8 x 64 shards remember at least the last 8 and typically
  // the last few hundred frees, which covers a double give_back soon after the first (the usual
  // shape: both in one request's error path), at ~110 KiB per pool.
  static constexpr std::size_t kFreedPerShard = 8;
  using Lock = MutexLock<std::mutex>;

  struct alignas(64) Shard {
    mutable AnnotatedMutex<std::mutex> mu;
    std::unordered_map<const void*, Record> records BUFPOOL_GUARDED_BY(mu);
    // A ring of the last kFreedPerShard arrays of this shard freed after a give_back; the oldest is
    // overwritten first, and an entry is cleared when its address is handed out again (the
    // allocator reused it: the live record speaks for it then).
    std::array<Freed, kFreedPerShard> freed BUFPOOL_GUARDED_BY(mu){};
    std::size_t next_freed BUFPOOL_GUARDED_BY(mu) = 0;

    Freed* find_freed(const void* array) BUFPOOL_REQUIRES(mu) {
      for (Freed& f : freed) {
        if (f.array == array) return &f;
      }
      return nullptr;
    }
    void remember_freed(const void* array, const Record& r) BUFPOOL_REQUIRES(mu) {
      if (Freed* old = find_freed(array)) old->array = nullptr;  // keep one entry per address
      freed[next_freed] = Freed{array, r};
      next_freed = (next_freed + 1) % kFreedPerShard;
    }
  };
  Shard shards[kCount];

  Shard& of(const void* array) noexcept {
    // Arrays are >= 16-aligned: drop the always-zero bits, then mix.
    const auto bits = reinterpret_cast<std::uintptr_t>(array) >> 4;
    return shards[(bits ^ (bits >> 7) ^ (bits >> 13)) % kCount];
  }
};

LiveArrayRegistry::LiveArrayRegistry(std::size_t element_size)
    : element_size_(element_size), shards_(std::make_unique<Shards>()) {}
LiveArrayRegistry::~LiveArrayRegistry() = default;

void LiveArrayRegistry::on_hand_out(const void* array, std::size_t length) {
  const CallSite site = CallSite::here();
  auto& shard = shards_->of(array);
  std::string message;
  {
    Shards::Lock lock(shard.mu);
    auto [it, inserted] = shard.records.try_emplace(array, Record{State::live, length, site, {}});
    if (inserted) {
      if (Freed* f = shard.find_freed(array)) f->array = nullptr;  // the allocator reused the address
    } else {
      Record& r = it->second;
      if (r.state == State::live) {
        message = "the pool handed out " + array_text(array, length) + " that is still live: " +
                  describe("handed out before", r.last_hand_out) + "; " + describe("handed out again", site);
      }
      r.state = State::live;
      r.length = length;
      r.last_hand_out = site;
    }
  }
  if (!message.empty()) {
    report_checked_violation({CheckedViolation::Kind::handed_out_twice, array, length, message});
  }
}

bool LiveArrayRegistry::on_give_back(const void* array, std::size_t length) noexcept {
  const CallSite site = CallSite::here();
  auto& shard = shards_->of(array);
  CheckedViolation::Kind kind{};
  std::string message;
  try {
    {
      Shards::Lock lock(shard.mu);
      auto it = shard.records.find(array);
      if (it != shard.records.end()) {
        Record& r = it->second;
        if (r.state == State::resting) {
          kind = CheckedViolation::Kind::double_give_back;
          message = double_give_back_text(array, length, r, site, /*freed=*/false);
        } else if (r.length != length) {
          // The pool checked only that `length` is a bucket capacity: filing the array under it
          // would hand a live array out again (a shorter span) or overrun it (a longer one).
          kind = CheckedViolation::Kind::span_mismatch;
          message = "give_back of " + array_text(array, length) + ", but it was handed out as " +
                    std::to_string(r.length) + " elements (give back the whole span rent returned): " +
                    describe("handed out", r.last_hand_out) + "; " + describe("given back", site);
        } else {
          r.state = State::resting;
          r.last_give_back = site;
          return true;
        }
      } else if (const Freed* f = shard.find_freed(array)) {
        kind = CheckedViolation::Kind::double_give_back;
        message = double_give_back_text(array, length, f->record, site, /*freed=*/true);
      }
    }
    if (message.empty()) {
      // Not an array's start: perhaps a pointer into one (a.subspan(k)). The rare path of a
      // violation, so it may scan every shard, one lock at a time.
      const auto* p = static_cast<const unsigned char*>(array);
      for (auto& other : shards_->shards) {
        Shards::Lock lock(other.mu);
        for (const auto& [start, r] : other.records) {
          const auto* begin = static_cast<const unsigned char*>(start);
          if (p < begin || p >= begin + r.length * element_size_) continue;
          kind = CheckedViolation::Kind::span_mismatch;
          message = "give_back of " + array_text(array, length) + ", " +
                    std::to_string(static_cast<std::size_t>(p - begin) / element_size_) + " elements into " +
                    array_text(start, r.length) + (r.state == State::live ? " that is live" : " that rests in the pool") +
                    " (give back the whole span rent returned): " + describe("handed out", r.last_hand_out) + "; " +
                    (r.state == State::resting ? describe("given back whole", r.last_give_back) + "; " : std::string()) +
                    describe("given back", site);
          break;
        }
        if (!message.empty()) break;
      }
    }
    if (message.empty()) {
      kind = CheckedViolation::Kind::foreign_array;
      message = "give_back of " + array_text(array, length) + " that this pool never handed out: " +
                describe("given back", site);
    }
    report_checked_violation({kind, array, length, message});
  } catch (...) {
    // Building the message ran out of memory: refuse the give_back all the same.
  }
  return false;
}

void LiveArrayRegistry::on_free(const void* array) noexcept {
  auto& shard = shards_->of(array);
  Shards::Lock lock(shard.mu);
  auto it = shard.records.find(array);
  if (it == shard.records.end()) return;
  if (it->second.state == State::resting) shard.remember_freed(array, it->second);
  shard.records.erase(it);
}

}  // namespace internal
}  // namespace bufpool
