#pragma once
// A Query as the otterd protocol carries it (docs/protocol.md): the op and
// its fields as a JSON object, a JSON line, or a binary frame.
//
//   Query q = generator.Next(QueryKind::kGeo);
//   std::string fields = RequestFields(q);
//   //
//   {"index":"tours","near":{"lat":38.72,"lon":-9.14,"radius_km":25},"sort":["distance"],"limit":20}
//   std::string line = JsonLine(OpOf(q.kind), fields, /*id=*/7);
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/load/query.h"
#include "server/request.h"

namespace otter::load {

// The op a kind uses: search for geo, text and combined, match for
// personality, and the kind's own op otherwise.
server::Op OpOf(QueryKind kind);

// The op's fields of `q` as a JSON object, "{}" when it has none.
std::string RequestFields(const Query& q);

// One JSON-lines request, newline included: {"id":<id>,"op":"<op>",...fields}.
// Requires `fields` to be a JSON object.
std::string JsonLine(server::Op op, std::string_view fields, uint64_t id);

// Appends one binary request frame (header and payload) to `out`. An empty
// object is sent as an empty payload.
void AppendFrame(std::string& out, server::Op op, std::string_view fields, uint64_t id);

// The shortest decimal text that reads back as exactly `value`; the
// benchmarks pass the same text to otterd and to PostgreSQL.
std::string FormatDouble(double value);

}  // namespace otter::load
