#pragma once
// A thin owning wrapper over a libpq connection and its results, returning
// absl::Status instead of raw PGresult status codes. Database errors keep
// their SQLSTATE, readable with SqlState().
//
//   OTTER_ASSIGN_OR_RETURN(PgConnection conn, PgConnection::Connect(conninfo));
//   OTTER_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT $1::int + 1", {"41"}));
//   std::string_view answer = r.Get(0, 0);  // "42"
//
// ExecPipeline sends several statements at once (libpq's pipeline mode), so
// that they cost one network round trip instead of one each.
//
// Thread safety: a PgConnection is used by one thread at a time.

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libpq-fe.h"

namespace otter::loader {

// The SQLSTATE of a status returned for a database error ("23505"), or an
// empty string when the status did not come from the server.
std::string SqlState(const absl::Status& status);

// One query result. Values are the text (or binary) bytes libpq returned.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}

  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // The value at (row, column); empty for NULL. Requires indexes in range.
  std::string_view Get(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<size_t>(PQgetlength(result_.get(), row, column))};
  }
  // The number of rows an INSERT/UPDATE/DELETE affected.
  long AffectedRows() const;
  PGresult* get() const { return result_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// One statement of a pipeline (PgConnection::ExecPipeline).
struct PgStatement {
  std::string sql{};  // exactly one statement; $1..$n take `params`
  std::vector<std::optional<std::string>> params{};  // text form; nullopt is SQL NULL
  bool binary_results = false;  // every result column in binary form, as ExecBinary
};

class PgConnection {
 public:
  // A query parameter in text form; nullopt is SQL NULL.
  using Param = std::optional<std::string_view>;

  // Connects with a libpq conninfo string or URL. Returns kUnavailable with
  // libpq's message when the server cannot be reached or refuses us.
  static absl::StatusOr<PgConnection> Connect(const std::string& conninfo);

  // Runs `sql`. Without parameters it may hold several statements (the
  // result is the last one's); with parameters it is one statement whose
  // $1..$n take `params` in text form. Database errors come back with their
  // SQLSTATE (see SqlState) and a code chosen by its class: 22 and 42 are
  // kInvalidArgument, 23 kFailedPrecondition, 42501 kPermissionDenied,
  // 08/57 kUnavailable, 40 kAborted.
  absl::StatusOr<PgResult> Exec(const std::string& sql,
                                std::initializer_list<Param> params = {});
  absl::StatusOr<PgResult> Exec(const std::string& sql, const std::vector<Param>& params);

  // Like Exec with parameters, but asks for every result column in binary
  // form (PostgreSQL's send functions: what a binary COPY carries per
  // field), so that the loader's COPY decoders read it. Parameters stay text.
  absl::StatusOr<PgResult> ExecBinary(const std::string& sql, const std::vector<Param>& params);

  // Sends `statements` in pipeline mode followed by one sync point, so that
  // together they cost one network round trip, and returns their results in
  // order. The server runs them one after the other, in one implicit
  // transaction unless they hold BEGIN / COMMIT themselves. The first
  // statement that fails makes the server skip the rest: its error is
  // returned (as Exec would). The connection is back in its ordinary mode
  // afterwards, unless it broke (kUnavailable). Must not be called in a COPY.
  absl::StatusOr<std::vector<PgResult>> ExecPipeline(const std::vector<PgStatement>& statements);

  // Runs `sql`, a `COPY ... TO STDOUT` statement (COPY takes no
  // parameters), and passes each chunk of data the server sends to
  // `on_data`; the bytes are valid only during the call. Returns the
  // statement's error (as Exec would), kInternal when `sql` is not a COPY TO
  // STDOUT, or the first error `on_data` returns: the COPY is then cancelled
  // and drained, so that the connection stays usable.
  absl::Status CopyOut(const std::string& sql,
                       absl::FunctionRef<absl::Status(std::string_view)> on_data);

  // Runs `sql`, a `COPY ... FROM STDIN` statement, sends `data` (in the
  // COPY format the statement names) and ends the COPY. Returns the
  // statement's error (as Exec would; a row the server rejects fails the
  // whole COPY), or kInternal when `sql` is not a COPY FROM STDIN.
  absl::Status CopyIn(const std::string& sql, std::string_view data);

  // False once the connection is broken.
  bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  PGconn* get() const { return conn_.get(); }

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  absl::StatusOr<PgResult> Check(PGresult* result);
  absl::StatusOr<PgResult> ExecParams(const std::string& sql, const std::vector<Param>& params,
                                      int result_format);
  // Reads the results that follow a finished COPY; returns the first error.
  absl::Status FinishCopy();
  // Pipeline mode: queues `statements` (counting them in `queued`) and a
  // sync point, and sends them all.
  absl::Status SendPipeline(const std::vector<PgStatement>& statements, size_t* queued);
  // Pipeline mode: reads the results of `count` statements and the sync
  // point's; returns the first error.
  absl::StatusOr<std::vector<PgResult>> ReadPipeline(size_t count);
  // kUnavailable with `what` and libpq's message.
  absl::Status ConnectionError(std::string_view what) const;

  std::unique_ptr<PGconn, Finish> conn_;
};

}  // namespace otter::loader
