#include "poolcheck/mutant_catalog.hpp"

namespace poolcheck {

std::string caught_by_text(const Mutant& m) {
  std::string oracles;
  if (m.caught_by) {
    oracles = oracle_name(*m.caught_by);
    for (std::size_t k = 0; k < kOracleCount; ++k) {
      if (m.or_by.contains(static_cast<OracleKind>(k))) oracles += " or " + std::string(oracle_name(static_cast<OracleKind>(k)));
    }
  }
  std::string text = !m.tsan_reports ? oracles : oracles.empty() ? "tsan" : "tsan; " + oracles + " without it";
  if (!m.note.empty()) text += " (" + std::string(m.note) + ")";
  return text;
}

}  // namespace poolcheck
