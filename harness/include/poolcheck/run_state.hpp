// What the main thread can see of a free run while workers are busy: per-thread progress and the
// op each is on (for the live line and the watchdog's stall report), the stop flag, and the first
// violation (published so a stall or a signal can still report it).
//
// Thread-safe. Each worker writes only its own ThreadStatus, with relaxed stores; the main thread
// reads them relaxed. The first violation is published once with a release store and read with an
// acquire load: an edge from one violating worker to the reporter only, never between workers.
#pragma once

#include <atomic>
#include <chrono>
#include <semaphore>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "poolcheck/program.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

// The first violation of the current run as text, or "" (async-signal-safe to read: a crash
// handler prints it so a violation found just before a crash is not lost).
const char* first_violation_text() noexcept;

class RunState {
 public:
  RunState(std::uint32_t threads, std::uint64_t ops_total);

  // Worker side (thread i only).
  void on_start(std::uint32_t i) noexcept;
  void on_op(std::uint32_t i, std::uint32_t op_index, OpKind kind) noexcept;
  void on_op_done(std::uint32_t i) noexcept;
  void on_finish(std::uint32_t i) noexcept;

  // Any thread.
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const noexcept {
    return stop_.load(std::memory_order_relaxed) ||
           (interrupt_ != nullptr && interrupt_->load(std::memory_order_relaxed));
  }
  // A flag (set by a signal handler) that also asks every worker to stop at its next op: the
  // deterministic executor has no supervising thread to turn a signal into request_stop().
  // Call before the workers start.
  void stop_on(const std::atomic<bool>* interrupt) noexcept { interrupt_ = interrupt; }
  void record_first(const Violation& v);
  std::optional<Violation> first_violation() const;
  std::uint64_t violation_count() const noexcept { return violations_.load(std::memory_order_relaxed); }

  // Main thread.
  std::uint32_t thread_count() const noexcept { return threads_; }
  std::uint32_t threads_alive() const noexcept;
  std::uint64_t ops_done() const noexcept;
  std::uint64_t ops_total() const noexcept { return ops_total_; }
  // Waits until every worker finished or `timeout` passed; true when all finished. The wake-up is
  // an edge from the last worker to the main thread only, which touches no pool state meanwhile.
  bool wait_all_finished(std::chrono::milliseconds timeout);
  // What every unfinished thread is doing, one line each (at most 64 lines, then a count).
  std::string stall_report(const ProgramSet& programs) const;

 private:
  struct alignas(64) ThreadStatus {
    std::atomic<std::uint64_t> ops_done{0};
    std::atomic<std::uint32_t> op_index{0};
    std::atomic<std::uint8_t> phase{0};  // 0 parked, 1 running, 2 finished
  };

  const std::uint32_t threads_;
  const std::uint64_t ops_total_;
  std::unique_ptr<ThreadStatus[]> status_;
  std::atomic<bool> stop_{false};
  const std::atomic<bool>* interrupt_ = nullptr;  // set before the workers start, read-only after
  std::atomic<std::uint64_t> violations_{0};
  std::atomic<bool> first_claimed_{false};
  std::atomic<bool> first_ready_{false};
  std::optional<Violation> first_;  // written once by the claimer before first_ready_
  std::atomic<std::uint32_t> finished_{0};
  std::binary_semaphore all_finished_{0};  // released by the last worker to finish
};

}  // namespace poolcheck
