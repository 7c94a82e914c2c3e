// poolcheck for other people's pools: the one header a user includes to check their own pool.
//
//   poolcheck::stress_main(argc, argv, pools, name)   the whole `stress` command over a table of pools
//
// bufpool's own `stress` is main() { return stress_main(argc, argv, bufpool_targets(), "stress"); }.
#pragma once

#include <string>
#include <vector>

#include "pool_target.hpp"

namespace poolcheck {

// The `stress` command (every flag of `stress --help`) over `pools`; replay lines start with `name`.
// Returns the exit code: 0 clean, 1 failure, 2 usage error, 130/143 after SIGINT/SIGTERM.
int stress_main(int argc, char** argv, std::vector<PoolTarget> pools, std::string name);

}  // namespace poolcheck
