#include "loader/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace otter::loader {
namespace {

constexpr absl::string_view kSqlStatePayload = "otter.sqlstate";

absl::StatusCode CodeForSqlState(std::string_view state) {
  if (state == "42501") return absl::StatusCode::kPermissionDenied;
  const std::string_view cls = state.substr(0, 2);
  if (cls == "22" || cls == "42") return absl::StatusCode::kInvalidArgument;
  if (cls == "23") return absl::StatusCode::kFailedPrecondition;
  if (cls == "08" || cls == "57") return absl::StatusCode::kUnavailable;
  if (cls == "40") return absl::StatusCode::kAborted;
  if (cls == "53") return absl::StatusCode::kResourceExhausted;
  return absl::StatusCode::kInternal;
}

}  // namespace

std::string SqlState(const absl::Status& status) {
  absl::optional<absl::Cord> state = status.GetPayload(kSqlStatePayload);
  return state ? std::string(*state) : std::string();
}

long PgResult::AffectedRows() const {
  return std::strtol(PQcmdTuples(result_.get()), nullptr, 10);
}

absl::StatusOr<PgConnection> PgConnection::Connect(const std::string& conninfo) {
  PgConnection conn(PQconnectdb(conninfo.c_str()));
  if (conn.get() == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  if (!conn.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to PostgreSQL: ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn.get()))));
  }
  return conn;
}

absl::StatusOr<PgResult> PgConnection::Exec(const std::string& sql,
                                            std::initializer_list<Param> params) {
  return Exec(sql, std::vector<Param>(params));
}

absl::StatusOr<PgResult> PgConnection::Exec(const std::string& sql, const std::vector<Param>& params) {
  if (params.empty()) return Check(PQexec(conn_.get(), sql.c_str()));
  return ExecParams(sql, params, 0);
}

absl::StatusOr<PgResult> PgConnection::ExecBinary(const std::string& sql,
                                                  const std::vector<Param>& params) {
  return ExecParams(sql, params, 1);
}

absl::StatusOr<PgResult> PgConnection::ExecParams(const std::string& sql,
                                                  const std::vector<Param>& params,
                                                  int result_format) {
  // libpq wants NUL-terminated values: keep owned copies alive for the call.
  std::vector<std::string> owned;
  owned.reserve(params.size());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) {
    if (p) {
      owned.emplace_back(*p);
      values.push_back(owned.back().c_str());
    } else {
      values.push_back(nullptr);
    }
  }
  return Check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, result_format));
}

absl::StatusOr<std::vector<PgResult>> PgConnection::ExecPipeline(const std::vector<PgStatement>& statements) {
  if (PQenterPipelineMode(conn_.get()) != 1) return ConnectionError("cannot enter pipeline mode");
  size_t queued = 0;
  const absl::Status status = SendPipeline(statements, &queued);
  absl::StatusOr<std::vector<PgResult>> results = ReadPipeline(queued);
  if (PQexitPipelineMode(conn_.get()) != 1 && results.ok()) {
    results = ConnectionError("cannot leave pipeline mode");
  }
  if (!status.ok()) return status;
  return results;
}

absl::Status PgConnection::SendPipeline(const std::vector<PgStatement>& statements, size_t* queued) {
  PGconn* conn = conn_.get();
  // Non-blocking while sending: a blocking send could wait for the server
  // to read while the server waits for us to read its results.
  if (PQsetnonblocking(conn, 1) != 0) return ConnectionError("cannot send without blocking");
  absl::Status status;
  std::vector<const char*> values;
  for (const PgStatement& statement : statements) {
    values.clear();
    for (const std::optional<std::string>& p : statement.params) values.push_back(p ? p->c_str() : nullptr);
    if (PQsendQueryParams(conn, statement.sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                          nullptr, nullptr, statement.binary_results ? 1 : 0) != 1) {
      status = ConnectionError("sending a pipelined statement failed");
      break;
    }
    ++*queued;
  }
  if (PQpipelineSync(conn) != 1) {
    if (status.ok()) status = ConnectionError("sending a pipeline's sync point failed");
  }
  // Send what is buffered, reading what the server sends meanwhile into
  // libpq's buffer.
  for (int pending = PQflush(conn); pending != 0 && status.ok(); pending = PQflush(conn)) {
    if (pending < 0) {
      status = ConnectionError("sending a pipeline failed");
      break;
    }
    pollfd fd{PQsocket(conn), POLLIN | POLLOUT, 0};
    if (poll(&fd, 1, -1) < 0) {
      if (errno != EINTR) {
        status = absl::UnavailableError(absl::StrCat("waiting on the connection: ", std::strerror(errno)));
      }
      continue;
    }
    if ((fd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(conn) == 0) {
      status = ConnectionError("sending a pipeline failed");
    }
  }
  if (PQsetnonblocking(conn, 0) != 0 && status.ok()) status = ConnectionError("cannot return to blocking mode");
  return status;
}

absl::StatusOr<std::vector<PgResult>> PgConnection::ReadPipeline(size_t count) {
  PGconn* conn = conn_.get();
  std::vector<PgResult> results;
  results.reserve(count);
  absl::Status first;
  for (size_t i = 0; i < count; ++i) {
    PGresult* raw = PQgetResult(conn);
    if (raw == nullptr) return ConnectionError("a pipelined statement returned no result");
    if (PQresultStatus(raw) == PGRES_PIPELINE_ABORTED) {
      PQclear(raw);  // skipped after an earlier error
    } else if (absl::StatusOr<PgResult> result = Check(raw); result.ok()) {
      results.push_back(*std::move(result));
    } else if (first.ok()) {
      first = result.status();
    }
    // A null ends each statement's results.
    if (PGresult* extra = PQgetResult(conn); extra != nullptr) {
      PQclear(extra);
      return ConnectionError("a pipelined statement returned more than one result");
    }
  }
  PGresult* sync = PQgetResult(conn);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced) return ConnectionError("a pipeline ended without its sync point");
  if (!first.ok()) return first;
  return results;
}

absl::Status PgConnection::ConnectionError(std::string_view what) const {
  return absl::UnavailableError(absl::StrCat(std::string(what), ": ",
                                             absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_.get()))));
}

absl::Status PgConnection::CopyOut(const std::string& sql,
                                   absl::FunctionRef<absl::Status(std::string_view)> on_data) {
  PGresult* raw = PQexec(conn_.get(), sql.c_str());
  if (raw != nullptr && PQresultStatus(raw) != PGRES_COPY_OUT) {
    absl::StatusOr<PgResult> result = Check(raw);  // takes ownership
    if (!result.ok()) return result.status();
    return absl::InternalError(absl::StrCat("CopyOut needs a COPY ... TO STDOUT statement, got: ",
                                            sql.substr(0, 80)));
  }
  if (raw == nullptr) return Check(raw).status();
  PQclear(raw);

  absl::Status callback_status;
  bool cancelled = false;
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(conn_.get(), &buffer, /*async=*/0);
    if (n == -1) break;  // the COPY is done; its final result follows
    if (n == -2) {
      return absl::UnavailableError(absl::StrCat(
          "COPY failed: ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_.get()))));
    }
    if (callback_status.ok()) {
      callback_status = on_data(std::string_view(buffer, static_cast<size_t>(n)));
    }
    PQfreemem(buffer);
    if (!callback_status.ok() && !cancelled) {
      // Stop the server from sending the rest of a large table; what is
      // already in flight is drained by this loop.
      cancelled = true;
      if (PGcancel* cancel = PQgetCancel(conn_.get())) {
        char error[256];
        (void)PQcancel(cancel, error, sizeof error);
        PQfreeCancel(cancel);
      }
    }
  }
  const absl::Status finish = FinishCopy();
  if (!callback_status.ok()) return callback_status;
  return finish;
}

absl::Status PgConnection::CopyIn(const std::string& sql, std::string_view data) {
  PGresult* raw = PQexec(conn_.get(), sql.c_str());
  if (raw != nullptr && PQresultStatus(raw) != PGRES_COPY_IN) {
    absl::StatusOr<PgResult> result = Check(raw);  // takes ownership
    if (!result.ok()) return result.status();
    return absl::InternalError(absl::StrCat("CopyIn needs a COPY ... FROM STDIN statement, got: ",
                                            sql.substr(0, 80)));
  }
  if (raw == nullptr) return Check(raw).status();
  PQclear(raw);

  // PQputCopyData takes an int length: send large data in pieces.
  constexpr size_t kPiece = size_t{1} << 20;
  const char* error = nullptr;
  for (size_t at = 0; at < data.size() && error == nullptr; at += kPiece) {
    const size_t n = std::min(kPiece, data.size() - at);
    if (PQputCopyData(conn_.get(), data.data() + at, static_cast<int>(n)) != 1) {
      error = "sending COPY data failed";
    }
  }
  if (PQputCopyEnd(conn_.get(), error) != 1) {
    return absl::UnavailableError(absl::StrCat(
        "COPY failed: ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_.get()))));
  }
  return FinishCopy();
}

absl::Status PgConnection::FinishCopy() {
  absl::Status first;
  while (PGresult* raw = PQgetResult(conn_.get())) {
    absl::StatusOr<PgResult> result = Check(raw);
    if (!result.ok() && first.ok()) first = result.status();
  }
  return first;
}

absl::StatusOr<PgResult> PgConnection::Check(PGresult* raw) {
  PgResult result(raw);
  if (raw == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "PostgreSQL query failed: ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_.get()))));
  }
  switch (PQresultStatus(raw)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
      return result;
    default:
      break;
  }
  const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state ? state : "";
  absl::Status status(
      sqlstate.empty() ? absl::StatusCode::kUnavailable : CodeForSqlState(sqlstate),
      absl::StrCat(sqlstate.empty() ? "" : absl::StrCat("SQLSTATE ", sqlstate, ": "),
                   absl::StripTrailingAsciiWhitespace(PQresultErrorMessage(raw))));
  if (!sqlstate.empty()) status.SetPayload(kSqlStatePayload, absl::Cord(sqlstate));
  return status;
}

}  // namespace otter::loader
