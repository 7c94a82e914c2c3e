#include "progress_printer.hpp"

#include <unistd.h>

#include <cstdio>

#include "crash_guard.hpp"
#include "report_writer.hpp"

namespace poolcheck {

ProgressPrinter::ProgressPrinter(bool quiet) : quiet_(quiet), tty_(::isatty(2) != 0) {}

void ProgressPrinter::operator()(const Progress& p, std::uint32_t round) {
  if (quiet_) return;
  const double rate = p.seconds > 0 ? double(p.ops_done) / p.seconds : 0;
  char line[200];
  std::snprintf(line, sizeof line, "round %u: ops %llu/%llu, threads alive %u, %.0f ops/s, violations %llu", round,
                static_cast<unsigned long long>(p.ops_done), static_cast<unsigned long long>(p.ops_total),
                p.threads_alive, rate, static_cast<unsigned long long>(p.violations));
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line);
    dirty_ = true;
  } else if (p.seconds - last_plain_ >= 5.0) {
    last_plain_ = p.seconds;
    std::fprintf(stderr, "%s\n", line);
  }
}

void ProgressPrinter::finish() {
  if (dirty_) std::fprintf(stderr, "\r\033[K");
  dirty_ = false;
}

StressHooks progress_hooks(ProgressPrinter& progress, const StressSettings& settings) {
  StressHooks hooks;
  hooks.interrupt = &interrupt_flag();
  hooks.on_progress = [&progress](const Progress& p, std::uint32_t round) { progress(p, round); };
  hooks.on_round_start = [&progress, &settings, started = std::uint64_t{0}](const std::string& replay_line) mutable {
    progress.round_started();
    set_crash_replay_line(replay_line);
    write_provisional_reports(settings, replay_line, ++started);
  };
  return hooks;
}

}  // namespace poolcheck
