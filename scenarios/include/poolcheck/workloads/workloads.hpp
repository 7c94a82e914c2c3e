// The workloads and pitfalls of scenarios/ (one .cpp each under src/workloads/), as the scenario
// catalog runs them. Each returns one round's outcome with its pools already finished.
#pragma once

#include "poolcheck/workloads/workload_params.hpp"

namespace poolcheck {

// Consumer bugs of the token streamer (token_stream.cpp).
enum class StreamBug { none, assumes_zeroed, reads_capacity, token_overflow, write_after_give_back, holds_across_wait };

RunOutcome run_token_stream(const WorkloadParams& p, StreamBug bug);
RunOutcome run_exhaustion(const WorkloadParams& p);
RunOutcome run_long_holder(const WorkloadParams& p);
RunOutcome run_grow(const WorkloadParams& p);
// forgot_give_back: the handler rents raw and gives back only on its happy path.
RunOutcome run_exception_path(const WorkloadParams& p, bool forgot_give_back);
RunOutcome run_burst(const WorkloadParams& p);
RunOutcome run_mixed_types(const WorkloadParams& p);
RunOutcome run_over_size(const WorkloadParams& p);

}  // namespace poolcheck
