// An inference server's request handler, as production code: it packs a prompt's token ids into a
// pooled buffer padded to a whole number of 64-byte blocks (the model reads whole blocks), and
// answers with a checksum of the blocks it would send to the model.
//
// The handler is written against a buffer source (a template parameter), not a pool: production
// passes PoolSource (bufpool's shared pool), and the test passes poolcheck::HandlerContext, whose
// buffers check every access. A source's rent(n) returns a buffer with
//   write(at, std::span<const std::byte>)  and  read(at, n) -> std::span<const std::byte>.
//
// Bug::reads_unwritten_padding is the classic pooled-memory bug: the handler writes the prompt,
// then checksums the whole padded length, assuming the padding is zero. A fresh array's padding
// may be zero; a reused one holds another request's bytes, so the checksum (and what the model is
// fed) depends on whoever used the array before. The correct handler writes the padding itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <bufpool/array_pool.hpp>

namespace example {

enum class Bug { none, reads_unwritten_padding };

struct Request {
  std::vector<std::byte> prompt;  // token ids, one byte each
};

inline constexpr std::size_t kBlock = 64;

inline std::size_t padded(std::size_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// FNV-1a over bytes.
inline std::uint64_t checksum(std::span<const std::byte> bytes, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (std::byte b : bytes) h = (h ^ std::to_integer<std::uint64_t>(b)) * 0x100000001b3ull;
  return h;
}

// What the reply must be: the prompt followed by zero padding, checksummed.
inline std::uint64_t expected_reply(const Request& r) {
  const std::vector<std::byte> padding(padded(r.prompt.size()) - r.prompt.size());
  return checksum(padding, checksum(r.prompt));
}

template <Bug B = Bug::none, class Source>
std::uint64_t handle(Source& source, const Request& r) {
  const std::size_t length = padded(r.prompt.size());
  auto buffer = source.rent(length);
  buffer.write(0, r.prompt);
  if constexpr (B == Bug::none) {
    const std::vector<std::byte> padding(length - r.prompt.size());
    buffer.write(r.prompt.size(), padding);
  }
  return checksum(buffer.read(0, length));
}

// The production source: buffers leased from bufpool's shared pool, given back when dropped.
class PoolSource {
 public:
  class Buffer {
   public:
    explicit Buffer(bufpool::Lease<std::byte> lease) : lease_(std::move(lease)) {}
    void write(std::size_t at, std::span<const std::byte> src) {
      std::copy(src.begin(), src.end(), lease_.span().subspan(at, src.size()).begin());
    }
    std::span<const std::byte> read(std::size_t at, std::size_t n) const { return lease_.span().subspan(at, n); }

   private:
    bufpool::Lease<std::byte> lease_;
  };

  Buffer rent(std::size_t n) { return Buffer(bufpool::shared_pool<std::byte>().lease(n)); }
};

}  // namespace example
