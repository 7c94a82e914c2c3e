// poolcheck's `stress` for lockfree::Pool: with the adapter (lockfree_adapter.hpp), the whole glue a
// user writes. LOCKFREE_POOL_BUG (none, aba or cap_race; CMakeLists.txt sets it per target) picks
// the pool's variant.
#include "lockfree_adapter.hpp"

#ifndef LOCKFREE_POOL_BUG
#define LOCKFREE_POOL_BUG none
#endif

template <class Sync>
using Checked = LockfreeAdapter<lockfree::Bug::LOCKFREE_POOL_BUG>::Checked<Sync>;

int main(int argc, char** argv) { return poolcheck::stress_main<Checked>(argc, argv, "lockfree"); }
