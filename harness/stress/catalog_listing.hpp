// `stress --list`: the scenarios (by kind), the pools and the mutants, from their catalogs.
#pragma once

#include <iosfwd>

namespace poolcheck {

void list_catalog(std::ostream& out);

}  // namespace poolcheck
