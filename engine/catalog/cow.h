#pragma once
// Copy-on-write building blocks of the catalog. A published version holds
// its parts through shared_ptr<const T>; a writer (CatalogBuilder) wraps them
// in these editors, which copy a part the first time it is written and then
// write the copy in place until the next Publish(), when every part becomes
// shared (read-only) again.
//
//   CowChunks<TourColumns> columns(base.tour_columns);
//   columns.Mutable(7).price_cents[3] = 1250;  // copies chunk 7 once
//   ChunkList<TourColumns> next = columns.Publish();
//
// Thread safety: an editor belongs to one writer thread. The parts it
// publishes are immutable and may be read by any number of threads.

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace otter::engine::catalog_internal {

// A published list of chunks. The list itself is shared too, so a version
// that changes no chunk of a part shares that part's whole list.
template <typename Chunk>
using ChunkList = std::shared_ptr<const std::vector<std::shared_ptr<const Chunk>>>;

// One copy-on-write value.
template <typename T>
class CowValue {
 public:
  explicit CowValue(std::shared_ptr<const T> base) : value_(std::move(base)) {}

  // The current value, read-only.
  const T& Get() const { return *value_; }

  // The current value, writable: copied first unless this editor already
  // owns an unpublished copy.
  T& Mutable() {
    if (owned_ == nullptr) {
      auto copy = std::make_shared<T>(*value_);
      owned_ = copy.get();
      value_ = std::move(copy);
    }
    return *owned_;
  }

  // Freezes the current value and returns it; later writes copy again.
  std::shared_ptr<const T> Publish() {
    owned_ = nullptr;
    return value_;
  }

 private:
  std::shared_ptr<const T> value_;
  T* owned_ = nullptr;  // == value_.get() while unpublished and writable
};

// A list of fixed-size chunks (or shards), each copied on its first write.
template <typename Chunk>
class CowChunks {
 public:
  explicit CowChunks(ChunkList<Chunk> base)
      : chunks_(*base), owned_(chunks_.size(), nullptr), published_(std::move(base)) {}

  size_t size() const { return chunks_.size(); }

  // Chunk `index` read-only. Requires index < size().
  const Chunk& Get(size_t index) const { return *chunks_[index]; }

  // Chunk `index` writable (copied first unless already owned).
  Chunk& Mutable(size_t index) {
    Chunk* owned = owned_[index];
    if (owned == nullptr) {
      auto copy = std::make_shared<Chunk>(*chunks_[index]);
      owned = copy.get();
      chunks_[index] = std::move(copy);
      owned_[index] = owned;
      owned_indexes_.push_back(index);
      published_ = nullptr;
    }
    return *owned;
  }

  // Appends a default-constructed chunk, owned (no copy on its writes).
  void Append() {
    auto chunk = std::make_shared<Chunk>();
    owned_.push_back(chunk.get());
    owned_indexes_.push_back(chunks_.size());
    chunks_.push_back(std::move(chunk));
    published_ = nullptr;
  }

  // Freezes every chunk and returns the list (the previous one when nothing
  // changed); later writes copy again.
  ChunkList<Chunk> Publish() {
    for (size_t index : owned_indexes_) owned_[index] = nullptr;
    owned_indexes_.clear();
    if (published_ == nullptr) {
      published_ = std::make_shared<const std::vector<std::shared_ptr<const Chunk>>>(chunks_);
    }
    return published_;
  }

 private:
  std::vector<std::shared_ptr<const Chunk>> chunks_;
  std::vector<Chunk*> owned_;          // non-null: unpublished copy, writable
  std::vector<size_t> owned_indexes_;  // where owned_ is non-null
  ChunkList<Chunk> published_;         // null once chunks_ differs from it
};

}  // namespace otter::engine::catalog_internal
