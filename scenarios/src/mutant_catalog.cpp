#include "poolcheck/mutant_catalog.hpp"

#include <array>

namespace poolcheck {
namespace {

using bufpool::testing::Fault;

constexpr std::array kMutants = {
    Mutant{"no-lock", Fault::no_lock, "bucket and partition stacks are pushed and popped without their lock",
           "tsan; aliasing or exclusivity without it", true, true},
    Mutant{"ignore-cap", Fault::ignore_cap, "give_back keeps arrays even when the bucket is full", "bucket-cap", true,
           true},
    Mutant{"ignore-clear", Fault::ignore_clear, "give_back(clear_array = true) does not zero", "leakage", true, true},
    Mutant{"clear-after-publish", Fault::clear_after_publish,
           "the array is zeroed after it is back in the shared stack, under the next renter's feet",
           "exclusivity (asan: use-after-poison)", true, false},
    Mutant{"double-push", Fault::double_push, "give_back pushes the array twice: two renters share it", "aliasing",
           true, true},
    Mutant{"off-by-one-bucket", Fault::off_by_one_bucket, "give_back files the array one bucket too high",
           "size-contract", true, true},
    Mutant{"tls-slot-kept", Fault::tls_slot_kept, "rent from the thread-local slot leaves the array in the slot",
           "aliasing", false, true},
    Mutant{"lose-array", Fault::lose_array, "a dropped or trimmed array is forgotten instead of freed", "accounting (bucket-cap first when many pile up)",
           true, true},
    Mutant{"partial-clear", Fault::partial_clear,
           "give_back(clear_array = true) zeroes only the first half (the smaller bucket's worth)", "leakage", true,
           true},
    Mutant{"lease-drops-clear", Fault::lease_drops_clear,
           "a Lease asked to clear gives its array back without clearing (the RAII wrapper drops the flag)",
           "leakage", true, true},
    Mutant{"racy-stats", Fault::racy_stats, "a statistics counter is a plain shared integer", "tsan", true, true},
};

}  // namespace

std::span<const Mutant> mutant_catalog() noexcept { return kMutants; }

const Mutant* find_mutant(std::string_view name) noexcept {
  for (const Mutant& m : kMutants) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace poolcheck
