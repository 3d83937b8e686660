#pragma once
// English stemming with Snowball's "english" (Porter2) stemmer from
// libstemmer: "hiking", "hikes" and "hiked" all stem to "hike".
//
//   Stemmer stemmer;
//   std::string stem = stemmer.Stem("kayaking");  // "kayak"
//
// Thread safety: a Stemmer is NOT safe to share between threads (Snowball
// keeps its working buffer inside the stemmer). Give each thread, or each
// object that owns one and is used by one thread at a time, its own.

#include <memory>
#include <string>
#include <string_view>

struct sb_stemmer;

namespace otter::engine::text {

class Stemmer {
 public:
  // Creates an English stemmer. Aborts when libstemmer cannot allocate one
  // (out of memory), as any allocation failure does.
  Stemmer();
  ~Stemmer();
  Stemmer(Stemmer&&) noexcept;
  Stemmer& operator=(Stemmer&&) noexcept;
  Stemmer(const Stemmer&) = delete;
  Stemmer& operator=(const Stemmer&) = delete;

  // Returns the stem of `word`, which should already be folded (lowercase
  // UTF-8, as Tokenize produces). Returns `word` itself unchanged when it is
  // longer than kMaxWordBytes or the stemmer fails.
  std::string Stem(std::string_view word);

 private:
  struct Deleter {
    void operator()(sb_stemmer* stemmer) const;
  };
  std::unique_ptr<sb_stemmer, Deleter> stemmer_;
};

}  // namespace otter::engine::text
