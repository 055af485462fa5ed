// The one schema of both backends (docs/STORE.md), as data: tables, columns and indexes, and
// the rows of a record. Each backend turns the table list into DDL of its own dialect and the
// rows into its own bulk path (SQLite prepared statements, PostgreSQL COPY).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sipscope/correlate/model.hpp"
#include "sipscope/store/store.hpp"

namespace sipscope::store::detail {

enum class col_type : std::uint8_t { integer, real, text, boolean };

struct column {
  std::string_view name;
  col_type type;
};

struct table {
  std::string_view name;
  std::span<const column> columns;
  std::string_view primary_key;   // "capture_id, record_index"
};

struct index {
  std::string_view name, table, columns;
};

// Record tables in the order emit_rows() fills them (captures and capture_files are the
// backends' own, in capture_tables_sql()).
enum table_id : int { t_calls, t_registrations, t_events, t_dialogs, t_legs, t_messages, t_streams, t_findings, t_count };
std::span<const table> record_tables();
std::span<const index> indexes();

// Receives rows: begin_row(table), then one value per column in order, then end_row().
class row_sink {
 public:
  virtual ~row_sink() = default;
  virtual void begin_row(table_id t) = 0;
  virtual void null() = 0;
  virtual void integer(std::int64_t v) = 0;
  virtual void real(double v) = 0;
  virtual void text(std::string_view v) = 0;   // valid UTF-8 (see clean_text)
  virtual void end_row() = 0;
};

struct row_counts {
  std::uint64_t per_table[t_count] = {};
};

// Every row of one record of capture `capture_id`.
void emit_rows(const correlate::record& r, std::int64_t capture_id, const verdict_fields& v, row_sink& s,
               row_counts& n);

// The rows of a row_batch (store.hpp) into `s`, with `capture_id` as every row's first
// column; false when the bytes are not a batch's encoding (nothing in them is trusted).
bool replay_rows(std::string_view bytes, std::int64_t capture_id, row_sink& s, row_counts& n);

// Text as both databases take it: valid UTF-8 unchanged; a byte that is not part of valid UTF-8
// becomes the code point U+00XX (what the model's JSON writes as \u00XX); NUL becomes U+FFFD
// (PostgreSQL text cannot hold it). Appends to `out`.
void clean_text(std::string_view in, std::string& out);
bool is_clean(std::string_view s) noexcept;   // nothing to change

// ISO 8601 UTC of now, for captures.import_started/finished.
std::string now_iso();

}  // namespace sipscope::store::detail

namespace sipscope::store::detail {

enum class dialect : std::uint8_t { sqlite, postgres };

// Migration 1, the initial schema, in the dialect's SQL (several statements; no transaction
// control: the caller runs it in its own transaction).
std::string schema_v1_sql(dialect d);

// The migrations, oldest first: version N takes a database at N-1 to N.
struct migration {
  int version;
  std::string_view description;
  std::string (*sql)(dialect);
};
std::span<const migration> migrations();

// Columns of `captures` written at commit, in this order after the WHERE id (see backends).
}  // namespace sipscope::store::detail
