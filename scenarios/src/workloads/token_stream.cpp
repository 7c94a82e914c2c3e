// token-stream: an inference server streaming generated text. Each thread is one stream: tokens
// arrive (1 to 24 chars, now and then after a short wait for the model), are appended to a rented
// char buffer, and when the next token would not fit the buffer is flushed to the stream's sink and
// given back, and a new one is rented. At the end of the stream the rest is flushed and the buffer
// comes back through RAII.
//
// Checked beyond the oracles: every stream's output equals the concatenation of its tokens (FNV-1a
// and length of both, computed independently), and memory per stream stays one buffer however long
// the stream (the most pooled bytes any stream held at once is one array of the buffer's bucket).
//
// The pitfalls are the same streamer with one bug (StreamBug):
//   assumes-zeroed         finds the end of its text by scanning for the NUL the pool never wrote
//   reads-capacity         flushes capacity() chars instead of what it wrote
//   token-overflow         checks that one char fits, then copies the whole token
//   write-after-give-back  writes its end-of-chunk marker after giving the buffer back
//   holds-across-wait      keeps its buffer while waiting long for a slow client
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "single_pool_run.hpp"
#include "poolcheck/workload/checked_buffer.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

// The buffer a stream rents: not a power of two, so capacity (the bucket) exceeds the length.
constexpr std::size_t kBufferChars = 600;

struct Fnv {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  std::uint64_t length = 0;
  void add(std::string_view s) noexcept {
    for (char c : s) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    length += s.size();
  }
  friend bool operator==(const Fnv&, const Fnv&) = default;
};

struct StreamResult {
  Fnv expected;  // the tokens as generated
  Fnv output;    // what reached the sink
  bool finished = false;
};

std::string next_token(SeededRandom& rng) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,0123456789";
  std::string t(1 + rng.below(24), ' ');
  for (char& c : t) c = kAlphabet[rng.below(sizeof kAlphabet - 1)];
  return t;
}

template <class Pool>
class Stream {
 public:
  Stream(WorkerContext& ctx, const PoolRef<Pool>& ref, std::size_t length, StreamBug bug, StreamResult& result)
      : ctx_(ctx), ref_(ref), length_(length), bug_(bug), result_(result) {}

  void append(std::string_view token) {
    if (!buffer_.live() && !rent()) return;
    const bool fits = bug_ == StreamBug::token_overflow ? used_ < length_ : used_ + token.size() <= length_;
    if (!fits) {
      flush();
      if (!rent()) return;
    }
    if (!buffer_.write(used_, std::span<const char>(token.data(), token.size()))) return;
    used_ += token.size();
  }

  void finish() {
    if (buffer_.live()) flush();
    result_.finished = true;
  }

 private:
  bool rent() {
    buffer_ = CheckedBuffer<Pool>::rent(ctx_, ref_, length_);
    used_ = 0;
    return buffer_.live();
  }

  void flush() {
    std::size_t n = used_;
    std::span<const char> text;
    switch (bug_) {
      case StreamBug::assumes_zeroed:
        // strlen on a rented array: the terminator was never written.
        text = buffer_.read(0, std::min(used_ + 1, buffer_.capacity()));
        if (!text.empty()) n = static_cast<std::size_t>(std::find(text.begin(), text.end(), '\0') - text.begin());
        break;
      case StreamBug::reads_capacity:
        text = buffer_.read(0, buffer_.capacity());
        n = text.size();
        break;
      default:
        text = buffer_.read(0, used_);
    }
    if (text.empty() && used_ != 0) return;  // a check failed: the run stops
    result_.output.add(std::string_view(text.data(), std::min(n, text.size())));
    if (bug_ == StreamBug::write_after_give_back) {
      buffer_.give_back();
      buffer_.write(0, '\n');  // "mark the chunk as sent" one line too late
      return;
    }
    buffer_.give_back();
  }

  WorkerContext& ctx_;
  PoolRef<Pool> ref_;
  const std::size_t length_;
  const StreamBug bug_;
  StreamResult& result_;
  CheckedBuffer<Pool> buffer_;
  std::size_t used_ = 0;
};

template <class Pool>
RunOutcome token_stream(const WorkloadParams& p, StreamBug bug, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t length = std::min<std::size_t>(kBufferChars, ref.facts.largest_bucket());
  std::vector<StreamResult> results(p.run.threads);  // slot i written by stream i only; read after the join
  const auto hold_wait = 3 * std::chrono::duration_cast<std::chrono::microseconds>(p.run.limits.hold_limit);
  RunOutcome out = run_workload(run_config(p, p.run.threads, p.ops), [&](WorkerContext& ctx) {
    StreamResult& result = results[ctx.index()];
    Stream<Pool> stream(ctx, ref, length, bug, result);
    for (std::uint32_t t = 0; t < p.ops && !ctx.stop_requested(); ++t) {
      const std::string token = next_token(ctx.rng());
      result.expected.add(token);
      stream.append(token);
      if (bug == StreamBug::holds_across_wait && t % 16 == 5) {
        ctx.wait(hold_wait, "waiting for a slow client");
      } else if (ctx.rng().below(64) == 0) {
        ctx.wait(std::chrono::microseconds(50), "waiting for the next token");
      }
      ctx.step_done();
    }
    if (!ctx.stop_requested()) stream.finish();
  });
  if (out.clean()) {
    std::uint64_t tokens_bytes = 0;
    for (std::uint32_t i = 0; i < results.size(); ++i) {
      const StreamResult& r = results[i];
      tokens_bytes += r.expected.length;
      if (r.finished && !(r.output == r.expected)) {
        out.violations.push_back(Violation{
            OracleKind::workload,
            "stream " + std::to_string(i) + " sent " + std::to_string(r.output.length) +
                " chars that are not the concatenation of its " + std::to_string(r.expected.length) + " chars of tokens",
            std::nullopt, std::nullopt, nullptr, 0, 0});
        break;
      }
    }
    // One buffer per stream, whatever the stream's length (the locked pool may serve the next bucket).
    const SizeClasses& classes = ref.facts.classes;
    const std::size_t c = classes.class_of(length);
    const std::size_t bound =
        classes.capacity(ref.facts.may_serve_next_bucket && c + 1 < classes.count() ? c + 1 : c);
    ++out.checks[static_cast<std::size_t>(OracleKind::workload)];
    if (out.peak_thread_bytes > bound) {
      out.violations.push_back(Violation{OracleKind::workload,
                                         "a stream held " + std::to_string(out.peak_thread_bytes) +
                                             " pooled bytes at once; one buffer is at most " + std::to_string(bound),
                                         std::nullopt, std::nullopt, nullptr, 0, 0});
    }
    out.notes.push_back(std::to_string(results.size()) + " streams sent " + std::to_string(tokens_bytes) +
                        " chars, each equal to its tokens; most pooled memory one stream held: " +
                        std::to_string(out.peak_thread_bytes) + " bytes (one buffer of " + std::to_string(length) +
                        " chars)");
  }
  return out;
}

}  // namespace

RunOutcome run_token_stream(const WorkloadParams& p, StreamBug bug) {
  return run_single_pool<char>(p, [&](auto& counted) { return token_stream(p, bug, counted); });
}

}  // namespace poolcheck
