// data/pod_buffer.h — a growable array of plain values that grows with realloc. For the multi-GB token
// store of `dataset build`: glibc grows large blocks with mremap (no copy), so growing never holds the old
// and the new array at once, which std::vector would (peak RSS 2x during a reallocation).
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace bertforge::data {

template <typename T>
class PodBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "PodBuffer holds plain values only");

 public:
  PodBuffer() = default;
  ~PodBuffer() { std::free(data_); }
  PodBuffer(const PodBuffer&) = delete;
  PodBuffer& operator=(const PodBuffer&) = delete;
  PodBuffer(PodBuffer&& o) noexcept { swap(o); }
  PodBuffer& operator=(PodBuffer&& o) noexcept {
    swap(o);
    return *this;
  }
  void swap(PodBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

  void reserve(size_t n) {
    if (n <= cap_) return;
    void* p = std::realloc(data_, n * sizeof(T));
    if (!p) throw std::bad_alloc();
    data_ = static_cast<T*>(p);
    cap_ = n;
  }
  void push_back(T v) {
    if (size_ == cap_) grow(size_ + 1);
    data_[size_++] = v;
  }
  void append(const T* src, size_t n) {
    if (size_ + n > cap_) grow(size_ + n);
    if (n) std::memcpy(data_ + size_, src, n * sizeof(T));
    size_ += n;
  }
  void clear() { size_ = 0; }
  // Gives back unused capacity once filling is done.
  void shrink_to_fit() {
    if (size_ == cap_ || size_ == 0) return;
    void* p = std::realloc(data_, size_ * sizeof(T));
    if (p) {
      data_ = static_cast<T*>(p);
      cap_ = size_;
    }
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

 private:
  void grow(size_t need) {
    size_t n = cap_ < 1024 ? 1024 : cap_ + cap_ / 2;
    if (n < need) n = need;
    reserve(n);
  }
  T* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

}  // namespace bertforge::data
