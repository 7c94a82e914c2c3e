#include "poolcheck/deterministic/schedule.hpp"

#include <sched.h>

#include <csignal>

#include <algorithm>
#include <exception>
#include <sstream>
#include <thread>

#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/deterministic/point_noise.hpp"
#include "tsan_annotations.hpp"

namespace poolcheck::det {
namespace {

constexpr std::uint8_t kRunnable = 0, kBlocked = 1, kExited = 2;

thread_local Schedule* t_schedule = nullptr;
thread_local std::uint32_t t_index = 0;

thread_local bool t_checkpoints_only = false;

bool unwinding() noexcept { return std::uncaught_exceptions() > 0; }
// Whether a point may throw ScheduleAborted: not while unwinding (a second exception would
// terminate), not on a thread that takes aborts at its checkpoints only.
bool point_may_throw() noexcept { return !unwinding() && !t_checkpoints_only; }

// crash_at_step_for_tests: set once before any schedule runs (0: never).
std::atomic<std::uint64_t> g_crash_step{0};
std::atomic<int> g_crash_signal{0};

}  // namespace

const char* to_string(PointKind kind) noexcept {
  switch (kind) {
    case PointKind::start: return "start";
    case PointKind::exit: return "exit";
    case PointKind::load: return "load";
    case PointKind::store: return "store";
    case PointKind::rmw: return "rmw";
    case PointKind::lock: return "lock";
    case PointKind::unlock: return "unlock";
    case PointKind::blocked: return "blocked";
    case PointKind::plain: return "plain";
    case PointKind::yield: return "yield";
  }
  return "?";
}

bool same_steps(const std::vector<Step>& a, const std::vector<Step>& b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Step& x, const Step& y) {
    return x.thread == y.thread && x.at == y.at && x.kind == y.kind;
  });
}

struct Schedule::Slot {
  std::counting_semaphore<1024> turn{0};  // posted when this thread gets the token
  std::atomic<std::uint8_t> state{kRunnable};
  std::atomic<const void*> waiting_on{nullptr};
};

// Constructed first on each scheduled thread, so destroyed last: the thread stays on the schedule
// while its other thread-locals (a pool's thread cache, which locks DetMutexes) are destroyed.
struct Schedule::ThreadExitGuard {
  Schedule* schedule = nullptr;
  std::uint32_t index = 0;
  ~ThreadExitGuard() {
    if (schedule != nullptr) schedule->switch_from(index, PointKind::exit, /*me_runnable=*/false);
  }
};

Schedule::Schedule(Strategy& strategy, std::uint64_t max_steps) : strategy_(strategy), max_steps_(max_steps) {}
Schedule::~Schedule() = default;

bool Schedule::on_schedule() noexcept { return t_schedule != nullptr; }
bool Schedule::aborted() noexcept { return t_schedule != nullptr && t_schedule->aborted_.load(); }
std::uint32_t Schedule::thread_index() noexcept { return t_index; }
std::uint64_t Schedule::current_step() noexcept {
  return t_schedule != nullptr ? t_schedule->steps_.load(std::memory_order_relaxed) : 0;
}

ScheduleResult Schedule::run(std::uint32_t n, const std::function<void(std::uint32_t)>& body) {
  threads_ = n;
  slots_ = std::make_unique<Slot[]>(n);
  {
    IgnoreAccesses quiet;
    trace_.clear();
    trace_.reserve(4096);
    waiters_.clear();
  }
  std::vector<std::thread> threads;
  threads.reserve(n);
  try {
    for (std::uint32_t i = 0; i < n; ++i) threads.emplace_back([this, i, &body] { thread_main(i, body); });
  } catch (const std::exception& e) {
    // The system refused a thread (EAGAIN: task or memory limit). The threads already created wait
    // for their first turn: with the schedule aborted they skip their body and exit. Their exit
    // points only count down (exited_), which nobody waits for here; they are joined below, so no
    // joinable std::thread is ever destroyed (that is std::terminate).
    aborted_.store(true);
    end_.store(static_cast<int>(ScheduleResult::End::thread_limit));
    {
      IgnoreSync hidden;
      for (std::size_t i = 0; i < threads.size(); ++i) slots_[i].turn.release();
    }
    for (auto& t : threads) t.join();
    ScheduleResult result;
    result.end = ScheduleResult::End::thread_limit;
    result.threads_started = static_cast<std::uint32_t>(threads.size());
    result.report = "could not start deterministic thread " + std::to_string(threads.size() + 1) + " of " +
                    std::to_string(n) + " (" + std::to_string(threads.size()) + " started): " + e.what();
    return result;
  }
  // A crash while the schedule runs writes the steps recorded so far (crash_trace.hpp).
  set_crash_trace_steps(&trace_);
  // The first choice is step 0: which thread starts.
  std::uint32_t first = 0;
  {
    IgnoreAccesses quiet;
    std::vector<std::uint32_t> all(n);
    for (std::uint32_t i = 0; i < n; ++i) all[i] = i;
    first = n == 0 ? 0 : strategy_.pick(all, n, 0, PointKind::start);
    trace_.push_back(Step{first, n, PointKind::start});
  }
  steps_.store(1, std::memory_order_relaxed);
  if (n == 0) {
    set_crash_trace_steps(nullptr);
    return {};
  }
  {
    IgnoreSync hidden;
    slots_[first].turn.release();
    all_done_.acquire();
  }
  for (auto& t : threads) t.join();
  set_crash_trace_steps(nullptr);  // the caller points it at the result's steps if it wants
  ScheduleResult result;
  result.end = static_cast<ScheduleResult::End>(end_.load());
  result.steps = steps_.load();
  result.trace = std::move(trace_);
  result.report = report_;
  result.threads_started = n;
  return result;
}

void Schedule::thread_main(std::uint32_t i, const std::function<void(std::uint32_t)>& body) {
  t_schedule = this;
  t_index = i;
  {
    IgnoreSync hidden;
    slots_[i].turn.acquire();  // wait for the first turn
  }
  thread_local ThreadExitGuard guard;
  guard.schedule = this;
  guard.index = i;
  if (!aborted_.load()) {
    try {
      body(i);
    } catch (const ScheduleAborted&) {
      // unwound after a deadlock or the step limit: the result says which
    } catch (const std::exception& e) {
      report_ += "thread " + std::to_string(i) + " threw: " + e.what() + "\n";
      abort_all(ScheduleResult::End::step_limit);
    }
  }
  // thread-locals (the pool's caches, then `guard`) are destroyed after this returns
}

void Schedule::point(PointKind kind) {
  Schedule* s = t_schedule;
  if (s == nullptr) {
    point_noise(kind);  // free-running: a moment's stop, sometimes, on a noisy round's thread
    return;
  }
  if (s->aborted_.load()) {
    if (point_may_throw()) throw ScheduleAborted();
    return;
  }
  s->switch_from(t_index, kind, /*me_runnable=*/true);
}

void Schedule::yield() {
  Schedule* s = t_schedule;
  if (s == nullptr) return;
  if (s->aborted_.load()) {
    sched_yield();
    if (point_may_throw()) throw ScheduleAborted();
    return;
  }
  s->switch_from(t_index, PointKind::yield, /*me_runnable=*/true);
}

void Schedule::crash_at_step_for_tests(std::uint64_t step, int signal) noexcept {
  g_crash_signal.store(signal);
  g_crash_step.store(step);
}

void Schedule::abort_at_checkpoints_only() noexcept { t_checkpoints_only = true; }

void Schedule::stop_at_finding() {
  if (Schedule* s = t_schedule) s->abort_all(ScheduleResult::End::stopped);
}

Schedule::Identity Schedule::identity() noexcept { return Identity{t_schedule, t_index, t_checkpoints_only}; }

void Schedule::continue_as(const Identity& identity) noexcept {
  t_schedule = identity.schedule;
  t_index = identity.index;
  t_checkpoints_only = identity.checkpoints_only;
}

void Schedule::checkpoint() {
  Schedule* s = t_schedule;
  if (s != nullptr && s->aborted_.load() && !unwinding()) throw ScheduleAborted();
}

void Schedule::block_on(const void* resource) {
  Schedule* s = t_schedule;
  if (s == nullptr) return;
  if (s->aborted_.load()) {  // free-for-all while unwinding: let the holder run
    sched_yield();
    return;
  }
  Slot& me = s->slots_[t_index];
  me.waiting_on.store(resource);
  me.state.store(kBlocked);
  s->switch_from(t_index, PointKind::blocked, /*me_runnable=*/false);
}

void Schedule::release_waiters(const void* resource) {
  Schedule* s = t_schedule;
  if (s == nullptr) return;
  for (std::uint32_t i = 0; i < s->threads_; ++i) {
    Slot& slot = s->slots_[i];
    if (slot.state.load() == kBlocked && slot.waiting_on.load() == resource) {
      slot.waiting_on.store(nullptr);
      slot.state.store(kRunnable);
    }
  }
}

Schedule::Waiters* Schedule::find_waiters(const void* resource) {
  for (Waiters& w : waiters_) {
    if (w.resource == resource) return &w;
  }
  return nullptr;
}

void Schedule::forget_if_idle(Waiters& w) {
  // Never more permits than waiters: with no waiter left, no permit is either.
  if (w.tickets.empty()) waiters_.erase(waiters_.begin() + (&w - waiters_.data()));
}

bool Schedule::take_permit(const void* resource, std::uint64_t ticket) {
  IgnoreAccesses quiet;
  Waiters* w = find_waiters(resource);
  if (w == nullptr) return false;
  // The oldest permit issued after this waiter registered.
  const auto permit = std::lower_bound(w->permits.begin(), w->permits.end(), ticket);
  if (permit == w->permits.end()) return false;
  w->permits.erase(permit);
  w->tickets.erase(std::find(w->tickets.begin(), w->tickets.end(), ticket));
  forget_if_idle(*w);
  return true;
}

std::uint64_t Schedule::expect_notify(const void* resource) {
  Schedule* s = t_schedule;
  if (s == nullptr || s->aborted_.load()) return 0;
  IgnoreAccesses quiet;
  Waiters* w = s->find_waiters(resource);
  if (w == nullptr) w = &s->waiters_.emplace_back(Waiters{resource, 1, {}, {}});
  const std::uint64_t ticket = w->next++;
  w->tickets.push_back(ticket);
  return ticket;
}

bool Schedule::await_notify(const void* resource, std::uint64_t ticket) {
  Schedule* s = t_schedule;
  if (s == nullptr) return true;
  for (;;) {
    if (s->aborted_.load()) {
      if (point_may_throw()) throw ScheduleAborted();
      return false;
    }
    if (s->take_permit(resource, ticket)) return true;
    block_on(resource);  // runnable again at the next notify of `resource`
  }
}

bool Schedule::cancel_wait(const void* resource, std::uint64_t ticket) {
  Schedule* s = t_schedule;
  if (s == nullptr || s->aborted_.load()) return false;
  if (s->take_permit(resource, ticket)) return true;
  IgnoreAccesses quiet;
  if (Waiters* w = s->find_waiters(resource)) {
    w->tickets.erase(std::find(w->tickets.begin(), w->tickets.end(), ticket));
    s->forget_if_idle(*w);  // a permit left over is an older waiter's, which is still registered
  }
  return false;
}

void Schedule::notify(const void* resource, bool all) {
  Schedule* s = t_schedule;
  if (s == nullptr || s->aborted_.load()) return;
  {
    IgnoreAccesses quiet;
    Waiters* w = s->find_waiters(resource);
    if (w == nullptr) return;  // nobody waits: a notify with no waiter is lost, as in std
    const std::uint64_t id = w->next++;
    do {
      if (w->permits.size() >= w->tickets.size()) break;
      w->permits.push_back(id);
    } while (all);
  }
  release_waiters(resource);
}

void Schedule::switch_from(std::uint32_t me, PointKind kind, bool me_runnable) {
  const bool exiting = kind == PointKind::exit;
  if (exiting) {
    slots_[me].state.store(kExited);
    t_schedule = nullptr;
    const std::uint32_t done = exited_.fetch_add(1) + 1;
    if (aborted_.load()) {
      if (done == threads_) all_done_.release();
      return;
    }
  }
  (void)me_runnable;
  const std::uint64_t step = steps_.fetch_add(1);
  if (const std::uint64_t crash = g_crash_step.load(std::memory_order_relaxed); crash != 0 && step == crash) {
    std::raise(g_crash_signal.load());  // the steps before this one are recorded: the crash trace ends here
  }
  if (step >= max_steps_ && !exiting) {
    abort_all(ScheduleResult::End::step_limit);
    if (point_may_throw()) throw ScheduleAborted();
    return;
  }
  const std::uint32_t next = choose(me, kind);
  if (next == threads_) {  // nobody can run
    if (exited_.load() == threads_) {
      all_done_.release();
      return;
    }
    abort_all(ScheduleResult::End::deadlock);
    if (!exiting && point_may_throw()) throw ScheduleAborted();
    return;
  }
  if (next == me) return;
  hand_to(next, me, /*wait=*/!exiting);
  if (!exiting && aborted_.load() && point_may_throw()) throw ScheduleAborted();
}

std::uint32_t Schedule::choose(std::uint32_t me, PointKind kind) {
  IgnoreAccesses quiet;
  std::vector<std::uint32_t> runnable;
  runnable.reserve(threads_);
  for (std::uint32_t i = 0; i < threads_; ++i) {
    if (slots_[i].state.load() == kRunnable) runnable.push_back(i);
  }
  if (runnable.empty()) return threads_;
  // A waiting thread lets another run when one can (see PointKind::yield).
  if (kind == PointKind::yield && runnable.size() > 1) {
    runnable.erase(std::remove(runnable.begin(), runnable.end(), me), runnable.end());
  }
  const std::uint32_t next = strategy_.pick(runnable, me, trace_.size(), kind);
  trace_.push_back(Step{next, me, kind});
  return next;
}

void Schedule::hand_to(std::uint32_t next, std::uint32_t me, bool wait) {
  IgnoreSync hidden;
  slots_[next].turn.release();
  if (wait) slots_[me].turn.acquire();
}

void Schedule::abort_all(ScheduleResult::End why) {
  if (aborted_.exchange(true)) return;
  end_.store(static_cast<int>(why));
  {
    IgnoreAccesses quiet;
    report_ += waiting_report();
  }
  // Wake every thread still waiting for a turn: each unwinds at its next point.
  IgnoreSync hidden;
  for (std::uint32_t i = 0; i < threads_; ++i) {
    if (slots_[i].state.load() != kExited && !(t_schedule == this && t_index == i)) slots_[i].turn.release();
  }
}

std::string Schedule::waiting_report() const {
  std::ostringstream out;
  for (std::uint32_t i = 0; i < threads_; ++i) {
    const auto state = slots_[i].state.load();
    if (state == kExited) continue;
    out << "  thread " << i << ": ";
    if (state == kBlocked) {
      out << "blocked on mutex " << slots_[i].waiting_on.load() << "\n";
    } else {
      out << "runnable\n";
    }
  }
  return out.str();
}

}  // namespace poolcheck::det
