#include "poolcheck/deterministic/crash_trace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

namespace poolcheck::det {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

// What a crash writes, prepared before the schedule runs; immutable once published.
struct Armed {
  std::string head;
  std::uint64_t head_hash = kFnvOffset;
  char path[4096] = "";
  char temp[4096 + 16] = "";
};

std::atomic<Armed*> g_armed{nullptr};
std::atomic<const std::vector<Step>*> g_steps{nullptr};
std::atomic<bool> g_written{false};
static_assert(std::atomic<Armed*>::is_always_lock_free && std::atomic<const std::vector<Step>*>::is_always_lock_free);

// Buffered, hashing writer on a file descriptor: no allocation, no locale, no stdio.
class SignalSafeOut {
 public:
  SignalSafeOut(int fd, std::uint64_t hash) : fd_(fd), hash_(hash) {}
  void raw(const char* s, std::size_t n) noexcept {
    while (n > 0) {
      if (used_ == sizeof buf_) flush();
      const std::size_t k = std::min(n, sizeof buf_ - used_);
      std::memcpy(buf_ + used_, s, k);
      used_ += k;
      s += k;
      n -= k;
    }
  }
  void text(const char* s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      hash_ ^= static_cast<unsigned char>(s[i]);
      hash_ *= kFnvPrime;
    }
    raw(s, n);
  }
  void text(const char* s) noexcept { text(s, std::strlen(s)); }
  void number(std::uint64_t v) noexcept {
    char digits[24];
    std::size_t n = 0;
    do {
      digits[sizeof digits - 1 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    text(digits + sizeof digits - n, n);
  }
  void checksum() noexcept {
    char line[] = "checksum: 0000000000000000\n";
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) line[10 + i] = kHex[(hash_ >> (60 - 4 * i)) & 0xf];
    raw(line, sizeof line - 1);  // not part of the hash
  }
  bool finish() noexcept {
    flush();
    return ok_;
  }

 private:
  void flush() noexcept {
    const char* p = buf_;
    while (used_ > 0 && ok_) {
      const ssize_t w = ::write(fd_, p, used_);
      if (w <= 0) {
        ok_ = false;
        break;
      }
      p += w;
      used_ -= static_cast<std::size_t>(w);
    }
    used_ = 0;
  }

  int fd_;
  std::uint64_t hash_;
  char buf_[4096];
  std::size_t used_ = 0;
  bool ok_ = true;
};

}  // namespace

void arm_crash_trace(const std::string& path, const ScheduleTrace& head) {
  ScheduleTrace h;
  h.command = head.command;
  h.programs = head.programs;
  auto armed = std::make_unique<Armed>();
  armed->head = format_trace_head(h);
  armed->head_hash = fnv1a64(armed->head);
  const std::size_t n = std::min(path.size(), sizeof armed->path - 1);
  std::memcpy(armed->path, path.data(), n);
  armed->path[n] = '\0';
  std::snprintf(armed->temp, sizeof armed->temp, "%s.partial", armed->path);
  // The previous one is freed only here, on the thread that arms, never while a crash reads it
  // (no schedule runs between schedules).
  delete g_armed.exchange(armed.release());
}

void disarm_crash_trace() noexcept { delete g_armed.exchange(nullptr); }

void set_crash_trace_steps(const std::vector<Step>* steps) noexcept { g_steps.store(steps); }

const char* write_crash_trace() noexcept {
  const Armed* armed = g_armed.load();
  const std::vector<Step>* steps = g_steps.load();
  // A second crash (another thread, or the sanitizer's callback after our signal handler) writes
  // nothing more: the first one's file stands.
  if (armed == nullptr || steps == nullptr || steps->empty() || g_written.exchange(true)) return nullptr;
  const int fd = ::open(armed->temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return nullptr;
  SignalSafeOut out(fd, armed->head_hash);
  out.raw(armed->head.data(), armed->head.size());  // hashed at arm time
  const std::size_t n = steps->size();
  const Step* s = steps->data();
  out.text("steps: ");
  out.number(n);
  out.text("\n");
  for (std::size_t i = 0; i < n; ++i) {
    out.number(s[i].thread);
    out.text(" ");
    out.number(s[i].at);
    out.text(" ");
    out.text(to_string(s[i].kind));
    out.text("\n");
  }
  out.text("end\n");
  out.checksum();
  const bool ok = out.finish();
  ::close(fd);
  if (!ok || ::rename(armed->temp, armed->path) != 0) {
    ::unlink(armed->temp);
    return nullptr;
  }
  return armed->path;
}

}  // namespace poolcheck::det
