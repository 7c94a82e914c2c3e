// A `stress` built the way a user builds one for their own pools (poolcheck::stress_main over
// adapter_target rows), for user_stress_e2e.py: the correct user pool, two broken ones and one that
// allocates by itself.
#include "poolcheck/check.hpp"
#include "user_pool.hpp"

int main(int argc, char** argv) {
  std::vector<poolcheck::PoolTarget> pools;
  pools.push_back(poolcheck::adapter_target<user_pool::Correct>("user", "a user's locked pool"));
  pools.push_back(poolcheck::adapter_target<user_pool::IgnoresClear>("ignores-clear", "give_back(clear) does not zero"));
  pools.push_back(poolcheck::adapter_target<user_pool::IgnoresCap>("ignores-cap", "give_back keeps every array"));
  pools.push_back(poolcheck::adapter_target<user_pool::Uncounted>("uncounted", "allocates with new[] itself"));
  return poolcheck::stress_main(argc, argv, std::move(pools), poolcheck::program_name_from(argv[0]));
}
