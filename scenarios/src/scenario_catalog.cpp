#include "poolcheck/scenario_catalog.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "poolcheck/registry_names.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

void mixed(ProgramShape&) {}

void cross_thread(ProgramShape& s) {
  s.hand_over_weight = 25;
  s.give_back_weight = 5;
}

void clear_sensitive(ProgramShape& s) {
  s.clear_percent = 100;
  s.write_weight = 30;
  // clear-after-publish is a race: a renter must take the array while its giver is still zeroing
  // it. Chaos delays keep the two apart, so they are rare here (5% of ops, not the default 25%);
  // and small arrays are zeroed too fast to be caught at it, so sizes reach 512 KiB (not mostly
  // 64 KiB), whose zeroing is slow enough for another thread's rent to land in the middle of it.
  s.chaos_percent = 5;
  s.largest_common_size = std::min<std::uint64_t>(s.max_array_length, 512 * 1024);
}

void drain(ProgramShape& s) {
  s.rent_weight = 40;
  s.give_back_weight = 5;
  s.hold_weight = 10;
  s.chaos_percent = 5;
  s.largest_common_size = 512 * 1024;
}

void small_buffers(ProgramShape& s) { s.largest_common_size = 256; }

// Trims while other threads rent, give back and keep arrays in their thread-local slots: small
// buffers (slots fill) and many trim ops, so trim's interplay with the slots is exercised often.
void trim_heavy(ProgramShape& s) {
  s.largest_common_size = 256;
  s.trim_weight = 30;
}

void large_buffers(ProgramShape& s) {
  s.largest_common_size = s.max_array_length;
  s.oversize_percent = 5;
}

RunOutcome token_stream(const WorkloadParams& p) { return run_token_stream(p, StreamBug::none); }
RunOutcome assumes_zeroed(const WorkloadParams& p) { return run_token_stream(p, StreamBug::assumes_zeroed); }
RunOutcome reads_capacity(const WorkloadParams& p) { return run_token_stream(p, StreamBug::reads_capacity); }
RunOutcome token_overflow(const WorkloadParams& p) { return run_token_stream(p, StreamBug::token_overflow); }
RunOutcome write_after_give_back(const WorkloadParams& p) {
  return run_token_stream(p, StreamBug::write_after_give_back);
}
RunOutcome holds_across_wait(const WorkloadParams& p) { return run_token_stream(p, StreamBug::holds_across_wait); }
RunOutcome exception_path(const WorkloadParams& p) { return run_exception_path(p, false); }
RunOutcome forgot_give_back(const WorkloadParams& p) { return run_exception_path(p, true); }

constexpr Scenario program(std::string_view name, std::string_view summary, void (*shape)(ProgramShape&)) {
  return Scenario{name, summary, ScenarioKind::program, shape, nullptr, Expect::clean};
}
constexpr Scenario workload(std::string_view name, std::string_view summary, WorkloadFn run) {
  return Scenario{name, summary, ScenarioKind::workload, nullptr, run, Expect::clean};
}
constexpr Scenario pitfall(std::string_view name, std::string_view summary, WorkloadFn run, OracleKind caught_by) {
  return Scenario{name, summary, ScenarioKind::pitfall, nullptr, run, Expect::caught, caught_by};
}

constexpr std::array kCatalog = {
    program("mixed", "every op kind, sizes skewed to bucket edges, 1% over-size, some clearing and hand-overs", &mixed),
    program("cross-thread", "rent on one thread, hand over, verify and give back on another", &cross_thread),
    program("clear-sensitive", "every give_back clears: no other request may ever see a byte of them",
            &clear_sensitive),
    program("drain", "threads rent many buffers at once and hold them, draining the buckets", &drain),
    program("small-buffers", "token-sized buffers (<= 256 elements): the thread-local fast path", &small_buffers),
    program("trim-heavy", "small buffers and frequent trims while other threads rent and hold thread-local slots",
            &trim_heavy),
    program("large-buffers", "sizes up to the largest bucket and 5% over-size (the large-object case)",
            &large_buffers),
    workload("token-stream",
             "streams append tokens to a rented char buffer, flush when full, give back; output = tokens, memory "
             "per stream = one buffer",
             &token_stream),
    workload("exhaustion", "rents outpace give_backs: the bucket drains, falls back to fresh arrays, recovers; "
                           "reports the fresh-allocation rate",
             &run_exhaustion),
    workload("long-holder", "a few threads hold leases all run while others churn; reports starvation",
             &run_long_holder),
    workload("grow", "a full buffer is replaced by one twice as large: copy, give the small one back",
             &run_grow),
    workload("exception-path", "a third of requests throw midway; RAII leases must all come back",
             &exception_path),
    workload("burst", "every thread rents at the same instant (a barrier), then all give back at once",
             &run_burst),
    workload("mixed-types", "char, uint8_t and float pools side by side, each request uses all three",
             &run_mixed_types),
    workload("over-size", "requests above the largest bucket (the large-object case) must never rest in the pool",
             &run_over_size),
    pitfall("forgot-give-back", "a handler rents raw and gives back only on its happy path; the exception skips it",
            &forgot_give_back, OracleKind::accounting),
    pitfall("assumes-zeroed", "a streamer finds its text's end by scanning for a NUL it never wrote",
            &assumes_zeroed, OracleKind::dirty_read),
    pitfall("reads-capacity", "a streamer flushes capacity() chars instead of the length it asked for",
            &reads_capacity, OracleKind::dirty_read),
    pitfall("write-after-give-back", "a streamer marks its chunk as sent after giving the buffer back",
            &write_after_give_back, OracleKind::use_after_give_back),
    pitfall("token-overflow", "a streamer checks that one char fits, then copies the whole token past the end",
            &token_overflow, OracleKind::overflow),
    pitfall("holds-across-wait", "a streamer keeps its buffer while waiting long for a slow client (starvation, "
                                 "not corruption)",
            &holds_across_wait, OracleKind::starvation),
};

}  // namespace

std::string_view to_string(ScenarioKind kind) noexcept {
  switch (kind) {
    case ScenarioKind::program: return "program";
    case ScenarioKind::workload: return "workload";
    case ScenarioKind::pitfall: return "pitfall";
  }
  return "?";
}

std::span<const Scenario> scenario_catalog() noexcept { return kCatalog; }

const Scenario* find_scenario(std::string_view name) noexcept {
  return find_by_name(kCatalog, name);
}

}  // namespace poolcheck
