#include "session.hpp"

#include <chrono>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/store/reader.hpp"

namespace sipscope::viewer {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Between the pipeline and the correlator: forwards events, publishes progress, stops the
// pipeline when the user cancels.
class feeder : public capture::handler {
 public:
  feeder(cr::correlator& c, capture::pipeline& p, std::mutex& m, shared_data& d, const std::atomic<bool>& stop)
      : c_(c), p_(p), m_(m), d_(d), stop_(stop) {}
  void on_sip(const capture::sip_event& e) override {
    c_.on_sip(e);
    ++sip_;
    check();
  }
  void on_udp(const capture::udp_event& e) override {
    c_.on_udp(e);
    if ((++udp_ & 0xfff) == 0) check();
  }
  // ICMP unreachables and TCP SYN/RST: the evidence explain's verdicts cite (as `sipscope calls`)
  void on_icmp(const capture::icmp_event& e) override { c_.on_icmp(e); }
  void on_tcp(const capture::tcp_event& e) override { c_.on_tcp(e); }
  void on_diag(const capture::diag_event& e) override {
    std::lock_guard<std::mutex> g(m_);
    if (explain::is_capture_loss(e.kind)) explain::add_loss(d_.losses, e);
    if (e.frame.number != 0 || !e.error) return;   // file level only: the rest is counted by the CLI
    if (d_.diagnostics.size() < 32)
      d_.diagnostics.push_back(std::string(capture::to_string(e.kind)) + ": " + std::string(e.what));
  }
  void on_progress(std::uint64_t done, std::uint64_t total) override {
    std::lock_guard<std::mutex> g(m_);
    d_.bytes_done = done;
    d_.bytes_total = total;
    d_.sip_messages = sip_;
    d_.rtp_packets = c_.stats().rtp_packets;
  }

 private:
  void check() {
    if (stop_.load(std::memory_order_relaxed)) p_.stop();
  }
  cr::correlator& c_;
  capture::pipeline& p_;
  std::mutex& m_;
  shared_data& d_;
  const std::atomic<bool>& stop_;
  std::uint64_t sip_ = 0, udp_ = 0;
};

}  // namespace

session::~session() {
  cancel();
  wait();
}

void session::start(std::vector<std::string> files, cr::correlator_options o) {
  cancel();
  wait();
  stop_ = false;
  {
    std::lock_guard<std::mutex> g(m_);
    d_ = shared_data{};
    d_.state = load_state::loading;
  }
  files_ = files;
  worker_ = std::thread([this, f = std::move(files), o = std::move(o)]() mutable { run(std::move(f), std::move(o)); });
}

void session::cancel() { stop_ = true; }

void session::wait() {
  if (worker_.joinable()) worker_.join();
}

void session::run_database(const std::string& path) {
  const auto t0 = clock_type::now();
  store::error e;
  auto db = store::reader::open(path, e);
  if (!db) {
    std::lock_guard<std::mutex> g(m_);
    d_.state = load_state::failed;
    d_.error = e.text;
    return;
  }
  std::vector<std::shared_ptr<const std::vector<std::string>>> files;
  std::uint64_t total = 0;
  for (const store::stored_capture& c : db->captures()) {
    files.push_back(std::make_shared<const std::vector<std::string>>(c.files));
    if (c.status == "complete") total += c.records;
  }
  {
    std::lock_guard<std::mutex> g(m_);
    d_.database = true;
    d_.call_columns = db->columns("calls");
    d_.bytes_total = total;   // progress in records
    if (!e.text.empty()) d_.diagnostics.push_back(e.text);
    for (const store::stored_capture& c : db->captures())
      if (c.status != "complete") d_.diagnostics.push_back("capture " + c.path + " " + c.status + ": not read");
  }
  std::uint64_t n = 0;
  std::size_t complete = 0;
  for (const store::stored_capture& c : db->captures()) complete += c.status == "complete";
  const bool ok = db->read([&](store::read_record&& rr) {
    auto rec = std::make_unique<cr::record>(std::move(rr.rec));
    // Record numbers are per capture: with several captures in the file, the viewer numbers
    // the records in reading order (by capture, then record) so that each is one row.
    if (complete > 1) rec->index = n + 1;
    auto x = std::make_unique<record_extra>();
    for (std::size_t i = 0; i < db->captures().size(); ++i)
      if (db->captures()[i].id == rr.capture_id) x->files = files[i];
    x->raw = std::move(rr.raw);
    x->verdict = std::move(rr.verdict);
    x->verdict_text = std::move(rr.verdict_text);
    x->verdict_confidence = std::move(rr.verdict_confidence);
    x->verdict_category = std::move(rr.verdict_category);
    std::lock_guard<std::mutex> g(m_);
    if (d_.records.empty()) d_.first_record_s = seconds_since(t0);
    d_.records.push_back(std::move(rec));
    d_.extras.push_back(std::move(x));
    d_.bytes_done = ++n;
    d_.sip_messages += d_.records.back()->sip_messages;
    for (const cr::stream_info& s : d_.records.back()->streams) d_.rtp_packets += s.packets;
    return !stop_.load(std::memory_order_relaxed);
  });
  std::lock_guard<std::mutex> g(m_);
  d_.finished_s = seconds_since(t0);
  if (!ok) {
    d_.state = load_state::failed;
    d_.error = db->last_error().text;
  } else {
    d_.state = stop_ ? load_state::cancelled : load_state::done;
  }
}

void session::run(std::vector<std::string> files, cr::correlator_options o) {
  if (files.size() == 1 && store::is_sqlite_file(files[0])) return run_database(files[0]);
  const auto t0 = clock_type::now();
  capture::pipeline p;
  for (const std::string& f : files) p.add_file(f);
  std::string err;
  if (!p.ready(err)) {
    std::lock_guard<std::mutex> g(m_);
    d_.state = load_state::failed;
    d_.error = err;
    return;
  }
  // Limits hit in the correlator are losses of the capture too (as in `sipscope calls`).
  auto on_limit = std::move(o.on_limit);
  o.on_limit = [&, on_limit](const capture::diag_event& e) {
    if (on_limit) on_limit(e);
    std::lock_guard<std::mutex> g(m_);
    explain::add_loss(d_.losses, e);
  };
  cr::correlator c(std::move(o));
  // Finished records go to the UI at once (calls appear as they are found); the correlator
  // keeps only those in progress.
  c.set_sink([&](cr::record&& r) {
    auto owned = std::make_unique<cr::record>(std::move(r));
    std::lock_guard<std::mutex> g(m_);
    if (d_.records.empty()) d_.first_record_s = seconds_since(t0);
    d_.records.push_back(std::move(owned));
  });
  feeder h(c, p, m_, d_, stop_);
  const bool ran = p.run(h);
  c.finish();
  std::lock_guard<std::mutex> g(m_);
  d_.sip_messages = c.stats().sip_messages;
  d_.rtp_packets = c.stats().rtp_packets;
  if (d_.bytes_total) d_.bytes_done = d_.bytes_total;
  d_.finished_s = seconds_since(t0);
  if (!ran) {
    d_.state = load_state::failed;
    d_.error = d_.diagnostics.empty() ? "no input could be read" : d_.diagnostics.front();
  } else {
    d_.state = stop_ ? load_state::cancelled : load_state::done;
  }
}

}  // namespace sipscope::viewer
