#pragma once
// The sorted vocabulary of a text index: every indexed (folded, unstemmed)
// word with the term (stem) it was indexed under, its document frequency and
// the form to show it in. Answers prefix ranges and typo look-ups.
//
// Typo look-up: restricted Damerau-Levenshtein distance (optimal string
// alignment: insertions, deletions, substitutions and transpositions of two
// adjacent code points each cost 1, no substring edited twice), computed
// over code points. The words are scanned in sorted order as the leaves of an
// implicit trie: a word reuses the dynamic-programming rows of the prefix it
// shares with the previous word, and when a row's minimum exceeds the budget
// the whole run of words sharing that prefix (a trie subtree) is skipped in
// one step through a precomputed subtree end: one uint32 per trie node.
//
//   Vocabulary vocabulary = Vocabulary::Build(std::move(entries));
//   auto [begin, end] = vocabulary.PrefixRange("kay");
//   vocabulary.ForEachWithinEdits("snorkling", 2, [](size_t i, int edits) {...});
//
// Thread safety: immutable after Build; safe for concurrent readers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"

namespace otter::engine::text {

class Vocabulary {
 public:
  // One word as the index builder gathered it.
  struct Entry {
    std::string word;            // Folded word, at most kMaxWordBytes bytes.
    uint32_t term = 0;           // Id of its stem in the index.
    uint32_t doc_frequency = 0;  // Documents containing the word.
    std::string display;         // Form to show, or empty for `word` itself.
  };

  Vocabulary() = default;

  // Sorts `entries` by word. Requires distinct words.
  static Vocabulary Build(std::vector<Entry> entries);

  // Number of words.
  size_t size() const { return terms_.size(); }

  // The i-th word in byte order, its term, document frequency and display
  // form. Require i < size().
  std::string_view word(size_t i) const {
    return std::string_view(blob_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  uint32_t term(size_t i) const { return terms_[i]; }
  uint32_t doc_frequency(size_t i) const { return doc_frequencies_[i]; }
  std::string_view display(size_t i) const;

  // The index range [first, second) of the words that start with `prefix`
  // (all words for an empty prefix).
  std::pair<size_t, size_t> PrefixRange(std::string_view prefix) const;

  // Calls `on_match(i, edits)` for each word i within `max_edits` (0 to 2)
  // edits of `word` (see the header comment), in word order, with the
  // distance. `word` must be valid UTF-8.
  void ForEachWithinEdits(std::string_view word, int max_edits,
                          absl::FunctionRef<void(size_t index, int edits)> on_match) const;

  // Bytes of memory held.
  size_t MemoryBytes() const;

 private:
  std::string blob_;               // All words, concatenated in order.
  std::vector<uint32_t> offsets_;  // Word i is blob_[offsets_[i], offsets_[i+1]).
  std::vector<uint32_t> terms_;
  std::vector<uint32_t> doc_frequencies_;
  absl::flat_hash_map<uint32_t, std::string> displays_;  // Only where they differ.
  // The implicit trie: word i shares its first lcp_[i] code points with word
  // i - 1 and starts the trie nodes of depths lcp_[i] + 1 .. its length; the
  // subtree of its node of depth d ends before word
  // subtree_ends_[node_offsets_[i] + d - lcp_[i] - 1].
  std::vector<uint8_t> lcp_;
  std::vector<uint32_t> node_offsets_;
  std::vector<uint32_t> subtree_ends_;
};

}  // namespace otter::engine::text
