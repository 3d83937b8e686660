#include "engine/text/stop_words.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace otter::engine::text {
namespace {

// Sorted, so that lookups are a binary search over a constant table.
constexpr std::array<std::string_view, 101> kStopWords = {
    "a",       "about",  "am",    "an",      "and",     "any",    "are",     "as",
    "at",      "be",     "been",  "being",   "both",    "but",    "by",      "can",
    "could",   "did",    "do",    "does",    "doing",   "dont",   "each",    "few",
    "for",     "from",   "further", "had",   "has",     "have",   "having",  "he",
    "her",     "here",   "hers",  "herself", "him",     "himself", "his",    "how",
    "i",       "if",     "in",    "into",    "is",      "it",     "its",     "itself",
    "just",    "me",     "more",  "most",    "my",      "myself", "of",      "on",
    "once",    "only",   "or",    "other",   "our",     "ours",   "ourselves", "s",
    "she",     "should", "so",    "some",    "such",    "t",      "than",    "that",
    "the",     "their",  "theirs", "them",   "themselves", "then", "there",  "these",
    "they",    "this",   "those", "to",      "too",     "very",   "was",     "we",
    "were",    "what",   "when",  "where",   "which",   "who",    "whom",    "why",
    "will",    "with",   "would", "you",     "your"};

static_assert([] {
  for (size_t i = 1; i < kStopWords.size(); ++i) {
    if (!(kStopWords[i - 1] < kStopWords[i])) return false;
  }
  return true;
}());

}  // namespace

bool IsStopWord(std::string_view word) {
  return std::binary_search(kStopWords.begin(), kStopWords.end(), word);
}

}  // namespace otter::engine::text
