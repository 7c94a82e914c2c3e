// What a scheduling point is: the operation a thread reached when the schedule may switch threads.
// Strategies see it (a marked window, `plain`, is where a targeted strategy preempts), traces record
// it, and point noise weighs it.
#pragma once

#include <cstdint>

namespace poolcheck::det {

// `plain`: a marked window (poolcheck::yield_point(), a policy's race_window): a place its author
// knows another thread's step matters.
// `yield`: a thread that waits for something another thread will do (a workload's sleep or spin):
// the schedule runs another thread there if any can run (never the waiter itself, which a
// priority-based strategy such as PCT would otherwise pick again and again until the step limit).
enum class PointKind : std::uint8_t { start, exit, load, store, rmw, lock, unlock, blocked, plain, yield };
const char* to_string(PointKind kind) noexcept;

}  // namespace poolcheck::det
