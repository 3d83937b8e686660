// libFuzzer target for everything that reads client bytes: the line framer,
// the frame codec and handshake, the request parser (as a line and as a
// frame payload), with the error replies written as the daemon would, and
// the engine ops' field parser on every request the envelope accepts.
// Build and run: `./dev fuzz SECONDS` (see docs/protocol.md).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/frame_codec.h"
#include "server/line_framer.h"
#include "server/query_json.h"
#include "server/request.h"
#include "server/response_writer.h"
#include "server/status_mapping.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// Parses the op's fields as EngineOps would; only crashes matter here.
void ParseOpFields(otter::server::QueryJsonParser& fields, const otter::server::Request& request) {
  using otter::server::Op;
  switch (request.op) {
    case Op::kSearch: (void)fields.ParseSearch(request.body); break;
    case Op::kMatch: (void)fields.ParseMatch(request.body); break;
    case Op::kScore: (void)fields.ParseScore(request.body); break;
    case Op::kSuggest: (void)fields.ParseSuggest(request.body); break;
    case Op::kGet: (void)fields.ParseGet(request.body); break;
    case Op::kRecomputeMatches: (void)fields.ParseRecompute(request.body); break;
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace otter::server;
  static RequestParser* parser = new RequestParser();
  static QueryJsonParser* fields = new QueryJsonParser();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out;

  // JSON lines, in two pieces cut where the first byte says.
  LineFramer framer(size > 0 ? 16 + data[0] * 4 : 64);
  std::string buffer;
  const std::size_t cut = size > 1 ? data[1] % size : 0;
  for (std::string_view piece : {input.substr(0, cut), input.substr(cut)}) {
    buffer.append(piece);
    for (;;) {
      LineFrame f = framer.Next(buffer);
      Check(f.consumed <= buffer.size());
      if (f.status == FrameStatus::kDone) {
        Request request;
        absl::Status s = parser->ParseLine(f.line, &request);
        ResponseWriter w(&out);
        if (!s.ok()) WriteError(w, request.id_json, s, 0, 0);
        if (s.ok()) ParseOpFields(*fields, request);
      }
      buffer.erase(0, f.consumed);
      if (f.status == FrameStatus::kNeedMore) break;
    }
  }

  // The whole input as one request line and as a binary stream.
  Request request;
  if (parser->ParseLine(input, &request).ok()) ParseOpFields(*fields, request);
  Handshake h = ParseHandshake(input);
  Check(h.consumed <= size);
  std::string_view rest = input.substr(h.status == FrameStatus::kDone ? h.consumed : 0);
  FrameCodec codec(1024);
  for (int i = 0; i < 64; ++i) {
    BinaryFrame f = codec.Next(rest);
    if (f.status != FrameStatus::kDone) break;
    Check(f.consumed <= rest.size() && f.payload.size() <= 1024);
    if (parser->ParseFrame(f.id, f.op, f.payload, &request).ok()) ParseOpFields(*fields, request);
    rest.remove_prefix(f.consumed);
  }
  return 0;
}
