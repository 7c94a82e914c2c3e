// lockfree::Pool: a lock-free pool of arrays, written the way people write one (an outside user's
// production code: header-only, C++20, it knows nothing of poolcheck).
//
// What it is. Power-of-two size classes ("buckets") from 16 elements up to max_array_length
// rounded up to a power of two, like .NET's ArrayPool. rent(n) returns an array of the smallest
// class that holds n, taken from that bucket's stack or freshly allocated; arrays are not zeroed.
// give_back puts it back on its bucket's stack, unless the bucket already rests max_per_bucket
// arrays, in which case the array is freed. Requests above the largest class get a fresh array of
// exactly n elements that is never pooled.
//
// Each bucket is a Treiber stack (a lock-free linked stack whose head is swapped by
// compare-and-swap) of nodes, not of the arrays themselves: once rented, an array's memory belongs
// to the renter, so a "next" pointer kept inside it would be read by a stale popper while the
// renter writes there, a data race even in a correct pool. Nodes are type-stable: they are never
// freed before the pool is destroyed, only recycled through one pool-wide stack of free nodes, so
// a stale popper always reads a live node, and every node field is atomic, so no variant below has
// a data race: their bugs are logical.
//
// The Bug parameter selects a deliberately broken variant, for checkers to find:
//   Bug::none      the correct pool.
//   Bug::aba       the stacks' heads are plain node pointers. A pop reads head A and A->next = B,
//                  then compare-and-swaps head from A to B. Meanwhile other threads may pop A and
//                  B and push A back (nodes are recycled, so A comes back): the head is A again,
//                  the CAS succeeds and installs B, which is no longer on this stack (it may be
//                  free, in flight in a give_back, or on another bucket's stack). Two renters then
//                  get the same array (aliasing), an array resting in one bucket is rented from
//                  another with the wrong capacity, or arrays drop out of the stack and are lost.
//                  The correct pool tags the head with a version counter bumped on every change,
//                  so that CAS fails.
//   Bug::cap_race  give_back checks the bucket's count and then pushes and counts (check-then-act):
//                  concurrent give_backs all pass the check before any counts, so a bucket rests
//                  more than max_per_bucket arrays. The correct pool reserves its place first
//                  (fetch_add, and undoes it when over the cap), so the count never falls below
//                  what rests.
//
// Sync supplies the atomics (Sync::template atomic<T>, with std::atomic's interface) and
// Sync::yield_point(), a no-op in production (StdSync). A checker may pass a Sync whose atomics
// and yield points are scheduling points, to interleave threads at exactly the windows that
// matter. All shared state is a Sync atomic.
//
// Thread-safety: rent and give_back may be called concurrently from any threads; construction
// and destruction may not overlap any other call. See each member.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace lockfree {

// Production synchronization: std::atomic, and no scheduling points.
struct StdSync {
  template <class T>
  using atomic = std::atomic<T>;
  static void yield_point() noexcept {}
};

enum class Bug { none, aba, cap_race };

struct Options {
  std::size_t max_array_length = 1024 * 1024;  // largest pooled request, in elements
  std::size_t max_per_bucket = 50;             // arrays resting per bucket at most
};

// T: the element type (trivially copyable: arrays are handed out uninitialized and cleared with
// memset). Allocator: std::allocator<T>-style, allocate(n) -> T* and deallocate(p, n); each array
// is one allocate of exactly its capacity, handed out as that pointer, freed with that same n.
template <class T, Bug B = Bug::none, class Sync = StdSync, class Allocator = std::allocator<T>>
class Pool {
  static_assert(std::is_trivially_copyable_v<T>, "arrays are handed out uninitialized and cleared with memset");

 public:
  using value_type = T;

  // The smallest bucket's capacity; and the most the largest one may be (.NET's limit: larger
  // max_array_length values are clamped to it).
  static constexpr std::size_t kSmallestBucket = 16;
  static constexpr std::size_t kLargestBucketLimit = std::size_t{1} << 30;

  // The largest bucket's capacity for a given max_array_length: rounded up to a power of two,
  // at least 16, at most 2^30. Pure: callable before any pool exists.
  static constexpr std::size_t largest_bucket_for(std::size_t max_array_length) noexcept {
    if (max_array_length > kLargestBucketLimit) return kLargestBucketLimit;
    return std::bit_ceil(max_array_length < kSmallestBucket ? kSmallestBucket : max_array_length);
  }
  static constexpr std::size_t bucket_count_for(std::size_t max_array_length) noexcept {
    return static_cast<std::size_t>(std::countr_zero(largest_bucket_for(max_array_length) / kSmallestBucket)) + 1;
  }

  // Not thread-safe (nothing else can reach the pool yet). Allocates nothing but the buckets.
  explicit Pool(Options options, Allocator allocator = Allocator())
      : options_(options),
        largest_(largest_bucket_for(options.max_array_length)),
        allocator_(std::move(allocator)),
        buckets_(bucket_count_for(options.max_array_length)) {}

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Not thread-safe: no rent or give_back may run or follow. Frees every resting array through
  // the allocator (with its bucket's capacity) and every node. A correct pool meets each node
  // once. The walk is bounded by the node count and clears each array it frees, so a stack that
  // Bug::aba made cyclic still ends without freeing an array twice; what that bug can still make
  // it do is free an array that strayed into another bucket's stack with that bucket's capacity,
  // or free one array twice when two nodes hold it (after two renters gave the same array back).
  ~Pool() {
    std::size_t nodes = 0;
    for (Node* n = all_nodes_.load(std::memory_order_acquire); n != nullptr; n = n->registry_next) ++nodes;
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
      Node* n = address(buckets_[b].head.load(std::memory_order_acquire));
      for (std::size_t steps = 0; n != nullptr && steps < nodes; ++steps) {
        if (T* a = n->array.load(std::memory_order_relaxed)) {
          n->array.store(nullptr, std::memory_order_relaxed);
          allocator_.deallocate(a, capacity(b));
        }
        n = n->next.load(std::memory_order_relaxed);
      }
    }
    for (Node* n = all_nodes_.load(std::memory_order_acquire); n != nullptr;) {
      Node* next = n->registry_next;
      delete n;
      n = next;
    }
  }

  // Thread-safe. n == 0: an empty span. 1 <= n <= largest_bucket(): an array of exactly the
  // capacity of the smallest bucket that holds n (>= n), resting or freshly allocated, contents
  // unspecified. n > largest_bucket(): a fresh array of exactly n elements, never pooled. Throws
  // what the allocator throws (then the pool is unchanged).
  std::span<T> rent(std::size_t n) {
    if (n == 0) return {};
    if (n > largest_) return {allocator_.allocate(n), n};
    const std::size_t b = bucket_of(n);
    Bucket& bucket = buckets_[b];
    if (Node* node = pop(bucket.head)) {
      // The successful pop (acquire) synchronizes with the push that published this node, so the
      // array it carries and everything its last holder wrote into it are visible here.
      T* array = node->array.load(std::memory_order_relaxed);
      push(free_nodes_, node);
      // Pop first, then uncount: the count never falls below what rests (see give_back).
      bucket.count.fetch_sub(1, std::memory_order_relaxed);
      return {array, capacity(b)};
    }
    return {allocator_.allocate(capacity(b)), capacity(b)};
  }

  // Thread-safe, for an array rented from this pool and no longer used by its renter (giving one
  // array back twice, or one from elsewhere, is undefined). Empty: nothing happens. A length that
  // is neither a bucket capacity nor above largest_bucket(): throws std::invalid_argument, and the
  // pool keeps nothing. Over-size: freed. Otherwise the array rests in its bucket, zero-filled
  // first when `clear`, unless the bucket already rests max_per_bucket arrays (or no node can be
  // had), in which case it is freed. Throws nothing else.
  void give_back(std::span<T> array, bool clear = false) {
    if (array.empty()) return;
    const std::size_t size = array.size();
    if (size > largest_) {
      allocator_.deallocate(array.data(), size);
      return;
    }
    if (size < kSmallestBucket || !std::has_single_bit(size)) {
      throw std::invalid_argument("lockfree::Pool::give_back: length is not a bucket capacity");
    }
    Bucket& bucket = buckets_[bucket_of(size)];
    const std::size_t cap = options_.max_per_bucket;
    if constexpr (B == Bug::cap_race) {
      // Check, then act: between this check and the count below, any number of other give_backs
      // pass the same check. (The wrong way: see the top of the file.)
      if (bucket.count.load(std::memory_order_relaxed) >= cap) {
        allocator_.deallocate(array.data(), size);
        return;
      }
      // The window in which concurrent give_backs all pass the check above.
      Sync::yield_point();
      if (!rest(bucket, array, clear)) return;
      bucket.count.fetch_add(1, std::memory_order_relaxed);
    } else {
      // Reserve a place first: the count is taken before the push and given back only after a pop,
      // so at every instant it is at least what rests, and at most `cap` reservations succeed.
      if (bucket.count.fetch_add(1, std::memory_order_relaxed) >= cap) {
        bucket.count.fetch_sub(1, std::memory_order_relaxed);
        allocator_.deallocate(array.data(), size);
        return;
      }
      if (!rest(bucket, array, clear)) bucket.count.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  // Thread-safe (immutable after construction).
  std::size_t largest_bucket() const noexcept { return largest_; }
  std::size_t bucket_count() const noexcept { return buckets_.size(); }
  const Options& options() const noexcept { return options_; }

 private:
  // A stack entry carrying one resting array. Type-stable: allocated with new, recycled through
  // free_nodes_, deleted only by the destructor (through all_nodes_), so a pop that read a stale
  // head still reads a live node. next and array are atomic because a stale popper reads next
  // while the node's new owner writes it.
  struct Node {
    typename Sync::template atomic<Node*> next{nullptr};
    typename Sync::template atomic<T*> array{nullptr};
    // Links every node ever made, for the destructor. Written once by the creating thread before
    // the node is published on all_nodes_ (release), read only by the destructor.
    Node* registry_next = nullptr;
  };

  // A stack head. Correct pool: a node address in the low 48 bits and a 16-bit version in the top
  // 16, bumped by every successful push and pop, so a CAS against a head read before another
  // thread's pop and push fails even when the same node is on top again. This assumes user-space
  // addresses fit in 48 bits (x86-64 with 4-level paging, and with 5-level paging unless an mmap
  // asks for a high address; AArch64 with 48-bit virtual addresses); make_node checks it and
  // declines a node whose address does not fit. The version wraps after 65,536 changes: a pop
  // stalled across exactly a multiple of that many changes could still be fooled (the usual
  // bounded-tag caveat). Bug::aba: a plain node pointer.
  static_assert(sizeof(void*) == 8 && sizeof(std::uintptr_t) == 8, "the tagged head packs a 48-bit address and a 16-bit version into 64 bits");
  static constexpr int kTagShift = 48;
  static constexpr std::uintptr_t kAddressMask = (std::uintptr_t{1} << kTagShift) - 1;
  using HeadWord = std::conditional_t<B == Bug::aba, Node*, std::uintptr_t>;
  using Head = typename Sync::template atomic<HeadWord>;

  static Node* address(HeadWord h) noexcept {
    if constexpr (B == Bug::aba) {
      return h;
    } else {
      return reinterpret_cast<Node*>(h & kAddressMask);
    }
  }
  // The head that puts `n` on top of `old`: for the tagged head, with the next version.
  static HeadWord successor(HeadWord old, Node* n) noexcept {
    if constexpr (B == Bug::aba) {
      return n;
    } else {
      const std::uintptr_t version = (old >> kTagShift) + 1;  // wraps within 16 bits below
      return (version << kTagShift) | reinterpret_cast<std::uintptr_t>(n);
    }
  }

  struct Bucket {
    Head head{HeadWord{}};  // Thread-safe: changed only by push/pop CASes.
    // Correct pool: resting arrays plus reservations of give_backs still pushing (and, for an
    // instant, refused ones): never below what rests, and at most max_per_bucket reservations
    // succeed at once. Bug::cap_race: counted after the push, so it can exceed the
    // cap (and briefly wrap below zero when a rent pops an array before its give_back counts it).
    // Thread-safe: relaxed, it orders nothing; the stack orders the arrays.
    typename Sync::template atomic<std::size_t> count{0};
  };

  // Thread-safe. Release: whatever the pusher wrote before (the node's array, the array's
  // contents) is visible to the thread whose pop takes the node.
  static void push(Head& head, Node* n) {
    HeadWord old = head.load(std::memory_order_relaxed);
    do {
      n->next.store(address(old), std::memory_order_relaxed);
    } while (!head.compare_exchange_weak(old, successor(old, n), std::memory_order_release, std::memory_order_relaxed));
  }

  // Thread-safe. Acquire: every head value is written by a push (release) or a later CAS in its
  // release sequence (all changes to a head are CASes), so the top node's next is visible.
  static Node* pop(Head& head) {
    HeadWord old = head.load(std::memory_order_acquire);
    for (;;) {
      Node* top = address(old);
      if (top == nullptr) return nullptr;
      Node* next = top->next.load(std::memory_order_relaxed);
      // The ABA window: between reading top->next and the CAS, other threads may pop `top` and
      // `next` and push `top` back. The tagged head makes the CAS fail then; the plain pointer
      // (Bug::aba) does not.
      Sync::yield_point();
      if (head.compare_exchange_weak(old, successor(old, next), std::memory_order_acquire, std::memory_order_acquire)) {
        return top;
      }
    }
  }

  // Thread-safe. A node from the free stack, or a new one (nullptr when memory is short, or, for
  // the tagged head, when its address does not fit in 48 bits).
  Node* make_node() noexcept {
    if (Node* n = pop(free_nodes_)) return n;
    Node* n = new (std::nothrow) Node;
    if (n == nullptr) return nullptr;
    if constexpr (B != Bug::aba) {
      if ((reinterpret_cast<std::uintptr_t>(n) & ~kAddressMask) != 0) {
        delete n;
        return nullptr;
      }
    }
    Node* old = all_nodes_.load(std::memory_order_relaxed);
    do {
      n->registry_next = old;
    } while (!all_nodes_.compare_exchange_weak(old, n, std::memory_order_release, std::memory_order_relaxed));
    return n;
  }

  // Thread-safe, for an array whose place in `bucket` is already counted (or checked, for
  // Bug::cap_race). Clears it when asked and pushes it; without a node, frees it and returns
  // false. Only an array that will rest is cleared: one that is freed is nobody's any more.
  bool rest(Bucket& bucket, std::span<T> array, bool clear) {
    Node* n = make_node();
    if (n == nullptr) {
      allocator_.deallocate(array.data(), array.size());
      return false;
    }
    if (clear) std::memset(static_cast<void*>(array.data()), 0, array.size_bytes());
    n->array.store(array.data(), std::memory_order_relaxed);
    push(bucket.head, n);
    return true;
  }

  static std::size_t capacity(std::size_t bucket) noexcept { return kSmallestBucket << bucket; }
  static std::size_t bucket_of(std::size_t n) noexcept {
    return static_cast<std::size_t>(std::countr_zero(std::bit_ceil(n < kSmallestBucket ? kSmallestBucket : n))) - 4;
  }

  const Options options_;       // immutable
  const std::size_t largest_;   // immutable
  [[no_unique_address]] Allocator allocator_;  // called concurrently: must be thread-safe, as std::allocator
  std::vector<Bucket> buckets_;  // sized once in the constructor; each Bucket is thread-safe
  Head free_nodes_{HeadWord{}};  // nodes not on any bucket stack; thread-safe as a bucket's head
  typename Sync::template atomic<Node*> all_nodes_{nullptr};  // every node ever made; push-only, so no ABA
};

}  // namespace lockfree
