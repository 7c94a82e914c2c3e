#include "poolcheck/counting_allocator.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

namespace poolcheck {
namespace {
// Above this, only the first and last kEdgeFillBytes of a fresh array are filled (see allocate).
constexpr std::size_t kFullFillBytes = std::size_t{64} << 20;
constexpr std::size_t kEdgeFillBytes = std::size_t{64} << 10;
}  // namespace

std::size_t AllocationLedger::row_of(std::size_t bytes) const noexcept {
  if (bytes % element_size != 0) return kOverSizeRow;
  const std::size_t elements = bytes / element_size;
  return classes.is_capacity(elements) ? classes.class_of(elements) : kOverSizeRow;
}

std::int64_t AllocationLedger::live_total() const noexcept {
  std::int64_t total = 0;
  for (const auto& l : live) total += l.load(std::memory_order_relaxed);
  return total;
}

void* CountingArrayAllocator::allocate(std::size_t bytes, std::size_t alignment) {
  const std::size_t align = std::max(alignment, kHeaderBytes);
  auto* base = static_cast<std::byte*>(::operator new(bytes + align, std::align_val_t{align}));
  auto* header = new (base + align - kHeaderBytes) ArrayHeader();
  header->bytes.store(bytes, std::memory_order_relaxed);
  header->magic.store(ArrayHeader::kMagic, std::memory_order_relaxed);
  if (bytes <= kFullFillBytes) {
    std::memset(base + align, kFreshByte, bytes);
  } else {
    // Huge (over-size) arrays come straight from mmap, whose pages the kernel zeroes, so their
    // middle is already the same on every run; filling 1 GiB would cost a second per rent.
    std::memset(base + align, kFreshByte, kEdgeFillBytes);
    std::memset(base + align + bytes - kEdgeFillBytes, kFreshByte, kEdgeFillBytes);
  }
  ledger_->allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t row = ledger_->row_of(bytes);
  ledger_->live[row].fetch_add(1, std::memory_order_relaxed);
  ledger_->allocated[row].fetch_add(1, std::memory_order_relaxed);
  ledger_->exact[row].at_rest.fetch_add(1, AllocationLedger::kExactOrder);
  return base + align;
}

void CountingArrayAllocator::deallocate(void* p, std::size_t bytes, std::size_t alignment) noexcept {
  const std::size_t align = std::max(alignment, kHeaderBytes);
  ArrayHeader* header = header_of(p);
  if (header == nullptr) {  // not ours: count it and leak it rather than corrupt the heap
    ledger_->foreign_frees.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  header->magic.store(0, std::memory_order_relaxed);
  ledger_->frees.fetch_add(1, std::memory_order_relaxed);
  const std::size_t row = ledger_->row_of(bytes);
  ledger_->live[row].fetch_sub(1, std::memory_order_relaxed);
  ledger_->freed[row].fetch_add(1, std::memory_order_relaxed);
  ledger_->exact[row].at_rest.fetch_sub(1, AllocationLedger::kExactOrder);
  ::operator delete(static_cast<std::byte*>(p) - align, std::align_val_t{align});
}

ArrayHeader* CountingArrayAllocator::header_of(const void* array) noexcept {
  if (array == nullptr || reinterpret_cast<std::uintptr_t>(array) % kHeaderBytes != 0) return nullptr;
  auto* header = reinterpret_cast<ArrayHeader*>(const_cast<std::byte*>(static_cast<const std::byte*>(array)) -
                                                kHeaderBytes);
  if (header->magic.load(std::memory_order_relaxed) != ArrayHeader::kMagic) return nullptr;
  return header;
}

}  // namespace poolcheck
