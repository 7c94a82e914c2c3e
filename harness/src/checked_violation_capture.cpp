#include "poolcheck/checked_violation_capture.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace poolcheck {

namespace {
thread_local CheckedViolationCapture* t_armed = nullptr;
// The handler installed before ours: written once under call_once, read by the handler after.
std::atomic<bufpool::CheckedViolationHandler> g_previous{nullptr};
std::once_flag g_install;
}  // namespace

CheckedViolationCapture::CheckedViolationCapture() : outer_(t_armed) {
  std::call_once(g_install, [] {
    g_previous.store(bufpool::set_checked_violation_handler(&CheckedViolationCapture::handler), std::memory_order_release);
  });
  t_armed = this;
}

CheckedViolationCapture::~CheckedViolationCapture() { t_armed = outer_; }

bool CheckedViolationCapture::saw(bufpool::CheckedViolation::Kind kind) const noexcept {
  return std::find(seen_.begin(), seen_.end(), kind) != seen_.end();
}

void CheckedViolationCapture::handler(const bufpool::CheckedViolation& v) {
  if (CheckedViolationCapture* capture = t_armed) {
    capture->seen_.push_back(v.kind);
    return;
  }
  if (auto previous = g_previous.load(std::memory_order_acquire)) return previous(v);
  // Between the exchange and the store in call_once: do what the default handler does.
  std::fprintf(stderr, "bufpool checked mode: %s\n", v.message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace poolcheck
