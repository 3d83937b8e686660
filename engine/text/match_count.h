#pragma once
// Exact counting of the documents that match a query, without scoring: the
// intersection over query words of the union of each word's terms.
//
// Each word becomes a set: a bitmap (the prebuilt one of a frequent term, or
// one ORed together for a word expanded to many postings by typos or a
// prefix) or a sorted list of ordinals (a rarer term's postings, or the
// merged postings of a few rare terms). When any word is a list, the shortest
// list drives and the others are probed (a bit test or a galloping cursor);
// otherwise the bitmaps are ANDed word by word and counted with popcount.
//
//   MatchKeep keep{nullptr, doc_ids};  // Keep every document.
//   uint64_t total = CountMatches(postings, dense, word_terms, keep);
//
// Thread safety: a pure function of its arguments.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "engine/text/postings.h"

namespace otter::engine::text {

// Which matching documents count: those for which `keep` (when not null)
// returns true for their doc id doc_ids[ordinal], and, when `allowed` is
// set, whose doc id has its bit set there (bit d % 64 of allowed[d / 64];
// ids past its end are not allowed).
struct MatchKeep {
  const absl::FunctionRef<bool(uint32_t doc)>* keep = nullptr;
  absl::Span<const uint32_t> doc_ids;
  const uint64_t* allowed = nullptr;
  size_t allowed_words = 0;

  bool filters() const { return keep != nullptr || allowed != nullptr; }
  bool operator()(uint32_t ord) const {
    const uint32_t doc = doc_ids[ord];
    if (allowed != nullptr &&
        (doc / 64 >= allowed_words || (allowed[doc / 64] >> (doc % 64) & 1) == 0)) {
      return false;
    }
    return keep == nullptr || (*keep)(doc);
  }
};

// Returns the number of document ordinals that hold, for every entry of
// `word_terms`, at least one of its terms, and that `keep` keeps. Requires
// every entry of `word_terms` to be non-empty with distinct terms.
uint64_t CountMatches(const PostingsView& postings, const DenseBitmaps& dense,
                      absl::Span<const std::vector<uint32_t>> word_terms, const MatchKeep& keep);

}  // namespace otter::engine::text
