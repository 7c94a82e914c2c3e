// The optional race_window() hook of a pool policy (see pool_policy.hpp).
//
// Marks the spot inside a critical section between reading a stack's top and writing it back. A
// policy may define `static void race_window()`: the deterministic executor makes it a scheduling
// point, so a missing lock (the no_lock mutant) becomes an interleaving its schedules can reach.
// Production policies define none: this compiles to nothing.
#pragma once

namespace bufpool::internal {

template <class Policy>
inline void race_window() {
  if constexpr (requires { Policy::race_window(); }) Policy::race_window();
}

}  // namespace bufpool::internal
