#include "poolcheck/check_handler.hpp"

#include <sstream>

#include "stress_settings.hpp"

namespace poolcheck {

std::uint64_t handler_round_seed(std::uint64_t seed, std::uint32_t round) noexcept { return round_seed(seed, round); }

std::uint64_t handler_schedule_seed(std::uint64_t seed, std::uint32_t i) noexcept { return schedule_seed_for(seed, i); }

std::string handler_summary(const RunOutcome& out, const std::string& what) {
  std::ostringstream text;
  text << "poolcheck check_handler: " << what << ", " << out.threads_started << " threads, " << out.ops_done
       << " requests, " << out.rents << " rents\n";
  text << "  oracle checks:";
  for (std::size_t i = 0; i < kOracleCount; ++i) {
    if (out.checks[i] != 0) text << ' ' << oracle_name(static_cast<OracleKind>(i)) << ' ' << out.checks[i];
  }
  text << "\n  violations: " << out.violations.size() << "\n";
  if (!out.violations.empty()) text << "  first: " << to_string(out.violations.front()) << "\n";
  if (!out.stall_report.empty()) text << "  stall: " << out.stall_report << "\n";
  if (!out.error.empty()) text << "  error: " << out.error << "\n";
  text << "result: " << (out.clean() ? "CLEAN" : "FAILED") << " (" << to_string(out.end) << ")\n";
  return text.str();
}

}  // namespace poolcheck
