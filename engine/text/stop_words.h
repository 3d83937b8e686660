#pragma once
// The English stop words that are neither indexed nor searched: articles,
// pronouns, auxiliaries, conjunctions and the commonest prepositions. Words
// that carry meaning in travel queries ("up", "down", "out", "off", "over",
// "under", "no", "not", "before", "after") are deliberately kept searchable.
//
//   if (IsStopWord("the")) { ... }
//
// Thread safety: IsStopWord reads a constant table; safe to call concurrently.

#include <string_view>

namespace otter::engine::text {

// Returns true when the folded word (as Tokenize produces, e.g. "the",
// "dont" for "don't") is an English stop word.
bool IsStopWord(std::string_view word);

}  // namespace otter::engine::text
