#include "poolcheck/program.hpp"

#include <algorithm>
#include <bit>
#include <iterator>
#include <sstream>

#include "poolcheck/seeded_random.hpp"

namespace poolcheck {

std::size_t ProgramSet::total_ops() const noexcept {
  std::size_t n = 0;
  for (const auto& t : threads) n += t.ops.size();
  return n;
}

namespace {

// A size around `edge`, chosen by r's bits above the low 8: edge-1 (at least 1), edge, edge+1,
// anywhere below it, or one of the `inside` sizes from `from` up (the class that ends at the edge).
std::uint64_t around_edge(std::uint64_t r, std::uint64_t edge, std::uint64_t from, std::uint64_t inside) noexcept {
  switch ((r >> 8) % 5) {
    case 0: return std::max<std::uint64_t>(edge - 1, 1);
    case 1: return edge;
    case 2: return edge + 1;
    case 3: return 1 + ((r >> 16) % edge);  // anywhere below the edge
    default: return from + ((r >> 16) % inside);
  }
}

}  // namespace

std::uint64_t edge_skewed_size(std::uint64_t r, std::uint64_t largest_common) noexcept {
  const unsigned max_k = static_cast<unsigned>(std::bit_width(std::max<std::uint64_t>(largest_common, 2)) - 1);
  // Low bits pick the power, the next ones the offset around it.
  const unsigned k = 1 + static_cast<unsigned>(r % max_k);
  const std::uint64_t pow = std::uint64_t{1} << k;
  return around_edge(r, pow, pow / 2 + 1, pow / 2 + 1);
}

std::uint64_t edge_skewed_size(std::uint64_t r, std::uint64_t largest_common,
                               std::span<const std::uint64_t> edges) noexcept {
  if (edges.empty()) return edge_skewed_size(r, largest_common);
  std::size_t usable = 1;
  while (usable < edges.size() && edges[usable] <= largest_common) ++usable;
  // Low bits pick the class, the next ones the offset around its capacity.
  const std::size_t c = static_cast<std::size_t>(r % usable);
  const std::uint64_t edge = edges[c];
  const std::uint64_t below = c == 0 ? 0 : edges[c - 1];
  return around_edge(r, edge, below + 1, edge - below);
}

namespace {

OpKind pick_kind(SeededRandom& rng, const ProgramShape& s) {
  // In OpKind order.
  const unsigned weights[] = {s.rent_weight,     s.write_weight, s.verify_weight, s.read_weight,
                              s.hold_weight,     s.hand_over_weight, s.give_back_weight, s.trim_weight,
                              s.stats_weight,    s.misuse_weight, s.lease_move_weight, s.exit_weight};
  static_assert(std::size(weights) == static_cast<std::size_t>(kLastOpKind) + 1, "one weight per OpKind");
  unsigned total = 0;
  for (unsigned w : weights) total += w;
  unsigned x = static_cast<unsigned>(rng.below(std::max(total, 1u)));
  for (unsigned i = 0; i < std::size(weights); ++i) {
    if (x < weights[i]) return static_cast<OpKind>(i);
    x -= weights[i];
  }
  return OpKind::hold;
}

Op generate_op(SeededRandom& rng, const ProgramShape& s, std::uint32_t self) {
  Op op;
  op.kind = pick_kind(rng, s);
  op.lease = static_cast<std::uint8_t>(rng.below(kLeasesPerThread));
  switch (op.kind) {
    case OpKind::rent: {
      op.via_lease = rng.percent(s.lease_percent);
      if (rng.percent(s.zero_percent)) {
        op.size = 0;
      } else if (rng.percent(s.oversize_percent)) {
        op.size = s.max_array_length + 1 + rng.below(s.max_array_length / 4 + 1);
      } else {
        op.size = std::min<std::uint64_t>(edge_skewed_size(rng.next(), s.largest_common_size, s.size_edges),
                                          s.max_array_length);
      }
      break;
    }
    case OpKind::write:
    case OpKind::read: {
      const auto a = static_cast<std::uint16_t>(rng.next());
      const auto b = static_cast<std::uint16_t>(rng.next());
      op.lo = std::min(a, b);
      op.hi = rng.percent(50) ? 0 : std::max(a, b);  // half the writes cover the whole length
      if (op.hi != 0 && op.hi == op.lo) op.hi = 0;
      break;
    }
    case OpKind::hand_over:
      op.target = s.threads > 1 ? static_cast<std::uint32_t>((self + 1 + rng.below(s.threads - 1)) % s.threads) : self;
      break;
    case OpKind::give_back:
      op.clear = rng.percent(s.clear_percent);
      break;
    case OpKind::hold:
      op.delay = 1 + static_cast<std::uint32_t>(rng.below(3));
      break;
    case OpKind::trim:
      op.clear = rng.percent(s.high_trim_percent);
      break;
    case OpKind::misuse:
      op.size = rng.below(kMisuseCount);
      break;
    case OpKind::lease_move:
      op.size = rng.below(kLeaseMoveCount);
      op.lo = static_cast<std::uint16_t>(rng.below(kLeasesPerThread));
      break;
    case OpKind::exit:
      op.clear = rng.percent(s.exit_give_back_percent);
      break;
    case OpKind::verify:
    case OpKind::stats:
      break;
  }
  if (op.kind != OpKind::hold && rng.percent(s.chaos_percent)) op.delay = 1 + static_cast<std::uint32_t>(rng.below(3));
  return op;
}

}  // namespace

ProgramSet generate_programs(std::uint64_t seed, const ProgramShape& shape) {
  ProgramSet set;
  set.seed = seed;
  set.threads.resize(shape.threads);
  for (std::uint32_t t = 0; t < shape.threads; ++t) {
    SeededRandom rng(seed, t);  // one stream per thread: programs do not shift when --threads changes
    auto& ops = set.threads[t].ops;
    ops.reserve(shape.ops_per_thread);
    for (std::uint32_t i = 0; i < shape.ops_per_thread; ++i) ops.push_back(generate_op(rng, shape, t));
  }
  return set;
}

std::string to_string(const Op& op) {
  std::ostringstream out;
  static constexpr const char* kNames[] = {"rent", "write",  "verify", "read",       "hold", "hand_over",
                                           "give_back", "trim", "stats", "misuse", "lease_move", "exit"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(kLastOpKind) + 1, "one name per OpKind");
  static constexpr const char* kMisuses[] = {"foreign size", "empty span", "over-size", "double give_back"};
  static_assert(std::size(kMisuses) == kMisuseCount);
  static constexpr const char* kMoves[] = {"move-construct", "move-assign", "swap", "reset", "self-move"};
  static_assert(std::size(kMoves) == kLeaseMoveCount);
  const auto kind = static_cast<std::size_t>(op.kind);
  out << (kind < std::size(kNames) ? kNames[kind] : "unknown-op") << " lease " << int(op.lease);
  switch (op.kind) {
    case OpKind::rent:
      out << " size " << op.size << (op.via_lease ? " via lease" : "");
      break;
    case OpKind::write:
    case OpKind::read:
      out << " range " << op.lo << ".." << (op.hi == 0 ? 65536u : op.hi) << "/65536";
      break;
    case OpKind::hand_over:
      out << " to thread " << op.target;
      break;
    case OpKind::give_back:
      out << (op.clear ? " clearing" : "");
      break;
    case OpKind::trim:
      out << (op.clear ? " high pressure" : " low pressure");
      break;
    case OpKind::misuse:
      out << ' ' << (op.size < kMisuseCount ? kMisuses[op.size] : "unknown");
      break;
    case OpKind::lease_move:
      out << ' ' << (op.size < kLeaseMoveCount ? kMoves[op.size] : "unknown") << " with lease "
          << op.lo % kLeasesPerThread;
      break;
    case OpKind::exit:
      out << (op.clear ? " giving back first" : " carrying leases over");
      break;
    default:
      break;
  }
  if (op.delay != 0) out << " then chaos " << op.delay;
  return out.str();
}

std::string describe_op(std::uint32_t thread, std::uint32_t op_index, const Op& op) {
  return "op " + std::to_string(op_index) + " of thread " + std::to_string(thread) + " (" + to_string(op) + ")";
}

std::string to_string(const ProgramSet& programs) {
  std::ostringstream out;
  out << "seed " << programs.seed << ", " << programs.threads.size() << " threads\n";
  for (std::size_t t = 0; t < programs.threads.size(); ++t) {
    out << "thread " << t << ":\n";
    for (const Op& op : programs.threads[t].ops) out << "  " << to_string(op) << '\n';
  }
  return out.str();
}

}  // namespace poolcheck
