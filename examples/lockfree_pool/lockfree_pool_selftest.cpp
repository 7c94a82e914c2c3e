// A standalone self-test of lockfree::Pool, without poolcheck: its single-thread contract, and a
// multi-threaded hammer that watches every array from outside the pool (through a counting
// allocator that keeps a header before each array), so a pool that miscounts itself is still seen.
//
//   g++ -std=c++20 -O2 -pthread lockfree_pool_selftest.cpp -o selftest
//   clang++-14 -std=c++20 -O1 -g -fsanitize=thread -pthread lockfree_pool_selftest.cpp -o selftest-tsan
//
//   selftest [contract | hammer | cap_race | aba | all] [threads] [ops per thread] [runs] [std | yield]
//
// contract: the single-thread contract, for every variant (they differ only under concurrency).
// hammer:   the correct pool, `runs` runs; any violation fails.
// cap_race, aba: the broken variants, `runs` runs each; prints in how many runs each kind of
//           violation showed (free-running they may be rare, so only `all` asserts one: cap_race
//           under the yielding Sync, whose yield point gives the scheduler a chance to switch in
//           the window).
// std | yield: the Sync the hammer's pools use; yield's yield_point() is std::this_thread::yield().
// all (the default): contract; the correct pool with both Syncs (yield at a tenth of the ops),
//           which must show nothing; cap_race under yield at 4 threads x 10,000 ops, which must be
//           found in at least one run. With the defaults this takes about two seconds.
// Exit status: 0 when every assertion held, 1 otherwise.
#include "lockfree_pool.hpp"

#include <array>
#include <atomic>
#include <barrier>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Elem = std::uint64_t;

int g_failures = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                                  \
    }                                                                                \
  } while (0)

struct YieldSync {
  template <class T>
  using atomic = std::atomic<T>;
  static void yield_point() noexcept { std::this_thread::yield(); }
};

// Everything allocated through a Ledger: each array has a 3-word header just below it (capacity,
// state, owner). Freed arrays are marked dead and kept in a quarantine (up to kQuarantine of them)
// before going back to the heap, so a broken pool that hands out a freed array is seen, not a crash.
// Thread-safe: a mutex guards the books; the owner word is used through atomic_ref.
class Ledger {
 public:
  static constexpr Elem kLive = 0x11fe11fe11fe11feULL;
  static constexpr Elem kDead = 0xdeaddeaddeaddeadULL;
  static constexpr std::size_t kHeader = 3;
  static constexpr std::size_t kQuarantine = 200'000;
  static constexpr std::size_t kRows = 64;  // per log2 of capacity

  ~Ledger() {
    for (Elem* b : quarantine_) delete[] b;
    for (auto& [p, n] : live_) delete[] (p - kHeader);
  }

  Elem* allocate(std::size_t n) {
    Elem* block = new Elem[n + kHeader];
    block[0] = n;
    block[1] = kLive;
    block[2] = 0;
    Elem* p = block + kHeader;
    std::lock_guard lock(mutex_);
    live_.emplace(p, n);
    ++allocations_;
    ++live_by_row_[row(n)];
    last_allocation_size_ = n;
    return p;
  }

  void deallocate(Elem* p, std::size_t n) noexcept {
    std::lock_guard lock(mutex_);
    auto it = live_.find(p);
    if (it == live_.end()) {
      ++bad_frees_;  // twice, or never ours: leave the memory alone
      return;
    }
    if (it->second != n) ++wrong_size_frees_;
    --live_by_row_[row(it->second)];
    live_.erase(it);
    ++deallocations_;
    last_deallocation_size_ = n;
    Elem* block = p - kHeader;
    block[1] = kDead;
    quarantine_.push_back(block);
    if (quarantine_.size() > kQuarantine) {
      delete[] quarantine_.front();
      quarantine_.pop_front();
    }
  }

  static std::size_t capacity_of(const Elem* p) { return static_cast<std::size_t>(p[-3]); }
  static bool alive(const Elem* p) { return p[-2] == kLive; }
  static std::atomic_ref<Elem> owner(Elem* p) { return std::atomic_ref<Elem>(p[-1]); }

  struct Books {
    std::size_t allocations, deallocations, live, bad_frees, wrong_size_frees;
    std::size_t last_allocation_size, last_deallocation_size;
  };
  Books books() const {
    std::lock_guard lock(mutex_);
    return {allocations_, deallocations_, live_.size(), bad_frees_, wrong_size_frees_, last_allocation_size_,
            last_deallocation_size_};
  }
  std::size_t live_of_capacity(std::size_t capacity) const {
    std::lock_guard lock(mutex_);
    return live_by_row_[row(capacity)];
  }

 private:
  static std::size_t row(std::size_t n) { return static_cast<std::size_t>(std::bit_width(n)) % kRows; }

  mutable std::mutex mutex_;
  std::unordered_map<Elem*, std::size_t> live_;
  std::deque<Elem*> quarantine_;
  std::array<std::size_t, kRows> live_by_row_{};
  std::size_t allocations_ = 0, deallocations_ = 0, bad_frees_ = 0, wrong_size_frees_ = 0;
  std::size_t last_allocation_size_ = 0, last_deallocation_size_ = 0;
};

// std::allocator<Elem>-style, through a Ledger.
struct CountingAllocator {
  using value_type = Elem;
  Ledger* ledger;
  Elem* allocate(std::size_t n) { return ledger->allocate(n); }
  void deallocate(Elem* p, std::size_t n) noexcept { ledger->deallocate(p, n); }
};

template <lockfree::Bug B, class Sync = lockfree::StdSync>
using TestPool = lockfree::Pool<Elem, B, Sync, CountingAllocator>;

// --- The single-thread contract ---------------------------------------------------------------

template <lockfree::Bug B>
void contract() {
  using P = TestPool<B>;
  CHECK(P::largest_bucket_for(0) == 16 && P::bucket_count_for(0) == 1);
  CHECK(P::largest_bucket_for(16) == 16 && P::largest_bucket_for(17) == 32);
  CHECK(P::largest_bucket_for(1000) == 1024 && P::bucket_count_for(1000) == 7);
  CHECK(P::largest_bucket_for(std::size_t{1} << 40) == std::size_t{1} << 30);
  CHECK(P::bucket_count_for(std::size_t{1} << 40) == 27);

  Ledger ledger;
  {
    P pool({.max_array_length = 1000, .max_per_bucket = 2}, CountingAllocator{&ledger});
    CHECK(pool.largest_bucket() == 1024 && pool.bucket_count() == 7);
    CHECK(pool.options().max_array_length == 1000 && pool.options().max_per_bucket == 2);

    // Sizes: the bucket's capacity, from one allocation of exactly that capacity.
    CHECK(pool.rent(0).empty() && ledger.books().allocations == 0);
    const std::pair<std::size_t, std::size_t> sizes[] = {{1, 16}, {16, 16}, {17, 32}, {33, 64}, {1000, 1024}, {1024, 1024}};
    for (auto [n, capacity] : sizes) {
      std::span<Elem> a = pool.rent(n);
      CHECK(a.size() == capacity && Ledger::capacity_of(a.data()) == capacity);
      CHECK(ledger.books().last_allocation_size == capacity);
      pool.give_back(a);
    }
    // Over-size: exactly n elements, freed (with n) on give_back, never pooled.
    std::span<Elem> big = pool.rent(1025);
    CHECK(big.size() == 1025 && ledger.books().last_allocation_size == 1025);
    const std::size_t live_before = ledger.books().live;
    pool.give_back(big);
    CHECK(ledger.books().live == live_before - 1 && ledger.books().last_deallocation_size == 1025);

    // Reuse, no zeroing unless asked, and clear zero-fills.
    std::span<Elem> a = pool.rent(20);
    for (Elem& e : a) e = 0xabcd;
    Elem* const p = a.data();
    pool.give_back(a);
    std::span<Elem> b = pool.rent(32);
    CHECK(b.data() == p && b.size() == 32);
    CHECK(b[0] == 0xabcd && b[31] == 0xabcd);  // not zeroed: this pool hands out what rested
    pool.give_back(b, /*clear=*/true);
    std::span<Elem> c = pool.rent(32);
    CHECK(c.data() == p);
    bool zero = true;
    for (Elem e : c) zero = zero && e == 0;
    CHECK(zero);

    // Empty give_back: nothing. A length that is no bucket capacity: throws, keeps nothing.
    const Ledger::Books before = ledger.books();
    pool.give_back(std::span<Elem>{});
    pool.give_back(c.first(0));
    bool threw17 = false, threw8 = false;
    try {
      pool.give_back(c.first(17));
    } catch (const std::invalid_argument&) {
      threw17 = true;
    }
    try {
      pool.give_back(c.first(8));
    } catch (const std::invalid_argument&) {
      threw8 = true;
    }
    CHECK(threw17 && threw8);
    const Ledger::Books after = ledger.books();
    CHECK(after.allocations == before.allocations && after.deallocations == before.deallocations);
    std::span<Elem> d = pool.rent(32);  // the pool kept nothing of c
    CHECK(d.data() != c.data());
    pool.give_back(c);
    pool.give_back(d);

    // The cap: five arrays of one bucket back, two rest, three are freed (with their capacity).
    std::vector<std::span<Elem>> held;
    for (int i = 0; i < 5; ++i) held.push_back(pool.rent(100));
    const std::size_t live_held = ledger.live_of_capacity(128);
    CHECK(live_held == 5);
    const std::size_t freed_before = ledger.books().deallocations;
    for (auto s : held) pool.give_back(s);
    CHECK(ledger.books().deallocations == freed_before + 3 && ledger.books().last_deallocation_size == 128);
    CHECK(ledger.live_of_capacity(128) == 2);
    held.clear();
    const std::size_t allocations_before = ledger.books().allocations;
    for (int i = 0; i < 3; ++i) held.push_back(pool.rent(128));
    CHECK(ledger.books().allocations == allocations_before + 1);  // two rested, one is fresh
    for (auto s : held) pool.give_back(s);
    CHECK(ledger.live_of_capacity(128) == 2);
  }
  // The destructor freed every resting array, each with its own size.
  const Ledger::Books end = ledger.books();
  CHECK(end.live == 0 && end.allocations == end.deallocations);
  CHECK(end.bad_frees == 0 && end.wrong_size_frees == 0);

  // A cap of zero keeps nothing.
  Ledger ledger0;
  {
    P pool({.max_array_length = 64, .max_per_bucket = 0}, CountingAllocator{&ledger0});
    std::span<Elem> a = pool.rent(64);
    pool.give_back(a);
    CHECK(ledger0.books().live == 0);
  }
  CHECK(ledger0.books().allocations == ledger0.books().deallocations && ledger0.books().bad_frees == 0);
}

// --- The hammer -------------------------------------------------------------------------------

struct Findings {
  std::atomic<std::size_t> aliasing{0};        // an array rented while another thread held it
  std::atomic<std::size_t> wrong_capacity{0};  // a span whose size is not its array's capacity
  std::atomic<std::size_t> freed_rented{0};    // a rented array the pool had already freed
  std::atomic<std::size_t> kept{0};            // arrays the hammer did not give back after a finding
  std::size_t over_cap = 0;                    // quiescent checks where a bucket rested more than cap
  std::size_t max_resting = 0;
  std::size_t lost = 0, bad_frees = 0, wrong_size_frees = 0;  // after the destructor
  bool any() const {
    return aliasing || wrong_capacity || freed_rented || over_cap || lost || bad_frees || wrong_size_frees;
  }
};

struct HammerSettings {
  unsigned threads = 16;
  std::size_t ops = 100'000;
  std::size_t cap = 1;  // 1 or 2 arrays per bucket
};

// `threads` threads, each `ops` times: rent 1..32 elements (buckets 16 and 32; 1 in 64 over-size),
// take the array's owner word (a failed take is aliasing), fill it with its own tag, verify the tag,
// release the owner word and give it back (1 in 4 cleared). Every 256 ops all threads meet at a
// barrier where nothing is held, and the ledger's live arrays per bucket are exactly what rests.
template <lockfree::Bug B, class Sync>
void hammer(const HammerSettings& s, std::uint64_t seed, Findings& f) {
  Ledger ledger;
  std::atomic<bool> stop{false};
  auto* pool = new TestPool<B, Sync>({.max_array_length = 32, .max_per_bucket = s.cap}, CountingAllocator{&ledger});
  auto quiescent = [&]() noexcept {
    for (std::size_t capacity : {std::size_t{16}, std::size_t{32}}) {
      const std::size_t resting = ledger.live_of_capacity(capacity);
      if (resting > f.max_resting) f.max_resting = resting;
      if (resting > s.cap) ++f.over_cap;
    }
  };
  std::barrier meet(static_cast<std::ptrdiff_t>(s.threads), quiescent);
  auto body = [&](unsigned id) {
    std::mt19937_64 rng(seed * 1000 + id);
    const Elem me = id + 1;
    for (std::size_t i = 0; i < s.ops && !stop.load(std::memory_order_relaxed); ++i) {
      if (i % 256 == 255) meet.arrive_and_wait();
      const std::size_t n = rng() % 64 == 0 ? 40 : 1 + rng() % 32;
      std::span<Elem> a = pool->rent(n);
      if (!Ledger::alive(a.data())) {
        ++f.freed_rented, ++f.kept;
        stop = true;
        continue;
      }
      if (Ledger::capacity_of(a.data()) != a.size()) {
        ++f.wrong_capacity, ++f.kept;
        stop = true;
        continue;
      }
      Elem expected = 0;
      if (!Ledger::owner(a.data()).compare_exchange_strong(expected, me)) {
        ++f.aliasing, ++f.kept;
        stop = true;
        continue;
      }
      const Elem tag = (me << 40) | i;
      for (Elem& e : a) e = tag;
      bool intact = true;
      for (Elem e : a) intact = intact && e == tag;
      if (!intact) ++f.aliasing, stop = true;
      Ledger::owner(a.data()).store(0);
      pool->give_back(a, rng() % 4 == 0);
    }
    meet.arrive_and_drop();
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < s.threads; ++t) threads.emplace_back(body, t);
  for (auto& t : threads) t.join();
  if (!stop) quiescent();  // after the last op: everything given back rests or was freed
  delete pool;
  const Ledger::Books end = ledger.books();
  f.lost = end.live > f.kept ? end.live - f.kept : 0;
  f.bad_frees = end.bad_frees;
  f.wrong_size_frees = end.wrong_size_frees;
}

void print(const char* what, const Findings& f) {
  std::printf("  %s: aliasing %zu, wrong capacity %zu, freed array rented %zu, over-cap checks %zu (max resting %zu), "
              "lost %zu, bad frees %zu, wrong-size frees %zu\n",
              what, f.aliasing.load(), f.wrong_capacity.load(), f.freed_rented.load(), f.over_cap, f.max_resting, f.lost,
              f.bad_frees, f.wrong_size_frees);
}

// Runs `runs` hammers of one variant; returns in how many runs something was found.
template <lockfree::Bug B, class Sync>
unsigned campaign(const char* name, const HammerSettings& base, unsigned runs, bool verbose) {
  unsigned found = 0, over_cap = 0, aliasing_like = 0, lost = 0;
  for (unsigned r = 0; r < runs; ++r) {
    HammerSettings s = base;
    s.cap = 1 + r % 2;
    Findings f;
    hammer<B, Sync>(s, r, f);
    if (f.any()) {
      ++found;
      if (verbose) print(name, f);
    }
    over_cap += f.over_cap > 0;
    aliasing_like += (f.aliasing + f.wrong_capacity + f.freed_rented) > 0;
    lost += (f.lost + f.bad_frees + f.wrong_size_frees) > 0;
  }
  std::printf("%s: found something in %u of %u runs (%u threads x %zu ops, caps 1-2): over cap in %u, "
              "aliasing/wrong capacity/freed array in %u, lost or bad frees in %u\n",
              name, found, runs, base.threads, base.ops, over_cap, aliasing_like, lost);
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "all";
  HammerSettings s;
  if (argc > 2) s.threads = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  if (argc > 3) s.ops = std::strtoull(argv[3], nullptr, 10);
  const unsigned runs = argc > 4 ? static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10)) : 4;
  const bool yield = argc > 5 && std::string(argv[5]) == "yield";
  if (s.threads == 0 || s.ops == 0) {
    std::fprintf(stderr, "usage: %s [contract|hammer|cap_race|aba|all] [threads] [ops] [runs] [std|yield]\n", argv[0]);
    return 2;
  }
  using lockfree::Bug;
  if (mode == "contract" || mode == "all") {
    contract<Bug::none>();
    contract<Bug::aba>();
    contract<Bug::cap_race>();
    std::printf("contract: %s\n", g_failures == 0 ? "ok" : "FAILED");
  }
  if (mode == "hammer") {
    const unsigned found = yield ? campaign<Bug::none, YieldSync>("none/yield", s, runs, true)
                                 : campaign<Bug::none, lockfree::StdSync>("none/std", s, runs, true);
    CHECK(found == 0);
  }
  if (mode == "cap_race") {
    yield ? campaign<Bug::cap_race, YieldSync>("cap_race/yield", s, runs, false)
          : campaign<Bug::cap_race, lockfree::StdSync>("cap_race/std", s, runs, false);
  }
  if (mode == "aba") {
    yield ? campaign<Bug::aba, YieldSync>("aba/yield", s, runs, true)
          : campaign<Bug::aba, lockfree::StdSync>("aba/std", s, runs, true);
  }
  if (mode == "all") {
    // The yielding Sync costs a context switch per yield point on a busy machine: fewer ops there.
    const unsigned correct_std = campaign<Bug::none, lockfree::StdSync>("none/std", s, runs, true);
    const unsigned correct_yield = campaign<Bug::none, YieldSync>("none/yield", {s.threads, s.ops / 10, 1}, runs, true);
    const unsigned cap_race = campaign<Bug::cap_race, YieldSync>("cap_race/yield", {4, 10'000, 1}, runs, false);
    CHECK(correct_std == 0);
    CHECK(correct_yield == 0);
    CHECK(cap_race > 0);
  }
  if (g_failures != 0) std::printf("FAILED: %d checks\n", g_failures);
  return g_failures == 0 ? 0 : 1;
}
