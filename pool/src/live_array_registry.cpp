// Checked mode: the live-array registry, call-site capture and violation reporting.
#include "bufpool/internal/live_array_registry.hpp"

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
  std::size_t length;
  CallSite last_hand_out;
  CallSite last_give_back;
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

}  // namespace

struct LiveArrayRegistry::Shards {
  static constexpr std::size_t kCount = 64;
  struct alignas(64) Shard {
    std::mutex mu;
    std::unordered_map<const void*, Record> records;  // guarded by mu
  };
  Shard shards[kCount];

  Shard& of(const void* array) noexcept {
    // Arrays are >= 16-aligned: drop the always-zero bits, then mix.
    const auto bits = reinterpret_cast<std::uintptr_t>(array) >> 4;
    return shards[(bits ^ (bits >> 7) ^ (bits >> 13)) % kCount];
  }
};

LiveArrayRegistry::LiveArrayRegistry() : shards_(std::make_unique<Shards>()) {}
LiveArrayRegistry::~LiveArrayRegistry() = default;

void LiveArrayRegistry::on_hand_out(const void* array, std::size_t length) {
  const CallSite site = CallSite::here();
  auto& shard = shards_->of(array);
  std::string message;
  {
    std::lock_guard lock(shard.mu);
    auto [it, inserted] = shard.records.try_emplace(array, Record{State::live, length, site, {}});
    if (!inserted) {
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
      std::lock_guard lock(shard.mu);
      auto it = shard.records.find(array);
      if (it == shard.records.end()) {
        kind = CheckedViolation::Kind::foreign_array;
        message = "give_back of " + array_text(array, length) + " that this pool never handed out: " +
                  describe("given back", site);
      } else if (it->second.state == State::resting) {
        kind = CheckedViolation::Kind::double_give_back;
        message = "double give_back of " + array_text(array, length) + ": " +
                  describe("first given back", it->second.last_give_back) + "; " +
                  describe("given back again", site) + "; " +
                  describe("last handed out", it->second.last_hand_out);
      } else {
        it->second.state = State::resting;
        it->second.last_give_back = site;
        return true;
      }
    }
    report_checked_violation({kind, array, length, message});
  } catch (...) {
    // Building the message ran out of memory: refuse the give_back all the same.
  }
  return false;
}

void LiveArrayRegistry::on_free(const void* array) noexcept {
  auto& shard = shards_->of(array);
  std::lock_guard lock(shard.mu);
  shard.records.erase(array);
}

}  // namespace internal
}  // namespace bufpool
