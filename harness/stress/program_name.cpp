#include "program_name.hpp"

#include <stdexcept>
#include <utility>

namespace poolcheck {
namespace {

std::string& name_of_program() {
  static std::string name = "stress";
  return name;
}

}  // namespace

const std::string& program_name() { return name_of_program(); }

void set_program_name(std::string name) {
  if (name.empty() || name.find_first_of(" \t\n\"'\\") != std::string::npos) {
    throw std::invalid_argument("poolcheck: a program name must be one word without quotes, not '" + name + "'");
  }
  name_of_program() = std::move(name);
}

}  // namespace poolcheck
