#include "poolcheck/run_state.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <sstream>

namespace poolcheck {
namespace {
// Written once per run by the thread that claims the first violation, then published by
// g_first_text_ready (release); read by the crash and sanitizer-death paths, which may run on any
// thread while workers still run, so they read it only after acquiring the flag.
char g_first_text[2048] = "";
std::atomic<bool> g_first_text_ready{false};
static_assert(std::atomic<bool>::is_always_lock_free);  // read from signal handlers
}  // namespace

const char* first_violation_text() noexcept {
  return g_first_text_ready.load(std::memory_order_acquire) ? g_first_text : "";
}

RunState::RunState(std::uint32_t threads, std::uint64_t ops_total)
    : threads_(threads), ops_total_(ops_total), status_(std::make_unique<ThreadStatus[]>(threads)) {
  g_first_text_ready.store(false, std::memory_order_relaxed);  // no worker runs yet
}

void RunState::on_start(std::uint32_t i) noexcept { status_[i].phase.store(1, std::memory_order_relaxed); }

void RunState::on_op(std::uint32_t i, std::uint32_t op_index, OpKind) noexcept {
  status_[i].op_index.store(op_index, std::memory_order_relaxed);
}

void RunState::on_op_done(std::uint32_t i) noexcept {
  auto& c = status_[i].ops_done;
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // single writer
}

void RunState::on_finish(std::uint32_t i) noexcept {
  status_[i].phase.store(2, std::memory_order_relaxed);
  if (finished_.fetch_add(1, std::memory_order_relaxed) + 1 == threads_) all_finished_.release();
}

bool RunState::wait_all_finished(std::chrono::milliseconds timeout) {
  if (all_finished_.try_acquire_for(timeout)) {
    all_finished_.release();  // stays signalled for later calls
    return true;
  }
  return false;
}

void RunState::record_first(const Violation& v) {
  violations_.fetch_add(1, std::memory_order_relaxed);
  bool expected = false;
  if (!first_claimed_.compare_exchange_strong(expected, true, std::memory_order_relaxed)) return;
  first_ = v;
  const std::string text = to_string(v);
  const std::size_t n = std::min(text.size(), sizeof g_first_text - 1);
  std::memcpy(g_first_text, text.data(), n);
  g_first_text[n] = '\0';
  g_first_text_ready.store(true, std::memory_order_release);
  first_ready_.store(true, std::memory_order_release);
}

std::optional<Violation> RunState::first_violation() const {
  if (!first_ready_.load(std::memory_order_acquire)) return std::nullopt;
  return first_;
}

std::uint32_t RunState::threads_alive() const noexcept {
  std::uint32_t alive = 0;
  for (std::uint32_t i = 0; i < threads_; ++i) alive += status_[i].phase.load(std::memory_order_relaxed) == 1;
  return alive;
}

std::uint64_t RunState::ops_done() const noexcept {
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < threads_; ++i) total += status_[i].ops_done.load(std::memory_order_relaxed);
  return total;
}

std::string RunState::stall_report(const ProgramSet& programs) const {
  std::ostringstream out;
  std::uint32_t listed = 0, stuck = 0;
  for (std::uint32_t i = 0; i < threads_; ++i) {
    const auto phase = status_[i].phase.load(std::memory_order_relaxed);
    if (phase == 2) continue;
    ++stuck;
    if (listed == 64) continue;
    ++listed;
    const auto op = status_[i].op_index.load(std::memory_order_relaxed);
    out << "  thread " << i << ": ";
    if (phase == 0) {
      out << "never started\n";
      continue;
    }
    const auto& ops = programs.threads[i].ops;
    out << "op " << op << " of " << ops.size();
    if (op < ops.size()) out << " (" << to_string(ops[op]) << ")";
    out << ", " << status_[i].ops_done.load(std::memory_order_relaxed) << " ops done\n";
  }
  if (stuck > listed) out << "  ... and " << (stuck - listed) << " more threads\n";
  return "no progress; " + std::to_string(stuck) + " threads unfinished:\n" + out.str();
}

}  // namespace poolcheck
