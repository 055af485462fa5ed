// The schema's tables as CSV files (store.hpp, open_csv).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "backends.hpp"
#include "schema.hpp"

namespace sipscope::store {

namespace {

using namespace detail;

class csv_store final : public store, private row_sink {
 public:
  explicit csv_store(std::string dir) : dir_(std::move(dir)) {}
  ~csv_store() override {
    for (std::FILE* f : files_)
      if (f) std::fclose(f);
    if (captures_) std::fclose(captures_);
  }

  bool open() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
      err_ = {error_kind::connection, describe() + ": cannot create it: " + ec.message()};
      return false;
    }
    auto tables = record_tables();
    for (std::size_t t = 0; t < tables.size(); ++t) {
      std::string head;
      for (const column& c : tables[t].columns) {
        if (!head.empty()) head += ',';
        head += c.name;
      }
      if (!open_file(std::string(tables[t].name), head, files_[t])) return false;
    }
    return open_file("captures",
                     "capture_id,path,hash,size,files,status,link_types,first_time,last_time,packets,records,diagnostics",
                     captures_);
  }

  std::string describe() const override { return "CSV directory '" + dir_ + "'"; }
  lookup_result lookup(const capture_meta&) override { return {}; }
  begin_status begin_capture(const capture_meta& m, bool, std::string&) override {
    meta_ = m;
    ++capture_id_;
    records_ = 0;
    return begin_status::started;
  }
  bool add(const correlate::record& r, const verdict_fields& v) override {
    emit_rows(r, capture_id_, v, *this, counts_);
    ++records_;
    return check();
  }
  bool add(const row_batch& b) override {
    if (!replay_rows(b.bytes(), capture_id_, *this, counts_)) {
      err_ = {error_kind::other, "a row batch that is not one (internal error)"};
      return false;
    }
    records_ += b.records();
    return check();
  }
  bool commit_capture(const capture_summary& s) override {
    line_.clear();
    field(std::to_string(capture_id_));
    field(meta_.path);
    field(meta_.key);
    field(std::to_string(meta_.size));
    field(std::to_string(meta_.files.size()));
    field("complete");
    field(s.link_types);
    field(s.first_time ? std::to_string(static_cast<double>(s.first_time / 1000) / 1e6) : std::string());
    field(s.last_time ? std::to_string(static_cast<double>(s.last_time / 1000) / 1e6) : std::string());
    field(std::to_string(s.packets));
    field(std::to_string(records_));
    field(s.diagnostics);
    line_ += "\r\n";
    std::fwrite(line_.data(), 1, line_.size(), captures_);
    return check();
  }
  void abort_capture() override {}
  bool record_failure(const capture_meta&, std::string_view) override { return true; }

 private:
  bool open_file(const std::string& name, const std::string& head, std::FILE*& f) {
    const std::string path = dir_ + "/" + name + ".csv";
    f = std::fopen(path.c_str(), "wb");
    if (!f) {
      err_ = {errno == EACCES || errno == EROFS ? error_kind::read_only : error_kind::connection,
              describe() + ": cannot write '" + path + "': " + std::strerror(errno)};
      return false;
    }
    std::fprintf(f, "%s\r\n", head.c_str());
    return true;
  }
  bool check() {
    for (std::FILE* f : files_)
      if (std::ferror(f)) {
        err_ = {errno == ENOSPC ? error_kind::disk_full : error_kind::other,
                describe() + ": write error: " + std::strerror(errno)};
        return false;
      }
    return true;
  }
  void field(std::string_view v) {
    if (!line_.empty() && line_.back() != '\n') line_ += ',';
    if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
      line_ += v;
      return;
    }
    line_ += '"';
    for (char c : v) {
      if (c == '"') line_ += '"';
      line_ += c;
    }
    line_ += '"';
  }
  void begin_row(table_id t) override {
    cur_ = files_[t];
    line_.clear();
    first_ = true;
  }
  void sep() {
    if (!first_) line_ += ',';
    first_ = false;
  }
  void null() override { sep(); }
  void integer(std::int64_t v) override { sep(); line_ += std::to_string(v); }
  void real(double v) override {
    sep();
    char b[40];
    std::snprintf(b, sizeof b, "%.6f", v);
    line_ += b;
  }
  void text(std::string_view v) override {
    sep();
    if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
      line_ += v;
      return;
    }
    line_ += '"';
    for (char c : v) {
      if (c == '"') line_ += '"';
      line_ += c;
    }
    line_ += '"';
  }
  void end_row() override {
    line_ += "\r\n";
    std::fwrite(line_.data(), 1, line_.size(), cur_);
  }

  std::string dir_;
  std::FILE* files_[t_count] = {};
  std::FILE* captures_ = nullptr;
  std::FILE* cur_ = nullptr;
  std::string line_;
  bool first_ = true;
  capture_meta meta_;
  std::int64_t capture_id_ = 0;
  std::uint64_t records_ = 0;
  row_counts counts_;
};

}  // namespace

std::unique_ptr<store> open_csv(const std::string& dir, error& e) {
  auto s = std::make_unique<csv_store>(dir);
  if (!s->open()) {
    e = s->last_error();
    return nullptr;
  }
  return s;
}

}  // namespace sipscope::store
