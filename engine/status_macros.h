#pragma once
// Status propagation macros for absl::Status / absl::StatusOr code.
// Debian's Abseil (20220623) ships neither, so the project defines them once
// here and uses them everywhere:
//
//   OTTER_RETURN_IF_ERROR(file.Open());
//   OTTER_ASSIGN_OR_RETURN(auto rows, conn.Exec("SELECT 1"));

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define OTTER_STATUS_CONCAT_INNER_(a, b) a##b
#define OTTER_STATUS_CONCAT_(a, b) OTTER_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function when it is not OK.
#define OTTER_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    if (absl::Status otter_status_ = (expr);        \
        !otter_status_.ok()) {                      \
      return otter_status_;                         \
    }                                               \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status when it is not
// OK, otherwise moves its value into `lhs` (a declaration or an lvalue).
#define OTTER_ASSIGN_OR_RETURN(lhs, rexpr) \
  OTTER_ASSIGN_OR_RETURN_IMPL_(OTTER_STATUS_CONCAT_(otter_statusor_, __LINE__), lhs, rexpr)

#define OTTER_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
