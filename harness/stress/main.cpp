// `stress`: runs generated thread programs against bufpool's pools with every oracle on, prints a
// summary, and on failure the one command line that replays it. Exit: 0 clean, 1 failure (a
// replay that diverged from its trace included), 2 usage error (a damaged --replay trace
// included), 130/143 interrupted by SIGINT/SIGTERM. The same driver checks a user's pool through
// poolcheck::stress_main<Adapter> (poolcheck/check.hpp).
#include "poolcheck/check.hpp"

int main(int argc, char** argv) { return poolcheck::stress_main(argc, argv, poolcheck::bufpool_targets(), "stress"); }
