#include "engine/text/match_count.h"

#include <algorithm>
#include <cassert>

namespace otter::engine::text {
namespace {

// One word's documents: a bitmap, or a sorted list of ordinals.
struct WordSet {
  const uint64_t* bits = nullptr;
  const uint32_t* ords = nullptr;
  size_t size = 0;  // Of the list.
  uint64_t cost = 0;
};

// The number of bits set in the AND of maps[0..count) over words [begin,
// end). Inlined into a POPCNT build and a portable one, chosen once at run
// time: without POPCNT, GCC's generic popcount is a library call per word.
// (Not target_clones: its ifunc resolver runs before sanitizers start.)
__attribute__((always_inline)) inline uint64_t AndPopcountBody(const uint64_t* const* maps,
                                                               size_t count, size_t begin,
                                                               size_t end) {
  uint64_t total = 0;
  if (count == 1) {
    for (size_t i = begin; i < end; ++i) total += __builtin_popcountll(maps[0][i]);
  } else if (count == 2) {
    for (size_t i = begin; i < end; ++i) total += __builtin_popcountll(maps[0][i] & maps[1][i]);
  } else {
    for (size_t i = begin; i < end; ++i) {
      uint64_t bits = maps[0][i] & maps[1][i];
      for (size_t m = 2; m < count; ++m) bits &= maps[m][i];
      total += __builtin_popcountll(bits);
    }
  }
  return total;
}

uint64_t AndPopcountPortable(const uint64_t* const* maps, size_t count, size_t begin, size_t end) {
  return AndPopcountBody(maps, count, begin, end);
}

__attribute__((target("popcnt"))) uint64_t AndPopcountPopcnt(const uint64_t* const* maps,
                                                             size_t count, size_t begin,
                                                             size_t end) {
  return AndPopcountBody(maps, count, begin, end);
}

uint64_t AndPopcount(const uint64_t* const* maps, size_t count, size_t begin, size_t end) {
  static const auto kAndPopcount =
      __builtin_cpu_supports("popcnt") ? AndPopcountPopcnt : AndPopcountPortable;
  return kAndPopcount(maps, count, begin, end);
}

// Counts when some word is a list: `driver` is walked, `others` probed.
uint64_t CountDriven(const WordSet& driver, absl::Span<const WordSet> others,
                     const MatchKeep& keep) {
  if (others.empty() && !keep.filters()) return driver.size;
  std::vector<const uint64_t*> maps;
  std::vector<const WordSet*> lists;
  for (const WordSet& other : others) {
    if (other.bits != nullptr) {
      maps.push_back(other.bits);
    } else {
      lists.push_back(&other);
    }
  }
  std::vector<size_t> cursors(lists.size(), 0);
  uint64_t total = 0;
  for (size_t i = 0; i < driver.size; ++i) {
    const uint32_t ord = driver.ords[i];
    const uint64_t word = ord >> 6;
    const uint64_t bit = uint64_t{1} << (ord & 63);
    bool match = true;
    for (const uint64_t* map : maps) match &= (map[word] & bit) != 0;
    if (!match) continue;
    for (size_t l = 0; l < lists.size() && match; ++l) {
      cursors[l] = Gallop(lists[l]->ords, cursors[l], lists[l]->size, ord);
      if (cursors[l] == lists[l]->size) return total;  // Nothing further can match.
      match = lists[l]->ords[cursors[l]] == ord;
    }
    if (match && keep(ord)) ++total;
  }
  return total;
}

// Counts when every word is a bitmap.
uint64_t CountBitmaps(absl::Span<const WordSet> words, size_t word_count, const MatchKeep& keep) {
  std::vector<const uint64_t*> maps;
  for (const WordSet& word : words) maps.push_back(word.bits);
  uint64_t total = 0;
  // Doc ids equal to ordinals (a base index over dense ids) let a bitmap of
  // allowed ids join the AND; words past its end hold no allowed id.
  const bool allowed_by_ordinal =
      keep.keep == nullptr && keep.allowed != nullptr && !keep.doc_ids.empty() &&
      keep.doc_ids.back() == keep.doc_ids.size() - 1;
  if (allowed_by_ordinal) {
    maps.push_back(keep.allowed);
    word_count = std::min(word_count, keep.allowed_words);
  }
  if (!keep.filters() || allowed_by_ordinal) {
    return AndPopcount(maps.data(), maps.size(), 0, word_count);
  }
  for (size_t i = 0; i < word_count; ++i) {
    uint64_t bits = maps[0][i];
    for (size_t m = 1; m < maps.size(); ++m) bits &= maps[m][i];
    while (bits != 0) {
      const auto ord = static_cast<uint32_t>(i * 64 + __builtin_ctzll(bits));
      bits &= bits - 1;
      if (keep(ord)) ++total;
    }
  }
  return total;
}

}  // namespace

uint64_t CountMatches(const PostingsView& postings, const DenseBitmaps& dense,
                      absl::Span<const std::vector<uint32_t>> word_terms, const MatchKeep& keep) {
  const size_t n = postings.doc_count;
  const size_t word_count = (n + 63) / 64;
  if (word_terms.empty() || n == 0) return 0;
  // Storage of the sets built for this query.
  std::vector<std::vector<uint64_t>> built_bits;
  std::vector<std::vector<uint32_t>> built_lists;
  built_bits.reserve(word_terms.size());
  built_lists.reserve(word_terms.size());
  std::vector<WordSet> sets;
  for (const std::vector<uint32_t>& terms : word_terms) {
    assert(!terms.empty());
    WordSet set;
    for (uint32_t term : terms) set.cost += postings.end(term) - postings.begin(term);
    if (terms.size() == 1) {
      set.bits = dense.bitmap(terms[0]);
      set.ords = &postings.ords[postings.begin(terms[0])];
      set.size = set.cost;
    } else if (n >= 64 && set.cost * 1024 >= n) {
      // Cheaper than merging the lists: an OR of bitmaps and bit settings.
      std::vector<uint64_t>& bits = built_bits.emplace_back(word_count, 0);
      for (uint32_t term : terms) {
        if (const uint64_t* map = dense.bitmap(term); map != nullptr) {
          for (size_t i = 0; i < word_count; ++i) bits[i] |= map[i];
          continue;
        }
        for (uint64_t p = postings.begin(term); p < postings.end(term); ++p) {
          bits[postings.ords[p] >> 6] |= uint64_t{1} << (postings.ords[p] & 63);
        }
      }
      set.bits = bits.data();
    } else {
      std::vector<uint32_t>& ords = built_lists.emplace_back();
      ords.reserve(set.cost);
      for (uint32_t term : terms) {
        ords.insert(ords.end(), postings.ords.begin() + postings.begin(term),
                    postings.ords.begin() + postings.end(term));
      }
      std::sort(ords.begin(), ords.end());
      ords.erase(std::unique(ords.begin(), ords.end()), ords.end());
      set.ords = ords.data();
      set.size = ords.size();
    }
    if (set.bits != nullptr) set.ords = nullptr;
    sets.push_back(set);
  }
  std::sort(sets.begin(), sets.end(),
            [](const WordSet& a, const WordSet& b) { return a.cost < b.cost; });
  const auto driver = std::find_if(sets.begin(), sets.end(),
                                   [](const WordSet& set) { return set.bits == nullptr; });
  if (driver == sets.end()) return CountBitmaps(sets, word_count, keep);
  const WordSet driving = *driver;
  sets.erase(driver);
  return CountDriven(driving, sets, keep);
}

}  // namespace otter::engine::text
