#pragma once
// What the benchmarks build their queries from: a deterministic sample of
// the database's tours (coordinates, ids, categories, prices, title words
// and tags), of users with current quiz traits, and of active leaders, read
// once at start so that no query is made up out of thin air.
//
//   OTTER_ASSIGN_OR_RETURN(PgConnection conn, PgConnection::Connect(url));
//   OTTER_ASSIGN_OR_RETURN(WorkloadSample sample, SampleWorkload(conn, SampleSizes{}));
//
// Thread safety: WorkloadSample is a value; SampleWorkload uses the
// connection it is given.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "loader/pg_connection.h"

namespace otter::load {

// One active tour (of an active leader) with a location.
struct TourSample {
  std::string id;
  double lat = 0;
  double lon = 0;
  std::string category;
  std::string price;  // as PostgreSQL prints numeric(10,2): "47.68"
  // The words of the title and the tags (see AppendWords).
  std::vector<std::string> words;
};

struct WorkloadSample {
  std::vector<TourSample> tours;
  std::vector<std::string> user_ids;    // users with current quiz traits
  std::vector<std::string> leader_ids;  // active leaders
};

struct SampleSizes {
  int tours = 5000;
  int users = 2000;
  int leaders = 2000;
  // The same seed over the same data gives the same sample.
  uint64_t seed = 1;
};

// Reads up to `sizes` rows of each kind, chosen by a hash of their id and
// the seed. Returns the database's error, or kFailedPrecondition naming
// the table when it holds no usable row (no active tour with coordinates,
// no user with quiz traits, no active leader).
absl::StatusOr<WorkloadSample> SampleWorkload(loader::PgConnection& conn, const SampleSizes& sizes);

// Appends to `words` the words of `text` not already there: runs of at
// least three letters (ASCII letters, lower-cased, and the bytes of UTF-8
// sequences), in order of appearance. Other bytes separate words.
void AppendWords(std::string_view text, std::vector<std::string>* words);

}  // namespace otter::load
