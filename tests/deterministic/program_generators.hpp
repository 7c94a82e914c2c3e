// RapidCheck generators of thread programs (the same ProgramSet type the seeded generator makes),
// small enough for the deterministic executor, with sizes skewed to bucket edges (the same edge
// sizes as the pool's own properties: tests/generators.hpp). Shrinking removes
// threads and ops and moves sizes towards small ones.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <ostream>
#include <vector>

#include "generators.hpp"
#include "poolcheck/program.hpp"

namespace poolcheck {
// RapidCheck prints counterexamples through ADL's showValue.
inline void showValue(const ProgramSet& programs, std::ostream& os) { os << to_string(programs); }
}  // namespace poolcheck

namespace poolcheck::testing {

// The pool tests' bucket-edge sizes (generators.hpp), as the uint64_t an Op carries.
inline rc::Gen<std::uint64_t> edge_sizes(std::uint64_t max_length) {
  return rc::gen::map(gen::edge_size(static_cast<std::size_t>(max_length), 15),
                      [](std::size_t n) { return static_cast<std::uint64_t>(n); });
}

// One op for a program of `threads` threads.
inline rc::Gen<Op> ops(std::uint32_t threads, std::uint64_t max_length) {
  return rc::gen::apply(
      [threads](OpKind kind, std::uint8_t lease, bool flag, std::uint64_t size, std::uint16_t lo, std::uint16_t hi,
                std::uint32_t target) {
        Op op;
        op.kind = kind;
        op.lease = lease;
        op.via_lease = kind == OpKind::rent && flag;
        op.clear = (kind == OpKind::give_back || kind == OpKind::trim || kind == OpKind::exit) && flag;
        op.size = kind == OpKind::rent ? size : 0;
        if (kind == OpKind::write || kind == OpKind::read) {
          op.lo = std::min(lo, hi);
          op.hi = lo == hi ? 0 : std::max(lo, hi);
        }
        // Variants shrink towards the first (the size generator shrinks towards small sizes).
        if (kind == OpKind::misuse) op.size = size % kMisuseCount;
        if (kind == OpKind::lease_move) {
          op.size = size % kLeaseMoveCount;
          op.lo = static_cast<std::uint16_t>(lo % kLeasesPerThread);
        }
        op.target = kind == OpKind::hand_over ? target % threads : 0;
        return op;
      },
      rc::gen::element(OpKind::rent, OpKind::write, OpKind::verify, OpKind::read, OpKind::hand_over,
                       OpKind::give_back, OpKind::rent, OpKind::write, OpKind::rent, OpKind::give_back, OpKind::trim,
                       OpKind::stats, OpKind::misuse, OpKind::lease_move, OpKind::lease_move, OpKind::exit),
      rc::gen::inRange<std::uint8_t>(0, kLeasesPerThread), rc::gen::arbitrary<bool>(), edge_sizes(max_length),
      rc::gen::arbitrary<std::uint16_t>(), rc::gen::arbitrary<std::uint16_t>(),
      rc::gen::inRange<std::uint32_t>(0, 1024));
}

// 1..max_threads threads of 0..max_ops ops each.
inline rc::Gen<ProgramSet> program_sets(std::uint32_t max_threads, std::uint32_t max_ops, std::uint64_t max_length) {
  return rc::gen::mapcat(rc::gen::inRange<std::uint32_t>(1, max_threads + 1), [=](std::uint32_t threads) {
    return rc::gen::map(
        rc::gen::container<std::vector<std::vector<Op>>>(
            threads, rc::gen::resize(static_cast<int>(max_ops), rc::gen::container<std::vector<Op>>(ops(threads, max_length)))),
        [](std::vector<std::vector<Op>> per_thread) {
          ProgramSet set;
          set.seed = 0;
          for (auto& ops_of_thread : per_thread) set.threads.push_back(ThreadProgram{std::move(ops_of_thread)});
          return set;
        });
  });
}

}  // namespace poolcheck::testing
