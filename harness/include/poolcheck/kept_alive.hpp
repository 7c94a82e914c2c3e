// What a failed run leaves behind on purpose: a lease abandoned after its schedule aborted or
// stopped at a finding (its array is never given back), a pool the executors leak because it was
// caught sharing or losing arrays. Such an object is never freed, but it is kept reachable from
// here until the process ends, so LeakSanitizer reports only real leaks, not these.
//
// Thread-safety: keep_alive may be called from any thread at any time.
#pragma once

namespace poolcheck {

// Keeps `object` (any address inside a heap block) reachable to the end of the process. Never
// throws: if the list cannot grow, the object stays unreachable (LeakSanitizer may then report it).
void keep_alive(const void* object) noexcept;

}  // namespace poolcheck
