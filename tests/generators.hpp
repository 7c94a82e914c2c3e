// RapidCheck generators of pool requests, shared by the pool's properties, the harness and `stress`.
//
// Pool bugs live at bucket edges: a request of 2^k - 1, 2^k or 2^k + 1 elements, a request of 0, a
// request just above the largest bucket. edge_size() draws mostly from those, plus a few small
// uniform sizes so shrinking has somewhere to go (RapidCheck shrinks towards the first choices:
// 0 and small sizes). pool_program() is a single-thread sequence of rents and give-backs over them.
//
// Not thread-safe (nothing of RapidCheck is): generate on the main thread, hand plain values to
// workers.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

namespace poolcheck::gen {

// 0, 2^k - 1, 2^k, 2^k + 1 for k in [1, max_exponent] (k >= 4 for the powers: smaller ones all map
// to the 16 bucket), 1..64 uniformly, and above `max_length` (max_length + 1, or up to twice it).
// Keep max_exponent and max_length small in properties: every size is allocated for real.
inline rc::Gen<std::size_t> edge_size(std::size_t max_length, unsigned max_exponent = 16) {
  const auto pow = [](unsigned k) { return std::size_t{1} << k; };
  return rc::gen::weightedOneOf<std::size_t>({
      {1, rc::gen::just<std::size_t>(0)},
      {2, rc::gen::inRange<std::size_t>(1, 65)},
      {3, rc::gen::map(rc::gen::inRange<unsigned>(1, max_exponent + 1), [pow](unsigned k) { return pow(k) - 1; })},
      {3, rc::gen::map(rc::gen::inRange<unsigned>(4, max_exponent + 1), [pow](unsigned k) { return pow(k); })},
      {3, rc::gen::map(rc::gen::inRange<unsigned>(4, max_exponent + 1), [pow](unsigned k) { return pow(k) + 1; })},
      {1, rc::gen::just<std::size_t>(max_length + 1)},
      {1, rc::gen::inRange<std::size_t>(max_length + 1, 2 * max_length + 1)},
  });
}

// A size that is never 0 and never above `max_length`, still skewed to bucket edges.
inline rc::Gen<std::size_t> bucket_edge_size(std::size_t max_length, unsigned max_exponent = 16) {
  return rc::gen::suchThat(edge_size(max_length, max_exponent),
                           [max_length](std::size_t n) { return n != 0 && n <= max_length; });
}

// One step of a single-thread pool program.
struct PoolOp {
  enum class Kind : std::uint8_t { rent, give_back };
  Kind kind = Kind::rent;
  std::size_t size = 0;   // rent: minimum length
  std::size_t pick = 0;   // give_back: which live rental (taken modulo the number live)
  bool clear = false;     // give_back: clear_array
};

inline void showValue(const PoolOp& op, std::ostream& os) {
  if (op.kind == PoolOp::Kind::rent) {
    os << "rent(" << op.size << ")";
  } else {
    os << "give_back(#" << op.pick << (op.clear ? ", clear" : "") << ")";
  }
}

// A program of rents and give-backs (3 rents to 2 give-backs, so rentals pile up and buckets fill).
// A give_back with nothing live is a no-op for the runner.
inline rc::Gen<std::vector<PoolOp>> pool_program(std::size_t max_length, unsigned max_exponent = 16) {
  return rc::gen::container<std::vector<PoolOp>>(rc::gen::build<PoolOp>(
      rc::gen::set(&PoolOp::kind, rc::gen::weightedElement<PoolOp::Kind>(
                                      {{3, PoolOp::Kind::rent}, {2, PoolOp::Kind::give_back}})),
      rc::gen::set(&PoolOp::size, edge_size(max_length, max_exponent)),
      rc::gen::set(&PoolOp::pick, rc::gen::inRange<std::size_t>(0, 64)),
      rc::gen::set(&PoolOp::clear, rc::gen::arbitrary<bool>())));
}

}  // namespace poolcheck::gen
