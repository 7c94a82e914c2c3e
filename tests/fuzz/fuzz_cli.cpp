// libFuzzer target: the `stress` command line, parsed as main() parses it (nothing runs).
// Input: lines. If the first line is "recorded", the second is a command recorded in a trace,
// parsed as --replay parses it; otherwise every line (after an optional first line "argv") is one
// argument. Properties: parsing returns or names an exit code (0 or 2), never throws or crashes;
// a deterministic command that parses has a replay line that parses again as a recorded command
// (the flags replay_command() writes are exactly the ones a trace may carry).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "stress_cli.hpp"
#include "stress_settings.hpp"

namespace {

using namespace poolcheck;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && out.size() < 64) {
    const std::size_t nl = text.find('\n', start);
    out.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_cli: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_code(std::optional<int> code, const std::string& input) {
  if (code && *code != 0 && *code != 2) broken("exit code other than 0 or 2", input);
}

void round_trip(const Command& command) {
  if (command.action != Action::run || !command.settings.deterministic) return;
  const StressSettings& s = command.settings;
  const std::string line = replay_command(s, s.seed, s.schedule_seed.value_or(1));
  Command again;
  if (auto code = parse_recorded_command(line, "fuzz.trace", again)) broken("a replay line is not a valid recorded command", line);
  if (replay_command(again.settings, again.settings.seed, again.settings.schedule_seed.value_or(1)) != line) {
    broken("a replay line does not parse back to itself", line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Usage errors and --help go to the streams; keep the fuzzer's output readable.
  static const bool quiet = [] {
    std::cout.rdbuf(nullptr);
    std::cerr.rdbuf(nullptr);
    return true;
  }();
  (void)quiet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines = lines_of(text);
  Command command;
  if (!lines.empty() && lines[0] == "recorded") {
    const std::string recorded = lines.size() > 1 ? lines[1] : std::string{};
    const auto code = parse_recorded_command(recorded, "fuzz.trace", command);
    if (code && *code != 2) broken("a recorded command ended with a code other than 2", recorded);
    if (!code) round_trip(command);
    return 0;
  }
  if (!lines.empty() && lines[0] == "argv") lines.erase(lines.begin());
  try {
    const auto code = parse_command_line(lines, command);
    check_code(code, std::string(text));
    if (!code) round_trip(command);
  } catch (const std::exception& e) {
    broken("an exception escaped the parser", e.what());
  }
  return 0;
}
