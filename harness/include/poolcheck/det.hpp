// TEMPORARY STUB (not committed): replaced by helper's det.hpp
#pragma once
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <condition_variable>
#include "poolcheck/deterministic/det_atomic.hpp"
#include "poolcheck/deterministic/det_mutex.hpp"
namespace poolcheck {
struct StdSync { template <class T> using atomic = std::atomic<T>; using mutex = std::mutex; static void yield_point() noexcept {} };
namespace det { struct Sync { template <class T> using atomic = DetAtomic<T>; using mutex = DetMutex; static void yield_point() { Schedule::point(PointKind::plain);} }; }
}
