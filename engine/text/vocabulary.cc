#include "engine/text/vocabulary.h"

#include <algorithm>
#include <cassert>

#include "engine/text/normalizer.h"
#include "engine/text/tokenizer.h"

namespace otter::engine::text {
namespace {

// Decodes `word` into code points.
void DecodeWord(std::string_view word, std::vector<char32_t>* cps) {
  cps->clear();
  for (size_t pos = 0; pos < word.size();) {
    if (static_cast<unsigned char>(word[pos]) < 0x80) {
      cps->push_back(static_cast<char32_t>(word[pos++]));
      continue;
    }
    size_t length = 0;
    cps->push_back(DecodeCodePoint(word, pos, &length));
    pos += length;
  }
}

}  // namespace

Vocabulary Vocabulary::Build(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.word < b.word; });
  Vocabulary vocabulary;
  vocabulary.offsets_.reserve(entries.size() + 1);
  vocabulary.terms_.reserve(entries.size());
  vocabulary.doc_frequencies_.reserve(entries.size());
  vocabulary.offsets_.push_back(0);
  for (size_t i = 0; i < entries.size(); ++i) {
    assert(i == 0 || entries[i - 1].word != entries[i].word);
    vocabulary.blob_ += entries[i].word;
    vocabulary.offsets_.push_back(static_cast<uint32_t>(vocabulary.blob_.size()));
    vocabulary.terms_.push_back(entries[i].term);
    vocabulary.doc_frequencies_.push_back(entries[i].doc_frequency);
    if (!entries[i].display.empty() && entries[i].display != entries[i].word) {
      vocabulary.displays_.emplace(static_cast<uint32_t>(i), std::move(entries[i].display));
    }
  }
  vocabulary.blob_.shrink_to_fit();

  // Trie nodes and where their subtrees end, with a stack of open nodes.
  const size_t n = entries.size();
  vocabulary.lcp_.assign(n, 0);
  vocabulary.node_offsets_.assign(n, 0);
  std::vector<std::pair<uint32_t, size_t>> open;  // (node slot, depth).
  std::vector<char32_t> previous;
  std::vector<char32_t> current;
  for (size_t i = 0; i < n; ++i) {
    DecodeWord(vocabulary.word(i), &current);
    size_t lcp = 0;
    while (lcp < previous.size() && lcp < current.size() && previous[lcp] == current[lcp]) ++lcp;
    vocabulary.lcp_[i] = static_cast<uint8_t>(lcp);
    while (!open.empty() && open.back().second > lcp) {
      vocabulary.subtree_ends_[open.back().first] = static_cast<uint32_t>(i);
      open.pop_back();
    }
    vocabulary.node_offsets_[i] = static_cast<uint32_t>(vocabulary.subtree_ends_.size());
    for (size_t depth = lcp + 1; depth <= current.size(); ++depth) {
      open.emplace_back(static_cast<uint32_t>(vocabulary.subtree_ends_.size()), depth);
      vocabulary.subtree_ends_.push_back(0);
    }
    previous.swap(current);
  }
  for (const auto& [slot, depth] : open) vocabulary.subtree_ends_[slot] = static_cast<uint32_t>(n);
  return vocabulary;
}

std::string_view Vocabulary::display(size_t i) const {
  auto it = displays_.find(static_cast<uint32_t>(i));
  return it == displays_.end() ? word(i) : std::string_view(it->second);
}

std::pair<size_t, size_t> Vocabulary::PrefixRange(std::string_view prefix) const {
  size_t first = 0;
  size_t last = size();
  // Lower bound of `prefix`, then the end of the run of words starting with it.
  size_t lo = 0;
  size_t hi = size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (word(mid) < prefix) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  first = lo;
  hi = size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (word(mid).substr(0, prefix.size()) == prefix) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  last = lo;
  return {first, last};
}

void Vocabulary::ForEachWithinEdits(std::string_view word_text, int max_edits,
                                    absl::FunctionRef<void(size_t, int)> on_match) const {
  std::vector<char32_t> query;
  DecodeWord(word_text, &query);
  const size_t m = query.size();
  const int k = std::clamp(max_edits, 0, 2);
  const size_t width = m + 1;
  const int over = k + 1;  // Stands for any distance above the budget.
  // rows[d * width + j]: distance between the first d code points of the
  // current word and the first j of the query, computed only in the band
  // |d - j| <= k (Ukkonen): a distance within k never leaves it. The cells
  // just outside the band hold `over`. Words have at most kMaxWordBytes
  // code points.
  std::vector<int> rows((kMaxWordBytes + 1) * width, over);
  for (size_t j = 0; j <= m && j <= static_cast<size_t>(k); ++j) rows[j] = static_cast<int>(j);

  std::vector<char32_t> current;
  size_t i = 0;
  while (i < size()) {
    DecodeWord(word(i), &current);
    // Rows 1..lcp_[i] were computed for the same code points: the previous
    // word scanned, or the word before a skipped subtree, shares them.
    size_t depth = lcp_[i];
    bool pruned = false;
    while (depth < current.size()) {
      const size_t d = depth + 1;
      depth = d;
      if (d > m + static_cast<size_t>(k)) {  // The band has left the matrix.
        pruned = true;
        break;
      }
      int* row = &rows[d * width];
      const int* up = &rows[(d - 1) * width];
      const int* up2 = d >= 2 ? &rows[(d - 2) * width] : nullptr;
      const char32_t c = current[d - 1];
      const size_t lo = d > static_cast<size_t>(k) ? d - k : 1;
      const size_t hi = std::min(m, d + k);
      row[lo - 1] = lo == 1 ? static_cast<int>(d) : over;
      if (hi < m) row[hi + 1] = over;
      int row_min = lo == 1 ? static_cast<int>(d) : over;
      for (size_t j = lo; j <= hi; ++j) {
        int value = std::min({up[j] + 1, row[j - 1] + 1, up[j - 1] + (c == query[j - 1] ? 0 : 1)});
        if (up2 != nullptr && j >= 2 && c == query[j - 2] && current[d - 2] == query[j - 1]) {
          value = std::min(value, up2[j - 2] + 1);
        }
        row[j] = value;
        row_min = std::min(row_min, value);
      }
      // No extension of this prefix can come back within the budget (this
      // holds for transpositions too: they reach back two rows, and a row
      // two back that was within k - 1 would keep the row between within k).
      if (row_min > k) {
        pruned = true;
        break;
      }
    }
    if (pruned) {
      i = subtree_ends_[node_offsets_[i] + depth - lcp_[i] - 1];
      continue;
    }
    const int distance = current.size() + k >= m && current.size() <= m + k
                             ? rows[current.size() * width + m]
                             : over;
    if (distance <= k) on_match(i, distance);
    ++i;
  }
}

size_t Vocabulary::MemoryBytes() const {
  size_t bytes = blob_.capacity() + offsets_.capacity() * sizeof(uint32_t) +
                 terms_.capacity() * sizeof(uint32_t) +
                 doc_frequencies_.capacity() * sizeof(uint32_t) + lcp_.capacity() +
                 node_offsets_.capacity() * sizeof(uint32_t) +
                 subtree_ends_.capacity() * sizeof(uint32_t);
  for (const auto& [index, display] : displays_) bytes += sizeof(index) + display.capacity() + 32;
  return bytes;
}

}  // namespace otter::engine::text
