// The name replay lines start with: "stress" for bufpool's own command, the user's program name
// for a stress built with poolcheck::stress_main (so a printed replay line runs the same binary).
// Set once at startup, before the crash guard and any worker exist; read-only afterwards, so the
// crash guard may read it from a signal handler.
#pragma once

#include <string>

namespace poolcheck {

const std::string& program_name();
// Throws std::invalid_argument unless `name` is one non-empty word.
void set_program_name(std::string name);

}  // namespace poolcheck
