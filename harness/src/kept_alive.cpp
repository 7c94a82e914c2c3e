#include "poolcheck/kept_alive.hpp"

#include <mutex>
#include <new>
#include <vector>

namespace poolcheck {

void keep_alive(const void* object) noexcept {
  // Never destroyed: a static object's destructor would run at exit, before LeakSanitizer looks.
  static auto* const kept = new std::vector<const void*>();
  static std::mutex mutex;
  try {
    const std::lock_guard lock(mutex);
    kept->push_back(object);
  } catch (...) {
  }
}

}  // namespace poolcheck
