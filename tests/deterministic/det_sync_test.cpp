// The user-facing deterministic types (det.hpp): det::Atomic has std::atomic's whole interface and
// behaves as it off-schedule; under a schedule the atomics, locks, condition variable and
// yield_point are points where a racy user pool is interleaved and a correct one never fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "poolcheck/det.hpp"

namespace poolcheck {
namespace {

using det::ScheduleResult;
using End = ScheduleResult::End;
using namespace std::chrono_literals;

// --- the interface, at compile time, against std::atomic's own ------------------------------------

template <class A, class T>
concept HasCommon = requires(A& a, const A& ca, T v, T& e) {
  typename A::value_type;
  { A::is_always_lock_free } -> std::convertible_to<bool>;
  { ca.is_lock_free() } -> std::same_as<bool>;
  { ca.load() } -> std::same_as<T>;
  { ca.load(std::memory_order_acquire) } -> std::same_as<T>;
  { static_cast<T>(ca) } -> std::same_as<T>;
  a.store(v);
  a.store(v, std::memory_order_release);
  { a = v } -> std::same_as<T>;
  { a.exchange(v) } -> std::same_as<T>;
  { a.exchange(v, std::memory_order_acq_rel) } -> std::same_as<T>;
  { a.compare_exchange_weak(e, v) } -> std::same_as<bool>;
  { a.compare_exchange_weak(e, v, std::memory_order_acq_rel) } -> std::same_as<bool>;
  { a.compare_exchange_weak(e, v, std::memory_order_acq_rel, std::memory_order_acquire) } -> std::same_as<bool>;
  { a.compare_exchange_strong(e, v) } -> std::same_as<bool>;
  { a.compare_exchange_strong(e, v, std::memory_order_acq_rel) } -> std::same_as<bool>;
  { a.compare_exchange_strong(e, v, std::memory_order_acq_rel, std::memory_order_acquire) } -> std::same_as<bool>;
  ca.wait(v);
  ca.wait(v, std::memory_order_acquire);
  a.notify_one();
  a.notify_all();
};
template <class A, class T>
concept HasIntegral = HasCommon<A, T> && requires(A& a, T v) {
  typename A::difference_type;
  { a.fetch_add(v) } -> std::same_as<T>;
  { a.fetch_sub(v, std::memory_order_relaxed) } -> std::same_as<T>;
  { a.fetch_and(v) } -> std::same_as<T>;
  { a.fetch_or(v, std::memory_order_relaxed) } -> std::same_as<T>;
  { a.fetch_xor(v) } -> std::same_as<T>;
  { ++a } -> std::same_as<T>;
  { a++ } -> std::same_as<T>;
  { --a } -> std::same_as<T>;
  { a-- } -> std::same_as<T>;
  { a += v } -> std::same_as<T>;
  { a -= v } -> std::same_as<T>;
  { a &= v } -> std::same_as<T>;
  { a |= v } -> std::same_as<T>;
  { a ^= v } -> std::same_as<T>;
};
template <class A, class T>
concept HasPointer = HasCommon<A, T> && requires(A& a, std::ptrdiff_t d) {
  requires std::same_as<typename A::difference_type, std::ptrdiff_t>;
  { a.fetch_add(d) } -> std::same_as<T>;
  { a.fetch_sub(d, std::memory_order_relaxed) } -> std::same_as<T>;
  { ++a } -> std::same_as<T>;
  { a++ } -> std::same_as<T>;
  { --a } -> std::same_as<T>;
  { a-- } -> std::same_as<T>;
  { a += d } -> std::same_as<T>;
  { a -= d } -> std::same_as<T>;
};
template <class A>
concept HasBitOps = requires(A& a) { a.fetch_and(a.load()); };
template <class A>
concept HasIncrement = requires(A& a) { ++a; };

struct Node {
  int value;
};

// The reference: std::atomic itself meets each concept, so the concepts ask for nothing std lacks.
static_assert(HasIntegral<std::atomic<int>, int> && HasIntegral<std::atomic<std::uint64_t>, std::uint64_t>);
static_assert(HasPointer<std::atomic<Node*>, Node*> && HasCommon<std::atomic<bool>, bool>);

static_assert(HasIntegral<det::Atomic<int>, int>);
static_assert(HasIntegral<det::Atomic<std::uint64_t>, std::uint64_t>);
static_assert(HasPointer<det::Atomic<Node*>, Node*>);
static_assert(HasCommon<det::Atomic<bool>, bool>);
// What std::atomic lacks, det::Atomic lacks too: no arithmetic on bool, no bit ops on pointers.
static_assert(!HasIncrement<det::Atomic<bool>> && !HasIncrement<std::atomic<bool>>);
static_assert(!HasBitOps<det::Atomic<Node*>> && !HasBitOps<std::atomic<Node*>>);
static_assert(!HasBitOps<det::Atomic<double>> && !HasBitOps<std::atomic<double>>);
static_assert(det::Atomic<int>::is_always_lock_free == std::atomic<int>::is_always_lock_free);
static_assert(sizeof(det::Atomic<std::uint64_t>) == sizeof(std::atomic<std::uint64_t>));
static_assert(!std::is_copy_constructible_v<det::Atomic<int>> && !std::is_copy_assignable_v<det::Atomic<int>>);
static_assert(std::is_same_v<det::DetAtomic<int>, det::Atomic<int>> && std::is_same_v<det::DetMutex, det::Mutex>);
static_assert(SyncTypes<StdSync> && SyncTypes<det::Sync>);
static_assert(!SyncTypes<int>);

// --- off-schedule: std::atomic ---------------------------------------------------------------------

// The same sequence of operations on both, every result recorded.
template <class T, class A>
std::vector<std::int64_t> integral_trace(A& a) {
  std::vector<std::int64_t> out;
  auto put = [&](auto v) { out.push_back(static_cast<std::int64_t>(v)); };
  put(a.load());
  a.store(5);
  put(a.exchange(9));
  T e = 3;
  put(a.compare_exchange_strong(e, 4));
  put(e);
  put(a.compare_exchange_weak(e, 11, std::memory_order_acq_rel, std::memory_order_acquire));
  put(a.fetch_add(7));
  put(a.fetch_sub(2));
  put(a.fetch_and(0b1110));
  put(a.fetch_or(0b10001));
  put(a.fetch_xor(0b111));
  put(++a);
  put(a++);
  put(--a);
  put(a--);
  put(a += 100);
  put(a -= 3);
  put(a &= 0xff);
  put(a |= 0x100);
  put(a ^= 0x11);
  put(a = 42);
  put(static_cast<T>(a));
  a.wait(7);  // differs: returns at once
  a.notify_one();
  a.notify_all();
  return out;
}

// Every operation of the pointer and bool specialisations, results recorded (instantiates them all).
template <class A>
std::vector<std::ptrdiff_t> pointer_trace(A& p, Node* base) {
  std::vector<std::ptrdiff_t> out;
  auto put = [&](Node* v) { out.push_back(v - base); };
  put(p.fetch_add(2));
  put(p.fetch_sub(1, std::memory_order_relaxed));
  put(++p);
  put(p++);
  put(--p);
  put(p--);
  put(p += 2);
  put(p -= 3);
  Node* e = base + 1;
  out.push_back(p.compare_exchange_strong(e, base + 3));
  put(e);
  out.push_back(p.compare_exchange_weak(e, base + 2, std::memory_order_acq_rel, std::memory_order_acquire));
  put(p.exchange(base + 1));
  p.store(base + 3, std::memory_order_release);
  put(p = base + 2);
  put(static_cast<Node*>(p));
  put(p.load(std::memory_order_acquire));
  p.wait(base);
  p.notify_all();
  return out;
}
template <class A>
std::vector<int> bool_trace(A& b) {
  std::vector<int> out;
  out.push_back(b.load());
  out.push_back(b.exchange(true));
  bool e = false;
  out.push_back(b.compare_exchange_strong(e, false));
  out.push_back(e);
  out.push_back(b.compare_exchange_weak(e, false, std::memory_order_acq_rel));
  out.push_back(b = true);
  out.push_back(static_cast<bool>(b));
  b.store(false);
  b.wait(true);
  b.notify_one();
  out.push_back(b.load());
  return out;
}

TEST(DetAtomicOffSchedule, EveryOperationGivesWhatStdAtomicGives) {
  std::atomic<int> s{1};
  det::Atomic<int> d{1};
  EXPECT_EQ(integral_trace<int>(d), integral_trace<int>(s));
  EXPECT_EQ(d.load(), s.load());
  EXPECT_TRUE(d.is_lock_free()) << "int is lock-free on every platform poolcheck builds on";

  std::atomic<std::uint64_t> s64{~std::uint64_t{0} - 1};
  det::Atomic<std::uint64_t> d64{~std::uint64_t{0} - 1};
  EXPECT_EQ(integral_trace<std::uint64_t>(d64), integral_trace<std::uint64_t>(s64));

  Node nodes[4] = {{0}, {1}, {2}, {3}};
  std::atomic<Node*> sp{nodes};
  det::Atomic<Node*> dp{nodes};
  const auto pointer_ops = pointer_trace(dp, nodes);
  EXPECT_EQ(pointer_ops, pointer_trace(sp, nodes));
  EXPECT_EQ(pointer_ops.front(), 0) << "fetch_add returns the old pointer";
  EXPECT_EQ(dp.load(), sp.load());

  std::atomic<bool> sb;
  det::Atomic<bool> db;
  EXPECT_EQ(bool_trace(db), bool_trace(sb));

  std::atomic<double> sf{1.5};
  det::Atomic<double> df{1.5};
  EXPECT_EQ(df.fetch_add(2.0), sf.fetch_add(2.0));
  EXPECT_EQ(df -= 0.5, sf -= 0.5);
  EXPECT_EQ(df.load(), 3.0);
}

TEST(DetAtomicOffSchedule, WaitReturnsOnceAnotherThreadChangesTheValueAndNotifies) {
  det::Atomic<int> flag{0};
  std::thread setter([&] {
    std::this_thread::sleep_for(5ms);
    flag.store(1);
    flag.notify_one();
  });
  flag.wait(0);
  EXPECT_EQ(flag.load(), 1);
  setter.join();
}

// --- under a schedule ------------------------------------------------------------------------------

template <class Body>
ScheduleResult run_schedule(std::uint64_t seed, std::uint32_t threads, Body&& body, std::uint64_t max_steps = 50'000) {
  // Odd seeds walk at random, even ones are PCT at depth 2: both kinds of strategy drive the types.
  auto strategy = seed % 2 == 1 ? det::make_random_walk(seed) : det::make_pct(seed, threads, 2, 200);
  det::Schedule schedule(*strategy, max_steps);
  return schedule.run(threads, body);
}

bool blocked_at_some_step(const ScheduleResult& r, std::uint32_t thread) {
  return std::any_of(r.trace.begin(), r.trace.end(),
                     [&](const det::Step& s) { return s.at == thread && s.kind == det::PointKind::blocked; });
}

TEST(DetAtomicScheduled, IncrementsFromThreeThreadsAreNeverLost) {
  constexpr int kPerThread = 40;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    det::Atomic<int> counter{0};
    det::Atomic<std::uint64_t> wide{0};
    const auto r = run_schedule(seed, 3, [&](std::uint32_t) {
      for (int i = 0; i < kPerThread; ++i) {
        ++counter;
        wide += 2;
      }
    });
    ASSERT_EQ(r.end, End::completed) << "seed " << seed;
    EXPECT_EQ(counter.load(), 3 * kPerThread) << "seed " << seed;
    EXPECT_EQ(wide.load(), 6u * kPerThread) << "seed " << seed;
    EXPECT_GE(r.steps, 3u * 2u * kPerThread) << "every ++ and += is a point";
  }
}

TEST(DetAtomicScheduled, ALostUpdateWithLoadThenStoreIsFoundAndFetchAddNeverLoses) {
  constexpr int kPerThread = 5;
  std::uint64_t found_at = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    det::Atomic<int> racy{0};
    det::Atomic<int> safe{0};
    const auto r = run_schedule(seed, 3, [&](std::uint32_t) {
      for (int i = 0; i < kPerThread; ++i) {
        const int seen = racy.load();
        racy.store(seen + 1);  // another thread's increment between the two is lost
        safe.fetch_add(1);
      }
    });
    ASSERT_EQ(r.end, End::completed);
    EXPECT_EQ(safe.load(), 3 * kPerThread) << "seed " << seed;
    EXPECT_LE(racy.load(), 3 * kPerThread);
    if (found_at == 0 && racy.load() < 3 * kPerThread) found_at = seed;
  }
  EXPECT_NE(found_at, 0u) << "no schedule of 50 lost an update of the load/store counter";
}

TEST(DetAtomicScheduled, AWaiterWakesAfterTheNotifyOnEverySchedule) {
  bool some_waiter_blocked = false;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    det::Atomic<int> flag{0};
    int seen_after_wait = -1;
    const auto r = run_schedule(seed, 2, [&](std::uint32_t i) {
      if (i == 1) {
        flag.store(1);
        flag.notify_one();
        return;
      }
      flag.wait(0);
      seen_after_wait = flag.load();
    });
    ASSERT_EQ(r.end, End::completed) << "seed " << seed << "\n" << r.report;
    EXPECT_EQ(seen_after_wait, 1) << "seed " << seed;
    some_waiter_blocked = some_waiter_blocked || blocked_at_some_step(r, 0);
  }
  EXPECT_TRUE(some_waiter_blocked) << "the waiter never blocked in the schedule: the wait was never tested";
}

TEST(DetAtomicScheduled, NotifyOneWakesOneWaiterAndNotifyAllWakesBoth) {
  bool one_left_waiting = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (const bool all : {false, true}) {
      det::Atomic<int> flag{0};
      det::Atomic<int> waiting{0};
      std::atomic<int> woken{0};
      const auto r = run_schedule(seed, 3, [&](std::uint32_t i) {
        if (i == 2) {
          while (waiting.load() < 2) det::Schedule::yield();
          flag.store(1);
          return all ? flag.notify_all() : flag.notify_one();
        }
        ++waiting;  // just before the wait: the setter may still change the value before it checks
        flag.wait(0);
        woken.fetch_add(1);
      });
      // A waiter that checks after the store returns without blocking: only blocked ones need a notify.
      if (all) {
        EXPECT_EQ(r.end, End::completed) << "seed " << seed;
        EXPECT_EQ(woken.load(), 2);
      } else if (r.end == End::deadlock) {
        EXPECT_EQ(woken.load(), 1) << "seed " << seed;
        one_left_waiting = true;
      } else {
        EXPECT_EQ(r.end, End::completed);
        EXPECT_EQ(woken.load(), 2);
      }
    }
  }
  EXPECT_TRUE(one_left_waiting) << "notify_one never left the second blocked waiter waiting";
}

TEST(DetAtomicScheduled, AWaitWithoutANotifyIsADeadlockNotAWakeUp) {
  // The value changes but nobody notifies: std's wait may sleep forever, and so must this one (no
  // spurious wake-up hides the missing notify). Some schedule runs the waiter first.
  std::uint64_t found_at = 0;
  for (std::uint64_t seed = 1; seed <= 50 && found_at == 0; ++seed) {
    det::Atomic<int> flag{0};
    const auto r = run_schedule(seed, 2, [&](std::uint32_t i) {
      if (i == 1) return flag.store(1);
      flag.wait(0);
    });
    if (r.end == End::deadlock) {
      found_at = seed;
    } else {
      EXPECT_EQ(r.end, End::completed);
    }
  }
  EXPECT_NE(found_at, 0u);
}

TEST(DetMutexScheduled, ASectionSplitByYieldPointLosesUpdatesUnlockedAndNeverUnderAMutex) {
  constexpr int kPerThread = 4;
  std::uint64_t found_at = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    // Unlocked: a std::atomic read and write with relaxed order, a non-atomic increment without a
    // data race (TSan stays quiet); only yield_point lets the schedule switch inside it.
    std::atomic<int> unlocked{0};
    int locked = 0;  // plain: det::Mutex's real lock orders it for TSan
    det::Mutex m;
    const auto r = run_schedule(seed, 3, [&](std::uint32_t) {
      for (int i = 0; i < kPerThread; ++i) {
        const int top = unlocked.load(std::memory_order_relaxed);
        yield_point();
        unlocked.store(top + 1, std::memory_order_relaxed);

        std::lock_guard guard(m);
        const int held = locked;
        yield_point();
        locked = held + 1;
      }
    });
    ASSERT_EQ(r.end, End::completed);
    EXPECT_EQ(locked, 3 * kPerThread) << "seed " << seed;
    if (found_at == 0 && unlocked.load() < 3 * kPerThread) found_at = seed;
  }
  EXPECT_NE(found_at, 0u) << "no schedule of 50 switched threads at the yield_point";
}

TEST(DetMutexScheduled, TryLockFailsWhileHeldAndUnlockWakesABlockedLocker) {
  bool some_blocked = false, some_try_failed = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    det::Mutex m;
    int inside = 0, overlaps = 0, try_failures = 0, entries = 0;  // guarded by m, but try_failures: thread 2's
    const auto r = run_schedule(seed, 3, [&](std::uint32_t i) {
      for (int k = 0; k < 3; ++k) {
        if (i == 2) {
          if (!m.try_lock()) {
            ++try_failures;
            continue;
          }
        } else {
          m.lock();
        }
        overlaps += inside++ != 0;
        ++entries;
        yield_point();
        --inside;
        m.unlock();
      }
    });
    ASSERT_EQ(r.end, End::completed);
    EXPECT_EQ(overlaps, 0) << "seed " << seed;
    EXPECT_EQ(entries + try_failures, 9) << "seed " << seed;
    some_blocked = some_blocked || blocked_at_some_step(r, 0) || blocked_at_some_step(r, 1);
    some_try_failed = some_try_failed || try_failures > 0;
  }
  EXPECT_TRUE(some_blocked) << "no locker ever blocked in the schedule";
  EXPECT_TRUE(some_try_failed) << "try_lock never met a held mutex";
}

TEST(DetSharedMutexScheduled, ReadersOverlapAndAWriterOverlapsNobody) {
  bool readers_overlapped = false;
  bool writer_blocked = false;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    det::SharedMutex sm;
    det::Atomic<int> readers{0};
    det::Atomic<int> writers{0};
    std::atomic<bool> two_readers{false};
    std::atomic<int> violations{0};
    int data = 0;                           // plain: written under the writer lock, read under the shared one
    int sum_read = 0;
    std::atomic<int> reads{0};
    const auto r = run_schedule(seed, 4, [&](std::uint32_t i) {
      for (int k = 0; k < 3; ++k) {
        if (i < 2) {  // writers
          std::unique_lock lock(sm);
          if (writers.fetch_add(1) != 0 || readers.load() != 0) violations.fetch_add(1);
          yield_point();
          ++data;
          if (readers.load() != 0) violations.fetch_add(1);
          writers.fetch_sub(1);
        } else {  // readers
          std::shared_lock lock(sm);
          const int now = readers.fetch_add(1) + 1;
          if (writers.load() != 0) violations.fetch_add(1);
          if (now == 2) two_readers.store(true);
          yield_point();
          if (i == 2) sum_read += data;
          reads.fetch_add(1);
          readers.fetch_sub(1);
        }
      }
    });
    ASSERT_EQ(r.end, End::completed) << "seed " << seed << "\n" << r.report;
    EXPECT_EQ(violations.load(), 0) << "seed " << seed;
    EXPECT_EQ(data, 6) << "seed " << seed;
    EXPECT_EQ(reads.load(), 6);
    EXPECT_LE(sum_read, 18);
    readers_overlapped = readers_overlapped || two_readers.load();
    writer_blocked = writer_blocked || blocked_at_some_step(r, 0) || blocked_at_some_step(r, 1);
  }
  EXPECT_TRUE(readers_overlapped) << "no schedule had two readers inside at once";
  EXPECT_TRUE(writer_blocked) << "no writer ever blocked in the schedule";
}

TEST(DetSharedMutexScheduled, TryLocksRefuseTheOtherKind) {
  // Thread 0 holds it shared, then exclusive; thread 1 tries both ways each time. The phases are
  // handed over through an atomic, so the order is the same on every schedule.
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    det::SharedMutex sm;
    det::Atomic<int> phase{0};
    bool shared_beside_shared = false, exclusive_beside_shared = true;
    bool shared_beside_exclusive = true, exclusive_beside_exclusive = true;
    auto await = [&](int p) {
      while (phase.load() != p) det::Schedule::yield();
    };
    const auto r = run_schedule(seed, 2, [&](std::uint32_t i) {
      if (i == 0) {
        sm.lock_shared();
        phase.store(1);
        await(2);
        sm.unlock_shared();
        sm.lock();
        phase.store(3);
        await(4);
        sm.unlock();
        return;
      }
      await(1);
      shared_beside_shared = sm.try_lock_shared();
      if (shared_beside_shared) sm.unlock_shared();
      exclusive_beside_shared = sm.try_lock();
      phase.store(2);
      await(3);
      shared_beside_exclusive = sm.try_lock_shared();
      exclusive_beside_exclusive = sm.try_lock();
      phase.store(4);
    });
    ASSERT_EQ(r.end, End::completed) << "seed " << seed;
    EXPECT_TRUE(shared_beside_shared);
    EXPECT_FALSE(exclusive_beside_shared);
    EXPECT_FALSE(shared_beside_exclusive);
    EXPECT_FALSE(exclusive_beside_exclusive);
  }
}

// A bounded queue: two producers, two consumers, notify_one on separate conditions.
struct Handoff {
  static constexpr std::size_t kCapacity = 2;
  det::Mutex m;
  det::ConditionVariable not_empty, not_full;
  std::deque<int> queue;  // guarded by m
  std::vector<int> taken;  // guarded by m

  void put(int v) {
    std::unique_lock lock(m);
    not_full.wait(lock, [&] { return queue.size() < kCapacity; });
    queue.push_back(v);
    not_empty.notify_one();
  }
  void take() {
    std::unique_lock lock(m);
    not_empty.wait(lock, [&] { return !queue.empty(); });
    taken.push_back(queue.front());
    queue.pop_front();
    not_full.notify_one();
  }
};

TEST(DetConditionVariableScheduled, ProducersAndConsumersHandOverEverythingOnEverySchedule) {
  constexpr int kItems = 6;  // per producer
  bool some_consumer_blocked = false;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    Handoff h;
    const auto r = run_schedule(seed, 4, [&](std::uint32_t i) {
      for (int k = 0; k < kItems; ++k) {
        if (i < 2) {
          h.put(static_cast<int>(i) * 100 + k);
        } else {
          h.take();
        }
      }
    });
    ASSERT_EQ(r.end, End::completed) << "seed " << seed << "\n" << r.report;
    std::vector<int> got = h.taken;
    std::sort(got.begin(), got.end());
    std::vector<int> want;
    for (int p = 0; p < 2; ++p) {
      for (int k = 0; k < kItems; ++k) want.push_back(p * 100 + k);
    }
    EXPECT_EQ(got, want) << "seed " << seed;
    some_consumer_blocked = some_consumer_blocked || blocked_at_some_step(r, 2) || blocked_at_some_step(r, 3);
  }
  EXPECT_TRUE(some_consumer_blocked);
}

TEST(DetConditionVariableScheduled, TheSameSeedGivesTheSameStepsAndNotifyOneWakesEitherWaiter) {
  auto once = [](std::uint64_t seed, std::vector<std::uint32_t>* order) {
    det::Mutex m;
    det::ConditionVariable cv;
    int waiting = 0, tokens = 0;  // guarded by m
    auto r = run_schedule(seed, 3, [&](std::uint32_t i) {
      std::unique_lock lock(m);
      if (i < 2) {
        ++waiting;
        cv.wait(lock, [&] { return tokens > 0; });
        --tokens;
        order->push_back(i);
        return;
      }
      for (int round = 0; round < 2; ++round) {
        while (waiting < 2 - round) {  // let the waiters register
          lock.unlock();
          det::Schedule::yield();
          lock.lock();
        }
        ++tokens;
        --waiting;
        cv.notify_one();
        while (order->size() < static_cast<std::size_t>(round + 1)) {
          lock.unlock();
          det::Schedule::yield();
          lock.lock();
        }
      }
    });
    return r;
  };
  bool first_was[2] = {false, false};
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    std::vector<std::uint32_t> order, again;
    const auto a = once(seed, &order);
    const auto b = once(seed, &again);
    ASSERT_EQ(a.end, End::completed) << "seed " << seed << "\n" << a.report;
    EXPECT_TRUE(det::same_steps(a.trace, b.trace)) << "seed " << seed;
    ASSERT_EQ(order.size(), 2u);
    EXPECT_EQ(order, again);
    first_was[order[0]] = true;
  }
  EXPECT_TRUE(first_was[0] && first_was[1]) << "notify_one always woke the same waiter";
}

TEST(DetConditionVariableScheduled, NotifyOneWakesExactlyOneAndNeverALaterWaiter) {
  // Thread 0 waits; thread 1 notifies once when it sees 0 waiting, then waits itself. The notify
  // is thread 0's: a waiter that registered after it may not take it. Nobody wakes thread 1, so
  // every schedule ends in deadlock with thread 0 woken, and thread 0 unwinds holding the lock
  // again (the abort path of wait).
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    det::Mutex m;
    det::ConditionVariable cv;
    int waiting = 0;  // guarded by m
    std::atomic<int> woken_mask{0};
    const auto r = run_schedule(seed, 2, [&](std::uint32_t i) {
      std::unique_lock lock(m);
      if (i == 1) {
        while (waiting == 0) {
          lock.unlock();
          det::Schedule::yield();
          lock.lock();
        }
        cv.notify_one();
      }
      ++waiting;
      cv.wait(lock);
      woken_mask.fetch_or(1 << i);
    });
    EXPECT_EQ(r.end, End::deadlock) << "seed " << seed;
    EXPECT_EQ(woken_mask.load(), 1) << "seed " << seed;
    EXPECT_TRUE(m.try_lock()) << "a waiter unwound without releasing the lock";
    m.unlock();
  }
}

TEST(DetConditionVariableScheduled, ANotifyBeforeTheWaitIsLostAndTheScheduleReportsTheDeadlock) {
  // The classic lost wake-up: the waiter waits without checking a predicate. When the notifier runs
  // first, the waiter waits forever: a deadlock the schedule reports, never a hang or a wake-up.
  std::uint64_t found_at = 0;
  for (std::uint64_t seed = 1; seed <= 50 && found_at == 0; ++seed) {
    det::Mutex m;
    det::ConditionVariable cv;
    const auto r = run_schedule(seed, 2, [&](std::uint32_t i) {
      std::unique_lock lock(m);
      if (i == 1) return cv.notify_all();
      cv.wait(lock);
    });
    if (r.end == End::deadlock) {
      found_at = seed;
    } else {
      EXPECT_EQ(r.end, End::completed);
    }
  }
  EXPECT_NE(found_at, 0u);
}

TEST(DetConditionVariableScheduled, ATimedWaitTimesOutOrIsNotifiedAsTheScheduleChooses) {
  bool timed_out = false, notified = false;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    det::Mutex m;
    det::ConditionVariable cv;
    bool ready = false;  // guarded by m
    int timeouts = 0;
    const auto r = run_schedule(seed, 2, [&](std::uint32_t i) {
      std::unique_lock lock(m);
      if (i == 1) {
        ready = true;
        return cv.notify_one();
      }
      while (!ready) {
        if (cv.wait_for(lock, 10s) == std::cv_status::timeout) {
          ++timeouts;
        } else {
          notified = true;
        }
      }
    });
    ASSERT_EQ(r.end, End::completed) << "seed " << seed << "\n" << r.report;
    timed_out = timed_out || timeouts > 0;
  }
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(notified);
}

TEST(DetSyncOffSchedule, TheLocksAndTheConditionVariableAreTheStdOnes) {
  det::Mutex m;
  det::SharedMutex sm;
  det::ConditionVariable cv;
  bool ready = false;
  int shared_value = 0;
  std::thread t([&] {
    {
      std::unique_lock w(sm);
      shared_value = 7;
    }
    std::lock_guard lock(m);
    ready = true;
    cv.notify_one();
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return ready; });
  }
  t.join();
  std::shared_lock r(sm);
  EXPECT_EQ(shared_value, 7);
  std::unique_lock lock(m);
  EXPECT_EQ(cv.wait_for(lock, 1ms), std::cv_status::timeout);
  EXPECT_FALSE(cv.wait_for(lock, 1ms, [] { return false; }));
  yield_point();  // off-schedule: nothing happens
  det::Sync::yield_point();
  StdSync::yield_point();
}

}  // namespace
}  // namespace poolcheck
