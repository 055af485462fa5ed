// The panes of sipscope-view. Everything protocol-related comes from the model and the shared
// ladder layout; this file decides only what goes where on the screen and in which colour.
#include "app.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "marks.hpp"
#include "msg_tree.hpp"
#include "reread.hpp"
#include "session.hpp"
#include "sip_text.hpp"
#include "tools.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/ladder/layout.hpp"

namespace sipscope::viewer {

namespace lad = sipscope::ladder;

namespace {

// The splits, remembered in imgui.ini ([SipscopeView][Layout]).
struct splits {
  float list = 0.34f;     // call list width / window width
  float ladder = 0.62f;   // ladder height / right side height
  float message = 0.55f;  // message pane width / bottom width
};
splits g_splits;

ImU32 rgba(int r, int g, int b, int a = 255) { return IM_COL32(r, g, b, a); }

ImVec4 state_colour(const cr::record& r, bool light) {
  const float k = light ? 0.75f : 1.0f;
  auto c = [k](float r_, float g_, float b_) { return ImVec4(r_ * k, g_ * k, b_ * k, 1); };
  if (r.kind != cr::record_kind::call) {
    switch (r.outcome) {
      case cr::record_state::failed: return c(0.95f, 0.40f, 0.40f);
      case cr::record_state::pending: return c(0.90f, 0.80f, 0.35f);
      default: return light ? ImVec4(0.2f, 0.2f, 0.2f, 1) : ImVec4(0.80f, 0.80f, 0.80f, 1);
    }
  }
  switch (r.state) {
    case cr::call_state::completed: return c(0.45f, 0.85f, 0.45f);
    case cr::call_state::in_call: return c(0.45f, 0.70f, 1.0f);
    case cr::call_state::calling:
    case cr::call_state::ringing: return c(0.90f, 0.80f, 0.35f);
    case cr::call_state::cancelled: return c(0.65f, 0.65f, 0.65f);
    case cr::call_state::busy:
    case cr::call_state::no_answer: return c(1.0f, 0.62f, 0.25f);
    case cr::call_state::redirected: return c(0.70f, 0.55f, 1.0f);
    case cr::call_state::rejected:
    case cr::call_state::failed: return c(0.95f, 0.40f, 0.40f);
  }
  return c(1, 1, 1);
}

ImU32 arrow_colour(const lad::row& r, bool light) {
  if (r.retransmission) return light ? rgba(130, 130, 130) : rgba(150, 150, 150);
  switch (r.kind) {
    case lad::arrow_kind::request: return light ? rgba(31, 95, 168) : rgba(100, 170, 255);
    case lad::arrow_kind::provisional: return light ? rgba(168, 123, 0) : rgba(230, 190, 70);
    case lad::arrow_kind::success: return light ? rgba(30, 122, 30) : rgba(100, 210, 100);
    case lad::arrow_kind::redirect: return light ? rgba(90, 63, 168) : rgba(180, 150, 255);
    case lad::arrow_kind::failure: return light ? rgba(181, 32, 32) : rgba(255, 100, 100);
  }
  return rgba(255, 255, 255);
}

ImVec4 span_colour(span_kind k, bool light) {
  switch (k) {
    case span_kind::start_line: return light ? ImVec4(0.1f, 0.3f, 0.7f, 1) : ImVec4(0.5f, 0.75f, 1, 1);
    case span_kind::header_name: return light ? ImVec4(0.55f, 0.2f, 0.55f, 1) : ImVec4(0.85f, 0.6f, 0.95f, 1);
    case span_kind::parameter: return light ? ImVec4(0.6f, 0.4f, 0.0f, 1) : ImVec4(0.95f, 0.78f, 0.45f, 1);
    case span_kind::sdp_type: return light ? ImVec4(0.1f, 0.5f, 0.3f, 1) : ImVec4(0.45f, 0.9f, 0.7f, 1);
    case span_kind::sdp_value: return light ? ImVec4(0.15f, 0.35f, 0.25f, 1) : ImVec4(0.75f, 0.95f, 0.85f, 1);
    case span_kind::separator: return light ? ImVec4(0.5f, 0.5f, 0.5f, 1) : ImVec4(0.6f, 0.6f, 0.6f, 1);
    case span_kind::header_value:
    case span_kind::body: break;
  }
  return light ? ImVec4(0.1f, 0.1f, 0.1f, 1) : ImVec4(0.92f, 0.92f, 0.92f, 1);
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string hhmmss(cr::timestamp_ns t) { return lad::time_label(t, 0, lad::time_axis::absolute); }

std::string duration_text(std::int64_t ms) {
  if (ms < 0) return "-";
  char b[32];
  if (ms < 1000) std::snprintf(b, sizeof b, "%" PRId64 " ms", ms);
  else std::snprintf(b, sizeof b, "%.2f s", static_cast<double>(ms) / 1000.0);
  return b;
}

double worst_mos(const cr::record& r) {
  double m = 0;
  for (const cr::stream_info& s : r.streams)
    if (s.mos > 0 && (m == 0 || s.mos < m)) m = s.mos;
  return m;
}

// Column ids of the call list (sortable). The last ones start hidden (View > Columns, or
// right-click a column head).
enum col : int {
  c_index, c_start, c_caller, c_callee, c_state, c_status, c_msgs, c_duration, c_mos, c_findings, c_verdict,
  c_call_id, c_pdd, c_ua, c_count
};
const char* const col_names[c_count] = {"#",   "start", "caller",   "callee",  "state",   "status", "msgs",
                                        "talk", "MOS",  "findings", "verdict", "Call-ID", "PDD",    "user agent"};
// The `calls` column of an export database each list column shows ("" : always there).
const char* const col_db_source[c_count] = {"", "first_time", "caller_user", "callee_user", "state", "final_status",
                                            "sip_messages", "talk_ms", "", "", "verdict", "call_id",
                                            "post_dial_delay_ms", "user_agents"};

// Arrow colours by dialog or transaction: a small palette, one hue per key.
ImU32 hue(std::uint64_t key, bool light) {
  // No magenta: that is the verdict's evidence.
  static const ImU32 dark_hues[] = {IM_COL32(100, 170, 255, 255), IM_COL32(240, 160, 80, 255), IM_COL32(120, 220, 140, 255),
                                    IM_COL32(240, 220, 90, 255), IM_COL32(110, 220, 230, 255), IM_COL32(255, 130, 130, 255),
                                    IM_COL32(190, 190, 190, 255), IM_COL32(170, 150, 255, 255)};
  static const ImU32 light_hues[] = {IM_COL32(30, 90, 170, 255), IM_COL32(190, 100, 20, 255), IM_COL32(30, 130, 50, 255),
                                     IM_COL32(140, 120, 0, 255), IM_COL32(0, 130, 140, 255), IM_COL32(190, 40, 40, 255),
                                     IM_COL32(90, 90, 90, 255), IM_COL32(80, 80, 200, 255)};
  return light ? light_hues[key % 8] : dark_hues[key % 8];
}

enum colour_mode : int { colour_kind, colour_dialog, colour_transaction };

void* settings_open(ImGuiContext*, ImGuiSettingsHandler*, const char* name) {
  return std::strcmp(name, "Layout") == 0 ? static_cast<void*>(&g_splits) : nullptr;
}
void settings_line(ImGuiContext*, ImGuiSettingsHandler*, void* entry, const char* line) {
  auto* s = static_cast<splits*>(entry);
  float v;
  auto clampf = [](float x) { return std::clamp(x, 0.1f, 0.9f); };
  if (std::sscanf(line, "List=%f", &v) == 1) s->list = clampf(v);
  else if (std::sscanf(line, "Ladder=%f", &v) == 1) s->ladder = clampf(v);
  else if (std::sscanf(line, "Message=%f", &v) == 1) s->message = clampf(v);
}
void settings_write(ImGuiContext*, ImGuiSettingsHandler* h, ImGuiTextBuffer* buf) {
  buf->appendf("[%s][Layout]\nList=%.3f\nLadder=%.3f\nMessage=%.3f\n\n", h->TypeName, g_splits.list, g_splits.ladder,
               g_splits.message);
}

}  // namespace

struct app::impl {
  app_options opt;
  session s;
  bool quit = false;

  // Snapshot of the session (records are immutable once published).
  std::vector<const cr::record*> recs;
  shared_data status;                  // copy of the counters (records left empty)
  bool records_changed = true;
  // A database load: what each record has beyond the model (files of its capture, raw text,
  // verdict), and the columns its `calls` table has.
  std::unordered_map<const cr::record*, const record_extra*> extra_of;
  bool database = false;
  std::vector<std::string> call_columns;
  // The list's verdict column, computed for the rows drawn once loading is over.
  std::unordered_map<const cr::record*, std::string> verdict_cache;

  // Call list.
  std::vector<const cr::record*> shown;   // filtered + sorted
  char search[256] = {};
  int state_filter = 0;          // 0 all, 1 answered, 2 not answered (failed, busy, cancelled...)
  bool findings_only = false;
  float mos_below = 0;           // 0: off
  // Time range (first message of the record): HH:MM[:SS.mmm] UTC or +SECONDS from the first record.
  char since_text[40] = {}, until_text[40] = {};
  std::string last_since, last_until, time_error;
  // Column chooser: what the table reported last frame, and a toggle asked from the menu.
  bool col_enabled[c_count] = {};
  int col_toggle = -1;
  bool focus_filter = false;
  std::string last_search;
  bool all_kinds = false;
  int sort_col = c_index;
  bool sort_desc = false;
  std::set<std::uint64_t> selected;       // record indexes
  std::uint64_t focus_record = 0;         // the list's keyboard cursor
  bool scroll_list_to_focus = false;
  bool focus_search = false;
  bool initial_selection_done = false;

  // Ladder.
  bool legs = true;
  bool relative = false;
  int colour = colour_kind;        // by what the message is (request, 1xx, 2xx...), dialog or transaction
  bool mark_evidence = true;       // the explain verdict's evidence frames and sentence
  std::vector<explain::verdict> verdicts;   // per layout.records (calls only; others: rule "")
  std::vector<char> evidence;      // per row: a frame of its record's verdict evidence
  std::vector<std::uint32_t> txn_hue;   // per row: its transaction's rank of first appearance
  std::vector<finding_mark> fmarks;
  // Column order (display position -> column), dragged by the column heads; kept per call set
  // (the sorted Call-IDs drawn) by host for the session.
  std::vector<std::size_t> order, pos_of;
  std::map<std::string, std::vector<std::string>> orders;
  std::string set_key;
  std::size_t drag_col = lad::npos;
  float zoom = 1.0f;
  std::vector<const cr::record*> drawn;
  lad::layout layout;
  lad::placement place;
  lad::geometry geo;
  std::size_t sel_row = lad::npos;
  bool scroll_to_row = false;
  bool ladder_dirty = true;
  bool enter_ladder = false;   // Enter in the call list: put the ladder's cursor on its first arrow
  ImVec2 last_origin, last_view_min, last_view_max;   // of the ladder, last frame

  // Message pane.
  std::size_t msg_row = lad::npos;
  std::future<raw_message> msg_future;
  bool msg_loading = false;
  raw_message msg;
  sip_text msg_text;
  message_tree tree;
  std::size_t tree_sel = static_cast<std::size_t>(-1);   // the node whose bytes are highlighted
  bool scroll_raw = false;

  // RTP pane.
  std::size_t sel_stream = lad::npos;
  std::future<rtp_series> rtp_future;
  bool rtp_loading = false;
  rtp_series series;

  // File > Open.
  char open_path[1024] = {};
  std::vector<std::string> pending_open;
  // File > Export / Extract (F2).
  int export_popup = 0, export_kind = 0;
  char export_path[1024] = {};
  std::future<tool_result> export_future;
  std::string export_message;
  std::string png_request;
  std::string ladder_png_request;      // File > Export ladder as PNG: main crops the ladder pane
  ImVec2 ladder_min, ladder_max;       // the ladder pane, last frame (window pixels)
  bool open_popup = false;
  // The file dialog (File > Open, and the Save/Export paths): a directory listing filtered by
  // extension, and a typed path.
  std::string dlg_dir;
  std::vector<dir_entry> dlg_entries;
  std::string dlg_error;
  int dlg_filter = 0;
  bool dlg_dirty = true;
  bool file_dialog(const char* id, char* path, std::size_t size, bool save, const std::vector<std::string>& exts);

  bool light = false;

  void snapshot();
  void rebuild_list();
  void select_initial();
  void rebuild_ladder();
  void apply_order();
  const record_extra* extra(const cr::record* r) const {
    const auto it = extra_of.find(r);
    return it == extra_of.end() ? nullptr : it->second;
  }
  std::vector<std::string> files_of(const cr::record* r) const {
    const record_extra* x = extra(r);
    return x && x->files ? *x->files : s.files();
  }
  const std::string& list_verdict(const cr::record* r);
  void open_message(std::size_t row);
  void open_stream(std::size_t band);
  void draw_menu();
  void draw_status();
  void draw_list(ImVec2 size);
  void draw_ladder(ImVec2 size);
  void draw_message(ImVec2 size);
  void draw_tree_nodes(const std::vector<std::size_t>& ids, int depth);
  std::vector<char> tree_open;   // nodes to open on the next frame (the path to a selected node)
  bool scroll_tree = false;
  void select_tree_node(std::size_t id) {
    tree_sel = id;
    scroll_raw = true;
    scroll_tree = true;
    tree_open.assign(tree.nodes.size(), 0);
    tree_open[id] = 1;   // its own fields too
    // Nodes come parent first: walk back for the ancestors.
    std::size_t want = id;
    for (std::size_t i = id; i-- > 0;) {
      const auto& ch = tree.nodes[i].children;
      if (std::find(ch.begin(), ch.end(), want) != ch.end()) {
        tree_open[i] = 1;
        want = i;
      }
    }
  }
  void draw_rtp(ImVec2 size);
  void keys();
};

void app::register_settings() {
  ImGuiSettingsHandler h;
  h.TypeName = "SipscopeView";
  h.TypeHash = ImHashStr("SipscopeView");
  h.ReadOpenFn = settings_open;
  h.ReadLineFn = settings_line;
  h.WriteAllFn = settings_write;
  ImGui::GetCurrentContext()->SettingsHandlers.push_back(h);
}

app::app(app_options o) : p_(std::make_unique<impl>()) {
  p_->opt = std::move(o);
  p_->legs = p_->opt.legs;
  p_->relative = p_->opt.relative_time;
  p_->all_kinds = p_->opt.all_kinds;
  p_->light = p_->opt.light;
  std::snprintf(p_->search, sizeof p_->search, "%s", p_->opt.search.c_str());
  if (p_->opt.list_width > 0) g_splits.list = p_->opt.list_width;
  p_->state_filter = p_->opt.state_filter;
  p_->findings_only = p_->opt.findings_only;
  p_->mos_below = p_->opt.mos_below;
  std::snprintf(p_->since_text, sizeof p_->since_text, "%s", p_->opt.since.c_str());
  std::snprintf(p_->until_text, sizeof p_->until_text, "%s", p_->opt.until.c_str());
  p_->colour = std::clamp(p_->opt.colour, 0, 2);
  p_->mark_evidence = p_->opt.evidence;
  for (bool& e : p_->col_enabled) e = true;
  if (p_->light) ImGui::StyleColorsLight();
  else ImGui::StyleColorsDark();
  if (!p_->opt.files.empty()) p_->s.start(p_->opt.files);
}

app::~app() = default;

bool app::quit() const { return p_->quit; }

std::size_t app::listed() const { return p_->shown.size(); }
bool app::loading() const { return p_->status.state == load_state::loading || p_->status.state == load_state::idle; }
std::size_t app::ladder_rows() const { return p_->layout.rows.size(); }
void app::clear_selection() {
  p_->selected.clear();
  p_->ladder_dirty = true;
}

std::string app::take_ladder_png_request(float rect[4]) {
  std::string r = std::move(p_->ladder_png_request);
  p_->ladder_png_request.clear();
  ladder_rect(rect);
  return r;
}
void app::ladder_rect(float rect[4]) const {
  rect[0] = p_->ladder_min.x;
  rect[1] = p_->ladder_min.y;
  rect[2] = p_->ladder_max.x;
  rect[3] = p_->ladder_max.y;
}

std::string app::take_png_request() {
  std::string r = std::move(p_->png_request);
  p_->png_request.clear();
  return r;
}
void app::png_saved(const std::string& message) { p_->export_message = message; }

std::string app::failure() const { return p_->status.state == load_state::failed ? p_->status.error : std::string(); }

void app::open(std::vector<std::string> files) {
  if (files.empty()) return;
  // The records go away with the old load: nothing may point at them any more.
  p_->layout = {};
  p_->place = {};
  p_->s.start(std::move(files));
  p_->recs.clear();
  p_->extra_of.clear();
  p_->verdict_cache.clear();
  p_->selected.clear();
  p_->shown.clear();
  p_->drawn.clear();
  p_->ladder_dirty = true;
  p_->records_changed = true;
  p_->msg_row = lad::npos;
  p_->sel_row = lad::npos;
  p_->sel_stream = lad::npos;
  p_->opt.calls.clear();
  p_->initial_selection_done = false;   // the first call once loaded, as at start
}

bool app::settled() const {
  const impl& p = *p_;
  if (p.status.state == load_state::loading || p.status.state == load_state::idle) return false;
  if (p.records_changed || p.ladder_dirty) return false;
  if (p.msg_loading || p.rtp_loading) return false;
  // --message N waits for its message, when the ladder has an Nth one.
  if (p.opt.message > 0 && p.msg_row == lad::npos && static_cast<std::size_t>(p.opt.message) <= p.layout.rows.size())
    return false;
  return true;
}

void app::impl::snapshot() {
  std::lock_guard<std::mutex> g(s.mutex());
  const shared_data& d = s.data();
  for (std::size_t i = recs.size(); i < d.records.size(); ++i) {
    recs.push_back(d.records[i].get());
    if (i < d.extras.size()) extra_of[d.records[i].get()] = d.extras[i].get();
    records_changed = true;
  }
  database = d.database;
  if (call_columns.size() != d.call_columns.size()) call_columns = d.call_columns;
  status.bytes_done = d.bytes_done;
  status.bytes_total = d.bytes_total;
  status.sip_messages = d.sip_messages;
  status.rtp_packets = d.rtp_packets;
  status.state = d.state;
  status.error = d.error;
  status.diagnostics = d.diagnostics;
  if (status.losses.losses.size() != d.losses.losses.size() || status.losses.kernel_drops != d.losses.kernel_drops)
    status.losses = d.losses;   // (they only grow)
  status.first_record_s = d.first_record_s;
  status.finished_s = d.finished_s;
}

void app::impl::rebuild_list() {
  const std::string needle = lower(search);
  shown.clear();
  // The time range, relative to the earliest record loaded ("+SECONDS") or on its day.
  cr::timestamp_ns t_first = 0;
  for (const cr::record* r : recs)
    if (r->first_time && (t_first == 0 || r->first_time < t_first)) t_first = r->first_time;
  std::string e1, e2;
  const std::optional<cr::timestamp_ns> since = parse_time_bound(since_text, t_first, e1);
  const std::optional<cr::timestamp_ns> until = parse_time_bound(until_text, t_first, e2);
  time_error = !e1.empty() ? "from: " + e1 : !e2.empty() ? "to: " + e2 : std::string();
  last_since = since_text;
  last_until = until_text;
  for (const cr::record* r : recs) {
    if (!all_kinds && r->kind != cr::record_kind::call) continue;
    if (since && r->first_time < *since) continue;
    if (until && r->first_time > *until) continue;
    if (!needle.empty()) {
      // Caller, callee, Call-ID, user agents, status: what a user types to find a call.
      std::string hay = r->caller.uri + ' ' + r->caller.display + ' ' + r->callee.uri + ' ' + r->callee.display + ' ' +
                        r->call_id + ' ' + r->request_uri + ' ' + r->asserted + ' ' + std::to_string(r->final_status) +
                        ' ' + r->final_reason;
      for (const std::string& ua : r->user_agents) hay.append(" ").append(ua);
      if (lower(hay).find(needle) == std::string::npos) continue;
    }
    // Filters (F7): outcome, findings, worst MOS.
    if (state_filter == 1 && !(r->kind == cr::record_kind::call && (r->state == cr::call_state::completed ||
                                                                   r->state == cr::call_state::in_call)))
      continue;
    if (state_filter == 2 && !(r->kind == cr::record_kind::call
                                   ? r->state != cr::call_state::completed && r->state != cr::call_state::in_call &&
                                         r->state != cr::call_state::calling && r->state != cr::call_state::ringing
                                   : r->outcome == cr::record_state::failed))
      continue;
    if (findings_only && r->findings.empty()) continue;
    if (mos_below > 0) {
      const double m = worst_mos(*r);
      if (m <= 0 || m >= mos_below) continue;
    }
    shown.push_back(r);
  }
  auto key = [this](const cr::record* a, const cr::record* b) -> bool {
    switch (sort_col) {
      case c_start: return a->first_time < b->first_time;
      case c_caller: return a->caller.uri < b->caller.uri;
      case c_callee: return a->callee.uri < b->callee.uri;
      case c_state: return a->state < b->state;
      case c_status: return a->final_status < b->final_status;
      case c_msgs: return a->sip_messages < b->sip_messages;
      case c_duration: return a->talk_ms() < b->talk_ms();
      case c_mos: return worst_mos(*a) < worst_mos(*b);
      case c_findings: return a->findings.size() < b->findings.size();
      case c_call_id: return a->call_id < b->call_id;
      case c_pdd: return a->post_dial_delay_ms() < b->post_dial_delay_ms();
      case c_verdict: {
        const std::string& va = list_verdict(a);
        return va < list_verdict(b);
      }
      default: return a->index < b->index;
    }
  };
  std::stable_sort(shown.begin(), shown.end(), [&](const cr::record* a, const cr::record* b) {
    if (key(a, b)) return !sort_desc;
    if (key(b, a)) return sort_desc;
    return a->index < b->index;
  });
  last_search = search;
}

void app::impl::select_initial() {
  if (initial_selection_done) return;
  if (opt.calls.empty()) {
    // Without --call, the first call once loading is over (a ladder on screen at once).
    if (status.state == load_state::loading || shown.empty()) return;
    selected.insert(shown.front()->index);
    focus_record = shown.front()->index;
    initial_selection_done = true;
    ladder_dirty = true;
    return;
  }
  if (status.state == load_state::loading) return;
  for (const std::string& c : opt.calls)
    for (const cr::record* r : c == "all" ? shown : recs)
      if (c == "all" || r->call_id == c || std::to_string(r->index) == c) {
        selected.insert(r->index);
        focus_record = r->index;
      }
  initial_selection_done = true;
  scroll_list_to_focus = true;
  ladder_dirty = true;
}

void app::impl::rebuild_ladder() {
  drawn.clear();
  std::set<std::string> ids, base;
  for (const cr::record* r : recs)
    if (selected.count(r->index)) {
      drawn.push_back(r);
      base.insert(r->call_id);
      for (const std::string& l : r->legs) ids.insert(l);
    }
  if (legs && !drawn.empty()) {
    for (const cr::record* r : recs) {
      if (selected.count(r->index)) continue;
      bool tied = ids.count(r->call_id) > 0;
      for (const std::string& l : r->legs) tied |= base.count(l) > 0;
      if (tied) drawn.push_back(r);
    }
  }
  std::sort(drawn.begin(), drawn.end(), [](const cr::record* a, const cr::record* b) { return a->index < b->index; });
  lad::options lo;
  lo.aliases = opt.aliases;
  layout = lad::build(drawn, lo);
  ladder_dirty = false;
  // The explain verdict of each call drawn (the same rules as `sipscope explain`), its
  // evidence frames marked on the rows; the findings placed at their time.
  explain::context ctx = status.losses;
  for (const cr::record* r : recs) ctx.capture_end = std::max(ctx.capture_end, r->last_time);
  ctx.rtp_packets = status.rtp_packets;
  verdicts.assign(layout.records.size(), explain::verdict{});
  evidence.assign(layout.rows.size(), 0);
  for (std::size_t i = 0; i < layout.records.size(); ++i) {
    // A record read from a database lacks what explain reads beyond the tables (SDP m-lines,
    // header notes, ICMP errors): its verdict would be wrong, so only the stored one is shown.
    if (layout.records[i]->kind != cr::record_kind::call || extra(layout.records[i])) continue;
    verdicts[i] = explain::explain(*layout.records[i], ctx);
  }
  {
    // A call that went well has nothing to point at: its sentence only, no marks.
    std::vector<explain::verdict> failed(verdicts.size());
    for (std::size_t i = 0; i < verdicts.size(); ++i)
      if (verdicts[i].cat != explain::category::ok) failed[i].chain = verdicts[i].chain;
    evidence = evidence_flags(layout, failed);
  }
  fmarks = finding_marks(layout);
  // Transactions numbered as they first appear: neighbours get different hues.
  {
    std::unordered_map<std::uint64_t, std::uint32_t> rank;
    txn_hue.clear();
    for (const lad::row& r : layout.rows)
      txn_hue.push_back(rank.emplace(transaction_key(r.record, *r.message), static_cast<std::uint32_t>(rank.size())).first->second);
  }
  // The column order this call set had (or --column-order at start).
  std::vector<std::string> drawn_ids;
  for (const cr::record* r : drawn) drawn_ids.push_back(r->call_id);
  std::sort(drawn_ids.begin(), drawn_ids.end());
  set_key.clear();
  for (const std::string& id : drawn_ids) set_key += id + '\n';
  if (!opt.column_order.empty() && !orders.count(set_key)) orders[set_key] = opt.column_order;
  apply_order();
  drag_col = lad::npos;
  sel_row = enter_ladder && !layout.rows.empty() ? 0 : lad::npos;   // Enter in the list: the cursor goes to the first arrow
  enter_ladder = false;
  msg_row = lad::npos;
  sel_stream = lad::npos;
  series = {};
  msg = {};
  msg_text = {};
}

void app::impl::apply_order() {
  // Hosts named in the kept order come first, in that order; the others after, as built.
  const std::size_t n = layout.columns.size();
  order.clear();
  std::vector<char> used(n, 0);
  if (const auto it = orders.find(set_key); it != orders.end())
    for (const std::string& h : it->second)
      for (std::size_t c = 0; c < n; ++c)
        if (!used[c] && layout.columns[c].host.to_string() == h) {
          order.push_back(c);
          used[c] = 1;
          break;
        }
  for (std::size_t c = 0; c < n; ++c)
    if (!used[c]) order.push_back(c);
  pos_of.assign(n, 0);
  for (std::size_t p = 0; p < n; ++p) pos_of[order[p]] = p;
}

const std::string& app::impl::list_verdict(const cr::record* r) {
  static const std::string none;
  if (const record_extra* x = extra(r)) {
    // A database: its own verdict, or none.
    if (x->verdict.empty()) return none;
    auto it = verdict_cache.find(r);
    if (it == verdict_cache.end())
      it = verdict_cache.emplace(r, x->verdict_text.empty() ? x->verdict : x->verdict + ": " + x->verdict_text).first;
    return it->second;
  }
  if (r->kind != cr::record_kind::call || status.state == load_state::loading || status.state == load_state::idle)
    return none;
  auto it = verdict_cache.find(r);
  if (it == verdict_cache.end()) {
    explain::context ctx = status.losses;
    for (const cr::record* o : recs) ctx.capture_end = std::max(ctx.capture_end, o->last_time);
    ctx.rtp_packets = status.rtp_packets;
    const explain::verdict v = explain::explain(*r, ctx);
    it = verdict_cache.emplace(r, std::string(v.rule) + ": " + v.text).first;
  }
  return it->second;
}

void app::impl::open_message(std::size_t row) {
  if (row >= layout.rows.size()) return;
  msg_row = row;
  sel_row = row;
  msg_loading = true;
  tree_sel = static_cast<std::size_t>(-1);
  const cr::record* rec = layout.records[layout.rows[row].record];
  if (const record_extra* x = extra(rec)) {
    // From an export database: its raw text, else its capture when still there.
    const std::size_t mi = static_cast<std::size_t>(layout.rows[row].message - rec->messages.data());
    // Copies: a new load may free the records while this runs.
    record_extra xc;
    xc.files = x->files;
    if (mi < x->raw.size()) xc.raw = {x->raw[mi]};
    const cr::message_entry m = *layout.rows[row].message;
    msg_future = std::async(std::launch::async, [xc = std::move(xc), m] { return read_stored_message(xc, m, 0); });
    return;
  }
  const cr::message_entry m = *layout.rows[row].message;
  std::vector<std::string> files = s.files();
  msg_future = std::async(std::launch::async, [files, m] { return read_message(files, m); });
}

void app::impl::open_stream(std::size_t b) {
  if (b >= layout.bands.size()) return;
  sel_stream = b;
  rtp_loading = true;
  const cr::stream_info st = *layout.bands[b].stream;
  std::vector<std::string> files = files_of(layout.records[layout.bands[b].record]);
  rtp_future = std::async(std::launch::async, [files, st] { return read_rtp_series(files, st); });
}

void app::impl::keys() {
  ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsKeyPressed(GLFW_KEY_F3) || (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_F))) focus_search = true;
  if (ImGui::IsKeyPressed(GLFW_KEY_F7)) focus_filter = true;
  if (io.WantTextInput) return;
  const bool up = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow));
  const bool down = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow));
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    // Back: from the message to the ladder, from the ladder to the list.
    if (msg_row != lad::npos) msg_row = lad::npos;
    else sel_row = lad::npos;
  }
  if (sel_row != lad::npos || msg_row != lad::npos) {
    // In the ladder: arrows between messages, Enter opens one.
    std::size_t r = sel_row == lad::npos ? 0 : sel_row;
    if (up && r > 0) --r;
    if (down && r + 1 < layout.rows.size()) ++r;
    if (r != sel_row) {
      sel_row = r;
      scroll_to_row = true;
      if (msg_row != lad::npos) open_message(r);
    }
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter))) open_message(sel_row);
  } else if (!shown.empty()) {
    // In the call list: arrows move, Enter draws the ladder and enters it.
    std::size_t i = 0;
    for (; i < shown.size(); ++i)
      if (shown[i]->index == focus_record) break;
    if (i == shown.size()) i = 0;
    if (up && i > 0) --i;
    if (down && i + 1 < shown.size()) ++i;
    if (shown[i]->index != focus_record) {
      focus_record = shown[i]->index;
      scroll_list_to_focus = true;
    }
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter))) {
      if (!(selected.size() == 1 && selected.count(focus_record))) {
        selected = {focus_record};
        ladder_dirty = true;
        enter_ladder = true;
      } else {
        sel_row = 0;
      }
    }
    // Space adds the call under the cursor to the selection (or takes it out): merged ladders
    // from the keyboard, as Ctrl-click does with the mouse.
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space))) {
      if (selected.count(focus_record)) selected.erase(focus_record);
      else selected.insert(focus_record);
      ladder_dirty = true;
    }
  }
  if (io.KeyCtrl && (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD))) zoom = std::min(zoom * 1.2f, 4.0f);
  if (io.KeyCtrl && (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT))) zoom = std::max(zoom / 1.2f, 0.3f);
}

void app::frame(float width, float height) {
  impl& p = *p_;
  if (!p.pending_open.empty()) {
    std::vector<std::string> files = std::move(p.pending_open);
    p.pending_open.clear();
    open(std::move(files));
  }
  p.snapshot();
  if (p.records_changed || p.last_search != p.search || p.last_since != p.since_text || p.last_until != p.until_text) {
    p.rebuild_list();
    p.records_changed = false;
  }
  p.select_initial();
  if (p.ladder_dirty) p.rebuild_ladder();
  if (p.opt.message > 0 && p.msg_row == lad::npos && !p.msg_loading && p.initial_selection_done &&
      static_cast<std::size_t>(p.opt.message) <= p.layout.rows.size()) {
    p.open_message(static_cast<std::size_t>(p.opt.message - 1));
    p.scroll_to_row = true;
  }
  if (p.msg_loading && p.msg_future.valid() &&
      p.msg_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    p.msg = p.msg_future.get();
    p.msg_text = p.msg.found ? analyse_sip_text(p.msg.bytes) : sip_text{};
    p.tree = p.msg.found ? build_message_tree(p.msg.bytes) : message_tree{};
    for (std::size_t i = 0; !p.opt.tree_node.empty() && i < p.tree.nodes.size(); ++i)
      if (p.tree.nodes[i].label == p.opt.tree_node) {
        p.select_tree_node(i);
        break;
      }
    p.msg_loading = false;
  }
  if (p.rtp_loading && p.rtp_future.valid() &&
      p.rtp_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    p.series = p.rtp_future.get();
    p.rtp_loading = false;
  }
  // Headless: the first band's plots are part of the picture.
  if (p.opt.headless && p.sel_stream == lad::npos && !p.layout.bands.empty() && !p.rtp_loading) p.open_stream(0);
  p.keys();

  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(width, height));
  ImGui::Begin("sipscope-view", nullptr,
               ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_MenuBar | ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);
  p.draw_menu();
  p.draw_status();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float splitter = 6;
  const float list_w = std::floor(avail.x * g_splits.list);
  p.draw_list(ImVec2(list_w, avail.y));
  ImGui::SameLine(0, 0);
  ImGui::InvisibleButton("split-v", ImVec2(splitter, avail.y));
  if (ImGui::IsItemActive()) g_splits.list = std::clamp(g_splits.list + ImGui::GetIO().MouseDelta.x / avail.x, 0.1f, 0.8f);
  if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
  ImGui::SameLine(0, 0);
  const float right_w = avail.x - list_w - splitter;
  ImGui::BeginGroup();
  const float ladder_h = std::floor(avail.y * g_splits.ladder);
  p.draw_ladder(ImVec2(right_w, ladder_h));
  ImGui::InvisibleButton("split-h", ImVec2(right_w, splitter));
  if (ImGui::IsItemActive()) g_splits.ladder = std::clamp(g_splits.ladder + ImGui::GetIO().MouseDelta.y / avail.y, 0.15f, 0.9f);
  if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeNS);
  const float bottom_h = avail.y - ladder_h - splitter;
  // Without RTP streams the RTP pane needs little room: the message gets most of it.
  const float msg_w = std::floor(right_w * (p.layout.bands.empty() && !p.drawn.empty() ? std::max(g_splits.message, 0.8f) : g_splits.message));
  p.draw_message(ImVec2(msg_w, bottom_h));
  ImGui::SameLine(0, 0);
  ImGui::InvisibleButton("split-m", ImVec2(splitter, bottom_h));
  if (ImGui::IsItemActive()) g_splits.message = std::clamp(g_splits.message + ImGui::GetIO().MouseDelta.x / right_w, 0.15f, 0.85f);
  if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
  ImGui::SameLine(0, 0);
  p.draw_rtp(ImVec2(right_w - msg_w - splitter, bottom_h));
  ImGui::EndGroup();
  ImGui::End();
}

bool app::impl::file_dialog(const char* id, char* path, std::size_t size, bool save, const std::vector<std::string>& exts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dlg_dir.empty()) {
    dlg_dir = fs::current_path(ec).string();
    dlg_dirty = true;
  }
  if (dlg_dirty) {
    dlg_entries = list_directory(dlg_dir, dlg_filter == 0 ? exts : std::vector<std::string>{}, dlg_error);
    dlg_dirty = false;
  }
  bool confirmed = false;
  ImGui::PushID(id);
  if (ImGui::SmallButton("Up")) {
    dlg_dir = fs::path(dlg_dir).parent_path().string();
    if (dlg_dir.empty()) dlg_dir = "/";
    dlg_dirty = true;
  }
  ImGui::SameLine();
  ImGui::TextUnformatted(dlg_dir.c_str());
  std::string filter_name;
  for (const std::string& x : exts) filter_name += (filter_name.empty() ? "*" : " *") + x;
  const char* filters[] = {filter_name.c_str(), "all files"};
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize(filter_name.c_str()).x + ImGui::GetFrameHeight() * 2);
  if (ImGui::Combo("##filter", &dlg_filter, filters, 2)) dlg_dirty = true;
  const float fs_ = ImGui::GetFontSize();
  ImGui::BeginChild("##entries", ImVec2(fs_ * 40, fs_ * 16), true);
  if (!dlg_error.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", dlg_error.c_str());
  for (const dir_entry& e : dlg_entries) {
    char label[600];
    if (e.dir) std::snprintf(label, sizeof label, "%s/", e.name.c_str());
    else std::snprintf(label, sizeof label, "%-40s %10.1f kB", e.name.c_str(), static_cast<double>(e.size) / 1024.0);
    const std::string full = (fs::path(dlg_dir) / e.name).string();
    if (ImGui::Selectable(label, !e.dir && full == path, ImGuiSelectableFlags_AllowDoubleClick)) {
      if (e.dir) {
        dlg_dir = full;
        dlg_dirty = true;
      } else {
        std::snprintf(path, size, "%s", full.c_str());
        if (ImGui::IsMouseDoubleClicked(0)) confirmed = true;
      }
    }
  }
  ImGui::EndChild();
  ImGui::SetNextItemWidth(fs_ * 40);
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  const bool enter = ImGui::InputTextWithHint("##path", save ? "file name or path" : "path (several: separated by ';')", path, size,
                                              ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::Button(save ? "Write" : "Open") || enter) confirmed = true;
  if (confirmed) {
    // A typed directory: go there instead. A bare name: in the directory shown.
    const std::string typed = path;
    if (!typed.empty() && fs::is_directory(typed, ec)) {
      dlg_dir = typed;
      dlg_dirty = true;
      path[0] = 0;
      confirmed = false;
    } else if (!typed.empty() && typed.find('/') == std::string::npos && typed.find(';') == std::string::npos) {
      std::snprintf(path, size, "%s", (fs::path(dlg_dir) / typed).string().c_str());
    }
    confirmed = confirmed && path[0];
  }
  ImGui::PopID();
  return confirmed;
}

void app::impl::draw_menu() {
  if (!ImGui::BeginMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open...", "Ctrl+O")) open_popup = true;
    if (ImGui::MenuItem("Cancel loading", nullptr, false, status.state == load_state::loading)) s.cancel();
    ImGui::Separator();
    // SVG and pcap through the command line (tools.hpp): one implementation of each. The PNG
    // of the ladder is the ladder pane cut out of the frame drawn (what is on screen of it).
    if (ImGui::MenuItem("Export ladder as SVG...", nullptr, false, !drawn.empty() && !database)) export_popup = 1;
    if (ImGui::MenuItem("Export ladder as PNG...", nullptr, false, !drawn.empty())) export_popup = 4;
    if (ImGui::MenuItem("Extract calls (pcap)...", "F2", false, !drawn.empty() && !database)) export_popup = 2;
    if (ImGui::MenuItem("Save window as PNG...")) export_popup = 3;
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    if (ImGui::MenuItem("Relative time", nullptr, &relative)) {}
    if (ImGui::BeginMenu("Colour arrows by")) {
      if (ImGui::MenuItem("Message kind (request, 1xx, 2xx...)", nullptr, colour == colour_kind)) colour = colour_kind;
      if (ImGui::MenuItem("Dialog", nullptr, colour == colour_dialog)) colour = colour_dialog;
      if (ImGui::MenuItem("Transaction", nullptr, colour == colour_transaction)) colour = colour_transaction;
      ImGui::EndMenu();
    }
    if (ImGui::MenuItem("Mark the verdict's evidence", nullptr, &mark_evidence)) {}
    if (ImGui::MenuItem("Reset column order", nullptr, false, orders.count(set_key) > 0)) {
      orders.erase(set_key);
      apply_order();
    }
    if (ImGui::BeginMenu("Call list columns")) {
      for (int c = 1; c < c_count; ++c) {
        const bool have = !database || !*col_db_source[c] ||
                          std::find(call_columns.begin(), call_columns.end(), col_db_source[c]) != call_columns.end();
        if (ImGui::MenuItem(col_names[c], nullptr, col_enabled[c] && have, have)) col_toggle = c;
      }
      ImGui::EndMenu();
    }
    if (ImGui::MenuItem("Merge B2BUA legs", nullptr, &legs)) ladder_dirty = true;
    if (ImGui::MenuItem("All record kinds", nullptr, &all_kinds)) records_changed = true;
    if (ImGui::MenuItem("Light theme", nullptr, &light)) {
      if (light) ImGui::StyleColorsLight();
      else ImGui::StyleColorsDark();
    }
    if (ImGui::MenuItem("Zoom in", "Ctrl++")) zoom = std::min(zoom * 1.2f, 4.0f);
    if (ImGui::MenuItem("Zoom out", "Ctrl+-")) zoom = std::max(zoom / 1.2f, 0.3f);
    ImGui::EndMenu();
  }
  ImGui::EndMenuBar();
  if (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_O)) open_popup = true;
  if (ImGui::IsKeyPressed(GLFW_KEY_F2) && !drawn.empty() && !database) export_popup = 2;
  static const char* const titles[] = {"", "Export ladder as SVG", "Extract calls", "Save window", "Export ladder as PNG"};
  if (export_popup) {
    ImGui::OpenPopup(titles[export_popup]);
    std::string name = drawn.empty() ? std::string("sipscope-view")
                       : drawn.size() == 1 ? "call-" + std::to_string(drawn[0]->index)
                                           : "calls-" + std::to_string(drawn[0]->index);
    name += export_popup == 1 ? ".svg" : export_popup == 2 ? ".pcap" : ".png";
    std::snprintf(export_path, sizeof export_path, "%s", name.c_str());
    export_kind = export_popup;
    export_popup = 0;
    dlg_dirty = true;
  }
  for (int k = 1; k <= 4; ++k) {
    if (!ImGui::BeginPopupModal(titles[k], nullptr, ImGuiWindowFlags_AlwaysAutoResize)) continue;
    if (export_kind == 3) ImGui::TextUnformatted("PNG of the window as it is now, to:");
    else if (export_kind == 4) ImGui::TextUnformatted("PNG of the ladder pane as it is now (titles, columns, arrows), to:");
    else ImGui::Text(export_kind == 1 ? "SVG of the ladder of %zu record(s), to:" : "Frames (SIP and RTP) of %zu record(s), to:", drawn.size());
    const std::vector<std::string> exts = {export_kind == 1 ? ".svg" : export_kind == 2 ? ".pcap" : ".png"};
    const bool write = file_dialog("save", export_path, sizeof export_path, true, exts);
    if (write && export_kind == 3) {
      png_request = export_path;   // main saves the next frame (without this popup)
      ImGui::CloseCurrentPopup();
    } else if (write && export_kind == 4) {
      ladder_png_request = export_path;
      ImGui::CloseCurrentPopup();
    } else if (write) {
      std::vector<std::string> ids;
      for (const cr::record* r : drawn) ids.push_back(r->call_id);
      const std::vector<std::string> files = s.files();
      const std::string out = export_path;
      const int kind = export_kind;
      export_future = std::async(std::launch::async, [ids, files, out, kind] {
        return kind == 1 ? export_ladder_svg(ids, files, out) : extract_calls(ids, files, out);
      });
      export_message = "writing " + out + "...";
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
  if (export_future.valid() && export_future.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
    export_message = export_future.get().message;
  if (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_Q)) quit = true;
  if (open_popup) {
    ImGui::OpenPopup("Open capture or database");
    open_popup = false;
    dlg_dirty = true;
  }
  if (ImGui::BeginPopupModal("Open capture or database", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::TextUnformatted("A capture (pcap, pcapng, gzip; several merge by time) or a `sipscope export` SQLite database");
    if (file_dialog("open", open_path, sizeof open_path, false, {".pcap", ".pcapng", ".cap", ".gz", ".sqlite", ".db"})) {
      std::vector<std::string> files;
      std::string_view v = open_path;
      while (!v.empty()) {
        const auto semi = v.find(';');
        if (semi != 0) files.emplace_back(v.substr(0, semi));
        if (semi == std::string_view::npos) break;
        v.remove_prefix(semi + 1);
      }
      // Opened at the start of the next frame: this one still draws the records it started with.
      pending_open = files;
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
}

void app::impl::draw_status() {
  char buf[256];
  const double frac = status.bytes_total ? static_cast<double>(status.bytes_done) / static_cast<double>(status.bytes_total) : 0.0;
  std::string files;
  for (const std::string& f : s.files()) {
    if (!files.empty()) files += ", ";
    const auto slash = f.rfind('/');
    files += slash == std::string::npos ? f : f.substr(slash + 1);
  }
  switch (status.state) {
    case load_state::loading:
      std::snprintf(buf, sizeof buf, "%s  loading %.0f %%  %zu records, %" PRIu64 " SIP messages", files.c_str(),
                    100 * frac, recs.size(), status.sip_messages);
      ImGui::ProgressBar(static_cast<float>(frac), ImVec2(220, 0));
      ImGui::SameLine();
      ImGui::TextUnformatted(buf);
      ImGui::SameLine();
      if (ImGui::SmallButton("Cancel")) s.cancel();
      return;
    case load_state::failed:
      ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s: %s", files.c_str(), status.error.c_str());
      return;
    case load_state::idle:
      ImGui::TextUnformatted("No capture: File > Open, drop a file on the window, or sipscope-view FILE");
      return;
    default:
      break;
  }
  std::snprintf(buf, sizeof buf, "%s  %zu records, %zu listed, %" PRIu64 " SIP messages, %" PRIu64 " RTP packets%s",
                files.c_str(), recs.size(), shown.size(), status.sip_messages, status.rtp_packets,
                status.state == load_state::cancelled ? "  (loading cancelled: partial)" : "");
  ImGui::TextUnformatted(buf);
  if (!export_message.empty()) {
    ImGui::SameLine();
    ImGui::TextDisabled("  %s", export_message.c_str());
  }
  for (const std::string& d : status.diagnostics) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "[%s]", d.c_str());
  }
}

void app::impl::draw_list(ImVec2 size) {
  ImGui::BeginChild("calls", size, true);
  ImGui::SetNextItemWidth(-1);
  if (focus_search) {
    ImGui::SetKeyboardFocusHere();
    focus_search = false;
  }
  ImGui::InputTextWithHint("##search", "search: caller, callee, Call-ID, user agent, status (F3)", search, sizeof search);
  // Filters (F7 focuses the first).
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("not answered").x + ImGui::GetFrameHeight() * 2);
  if (focus_filter) {
    ImGui::SetKeyboardFocusHere();
    focus_filter = false;
  }
  const char* states[] = {"all", "answered", "not answered"};
  if (ImGui::Combo("##state", &state_filter, states, 3)) records_changed = true;
  ImGui::SameLine();
  if (ImGui::Checkbox("findings", &findings_only)) records_changed = true;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::CalcTextSize("0.00").x + ImGui::GetFrameHeight() * 3);
  if (ImGui::InputFloat("MOS below", &mos_below, 0.1f, 0.5f, "%.2f")) {
    mos_below = std::clamp(mos_below, 0.0f, 5.0f);
    records_changed = true;
  }
  // Time range of the records' first message (UTC): typed, applied as it is typed.
  const float tw = ImGui::CalcTextSize("00:00:00.000").x + ImGui::GetStyle().FramePadding.x * 2;
  ImGui::SetNextItemWidth(tw);
  ImGui::InputTextWithHint("##since", "from", since_text, sizeof since_text);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("HH:MM[:SS.mmm] UTC, or +SECONDS from the first record");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(tw);
  ImGui::InputTextWithHint("##until", "to", until_text, sizeof until_text);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("HH:MM[:SS.mmm] UTC, or +SECONDS from the first record");
  ImGui::SameLine();
  if (!time_error.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", time_error.c_str());
  else if (since_text[0] || until_text[0]) {
    if (ImGui::SmallButton("all times")) since_text[0] = until_text[0] = 0;
  } else ImGui::TextDisabled("time range");
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                                ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
                                ImGuiTableFlags_Hideable | ImGuiTableFlags_Reorderable | ImGuiTableFlags_SizingFixedFit;
  if (ImGui::BeginTable("calltable", c_count, flags, ImVec2(0, 0))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    // Widths from typical contents, not from the first rows loaded (they may all be short).
    auto w = [](const char* sample) { return ImGui::CalcTextSize(sample).x + ImGui::GetStyle().CellPadding.x * 2; };
    const ImGuiTableColumnFlags fixed = ImGuiTableColumnFlags_WidthFixed;
    ImGui::TableSetupColumn("#", fixed | ImGuiTableColumnFlags_DefaultSort, w("00000"), c_index);
    ImGui::TableSetupColumn("start", fixed, w("00:00:00.000"), c_start);
    ImGui::TableSetupColumn("caller", fixed, w("+15550000000x"), c_caller);
    ImGui::TableSetupColumn("callee", fixed, w("+15550000000x"), c_callee);
    ImGui::TableSetupColumn("state", fixed, w("redirected"), c_state);
    ImGui::TableSetupColumn("status", fixed, w("487 Request Terminated"), c_status);
    ImGui::TableSetupColumn("msgs", fixed, w("msgs0"), c_msgs);
    ImGui::TableSetupColumn("talk", fixed, w("00.00 s"), c_duration);
    ImGui::TableSetupColumn("MOS", fixed, w("0.00"), c_mos);
    ImGui::TableSetupColumn("findings", fixed, w("one_way_audio, no_rtp"), c_findings);
    // A database without a column (schema 1 has no verdict): the column is not offered.
    auto missing = [&](int c) {
      return database && *col_db_source[c] &&
             std::find(call_columns.begin(), call_columns.end(), col_db_source[c]) == call_columns.end();
    };
    auto extra_flags = [&](int c, ImGuiTableColumnFlags f) {
      return f | (missing(c) ? ImGuiTableColumnFlags_Disabled : 0);
    };
    ImGui::TableSetupColumn("verdict", extra_flags(c_verdict, fixed), w("no_answer: the callee did not answer"), c_verdict);
    ImGui::TableSetupColumn("Call-ID", extra_flags(c_call_id, fixed | ImGuiTableColumnFlags_DefaultHide), w("a84b4c76e66710@pc33"),
                            c_call_id);
    ImGui::TableSetupColumn("PDD", extra_flags(c_pdd, fixed | ImGuiTableColumnFlags_DefaultHide), w("00.00 s"), c_pdd);
    ImGui::TableSetupColumn("user agent", extra_flags(c_ua, fixed | ImGuiTableColumnFlags_DefaultHide), w("Asterisk PBX 18.0"), c_ua);
    // The View menu's column chooser, and what the table's own menu (right-click a head) did.
    if (col_toggle > 0) {
      ImGui::TableSetColumnEnabled(col_toggle, !col_enabled[col_toggle]);
      col_toggle = -1;
    }
    for (int c = 0; c < c_count; ++c) col_enabled[c] = (ImGui::TableGetColumnFlags(c) & ImGuiTableColumnFlags_IsEnabled) != 0;
    ImGui::TableHeadersRow();
    if (ImGuiTableSortSpecs* ss = ImGui::TableGetSortSpecs()) {
      if (ss->SpecsDirty && ss->SpecsCount > 0) {
        sort_col = static_cast<int>(ss->Specs[0].ColumnUserID);
        sort_desc = ss->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        rebuild_list();
        ss->SpecsDirty = false;
      }
    }
    if (scroll_list_to_focus) {
      for (std::size_t i = 0; i < shown.size(); ++i)
        if (shown[i]->index == focus_record) {
          const float rh = ImGui::GetTextLineHeightWithSpacing();
          const float y = static_cast<float>(i) * rh;
          if (y < ImGui::GetScrollY() || y > ImGui::GetScrollY() + ImGui::GetWindowHeight() - 3 * rh)
            ImGui::SetScrollY(std::max(0.0f, y - ImGui::GetWindowHeight() / 3));
        }
      scroll_list_to_focus = false;
    }
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(shown.size()));
    while (clip.Step()) {
      for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
        const cr::record& r = *shown[static_cast<std::size_t>(i)];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        char idx[32];
        std::snprintf(idx, sizeof idx, "%" PRIu64 "##r%" PRIu64, r.index, r.index);
        const bool is_sel = selected.count(r.index) > 0;
        if (ImGui::Selectable(idx, is_sel || r.index == focus_record,
                              ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap)) {
          if (ImGui::GetIO().KeyCtrl) {
            if (is_sel) selected.erase(r.index);
            else selected.insert(r.index);
          } else {
            selected = {r.index};
          }
          focus_record = r.index;
          ladder_dirty = true;
        }
        const ImVec4 c = state_colour(r, light);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(hhmmss(r.first_time).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(r.caller.user.empty() ? r.caller.uri.c_str() : r.caller.user.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(r.callee.user.empty() ? r.callee.uri.c_str() : r.callee.user.c_str());
        ImGui::TableNextColumn();
        const std::string_view st = r.kind == cr::record_kind::call ? cr::to_string(r.state) : cr::to_string(r.outcome);
        ImGui::TextColored(c, "%.*s", static_cast<int>(st.size()), st.data());
        ImGui::TableNextColumn();
        if (r.final_status) ImGui::TextColored(c, "%u %s", r.final_status, r.final_reason.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%u", r.sip_messages);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(duration_text(r.talk_ms()).c_str());
        ImGui::TableNextColumn();
        const double mos = worst_mos(r);
        if (mos > 0) {
          if (mos < 3.6) ImGui::TextColored(ImVec4(1, 0.45f, 0.45f, 1), "%.2f", mos);
          else ImGui::Text("%.2f", mos);
        }
        ImGui::TableNextColumn();
        if (!r.findings.empty()) {
          std::string f;
          for (const cr::finding& x : r.findings) {
            if (!f.empty()) f += ", ";
            f += x.kind;
          }
          ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "%s", f.c_str());
        }
        if (ImGui::TableNextColumn()) {
          const std::string& v = list_verdict(&r);
          ImGui::TextUnformatted(v.c_str());
          if (!v.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", v.c_str());
        }
        if (ImGui::TableNextColumn()) ImGui::TextUnformatted(r.call_id.c_str());
        if (ImGui::TableNextColumn()) ImGui::TextUnformatted(duration_text(r.post_dial_delay_ms()).c_str());
        if (ImGui::TableNextColumn() && !r.user_agents.empty()) ImGui::TextUnformatted(r.user_agents.front().c_str());
      }
    }
    ImGui::EndTable();
  }
  ImGui::EndChild();
}

void app::impl::draw_ladder(ImVec2 size) {
  ImGui::BeginChild("ladder-pane", size, true, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  ladder_min = ImGui::GetWindowPos();
  ladder_max = ImVec2(ladder_min.x + size.x, ladder_min.y + size.y);
  if (drawn.empty()) {
    ImGui::TextDisabled(status.state == load_state::loading ? "Loading... select a call in the list when it appears"
                                                             : "Select a call in the list (Ctrl-click: several, merged)");
    ImGui::EndChild();
    return;
  }
  // Titles: one line per record drawn.
  if (drawn.size() > 4) ImGui::Text("%zu records merged, %zu messages, %zu hosts", drawn.size(), layout.rows.size(), layout.columns.size());
  for (std::size_t di = 0; di < drawn.size() && di < 4; ++di) {
    const cr::record* r = drawn[di];
    const std::string_view st = r->kind == cr::record_kind::call ? cr::to_string(r->state) : cr::to_string(r->outcome);
    ImGui::TextColored(state_colour(*r, light), "#%" PRIu64 " %.*s", r->index, static_cast<int>(st.size()), st.data());
    ImGui::SameLine();
    ImGui::Text("%s %s  %s -> %s  Call-ID %s", r->final_status ? std::to_string(r->final_status).c_str() : "",
                r->final_reason.c_str(), r->caller.uri.c_str(), r->callee.uri.c_str(), r->call_id.c_str());
    for (const cr::finding& f : r->findings)
      ImGui::TextColored(ImVec4(1, 0.62f, 0.3f, 1), "  ! %s: %s", f.kind.c_str(), f.text.c_str());
    // The explain verdict (as `sipscope explain`): its evidence frames are marked on the rows.
    const std::size_t li = static_cast<std::size_t>(std::find(layout.records.begin(), layout.records.end(), r) - layout.records.begin());
    if (const record_extra* x = extra(r); x && r->kind == cr::record_kind::call) {
      if (x->verdict.empty()) {
        ImGui::TextDisabled("  verdict: not in this database (schema 1 has none); open the capture for explain's");
      } else {
        const bool ok = x->verdict_category == "ok";
        ImGui::PushStyleColor(ImGuiCol_Text, ok ? (light ? ImVec4(0.1f, 0.45f, 0.1f, 1) : ImVec4(0.55f, 0.9f, 0.55f, 1))
                                                : (light ? ImVec4(0.6f, 0.1f, 0.5f, 1) : ImVec4(1, 0.5f, 0.85f, 1)));
        ImGui::PushTextWrapPos(0);
        ImGui::Text("  = %s (%s): %s  [as exported; evidence frames are not stored]", x->verdict.c_str(),
                    x->verdict_confidence.c_str(), x->verdict_text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
      }
    }
    if (mark_evidence && li < verdicts.size() && !verdicts[li].rule.empty()) {
      const explain::verdict& v = verdicts[li];
      const ImVec4 vc = v.cat == explain::category::ok ? (light ? ImVec4(0.1f, 0.45f, 0.1f, 1) : ImVec4(0.55f, 0.9f, 0.55f, 1))
                                                      : (light ? ImVec4(0.6f, 0.1f, 0.5f, 1) : ImVec4(1, 0.5f, 0.85f, 1));
      ImGui::PushStyleColor(ImGuiCol_Text, vc);
      ImGui::PushTextWrapPos(0);
      ImGui::Text("  = %.*s (%.*s): %s", static_cast<int>(v.rule.size()), v.rule.data(),
                  static_cast<int>(to_string(v.conf).size()), to_string(v.conf).data(), v.text.c_str());
      ImGui::PopTextWrapPos();
      ImGui::PopStyleColor();
    }
  }
  const float fs = ImGui::GetFontSize();
  lad::geometry g;
  // Left margin: the time axis (and the record number when legs are merged).
  float record_w = 0;
  if (drawn.size() > 1) record_w = ImGui::CalcTextSize(("#" + std::to_string(drawn.back()->index) + " ").c_str()).x;
  g.left = std::round(ImGui::CalcTextSize("00:00:00.000").x + record_w + fs * 3.5f);
  g.spacing = std::round(fs * 17 * zoom);
  g.top = std::round(fs * 4.0f);
  g.row_height = std::round(fs * 2.4f * zoom);
  g.sdp_extra = std::round(fs * 1.0f);
  g.band_extra = std::round(fs * 1.4f);
  // Wider columns when labels need it.
  std::size_t widest = 0;
  for (const lad::row& r : layout.rows) {
    // The label (and the SDP badge under it) sit between the arrow's columns.
    const std::size_t span = std::max<std::size_t>(1, r.from > r.to ? r.from - r.to : r.to - r.from);
    widest = std::max(widest, (std::max(r.label.size() + (r.retransmission ? 6 : 0), r.sdp_badge.size()) + span - 1) / span);
  }
  for (const lad::column& c : layout.columns) widest = std::max(widest, c.host.to_string().size());
  g.spacing = std::max(g.spacing, std::round(ImGui::CalcTextSize("M").x * static_cast<float>(widest + 4)));
  geo = g;
  place = lad::place(layout, g);
  if (pos_of.size() != layout.columns.size()) apply_order();
  for (std::size_t c = 0; c < place.column_x.size(); ++c) place.column_x[c] = g.left + static_cast<float>(pos_of[c]) * g.spacing;

  ImGui::BeginChild("ladder", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
  ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsWindowHovered() && io.KeyCtrl && io.MouseWheel != 0) {
    zoom = std::clamp(zoom * (io.MouseWheel > 0 ? 1.15f : 1 / 1.15f), 0.3f, 4.0f);
  }
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float content_h = place.height + fs * 2;
  ImGui::Dummy(ImVec2(place.width + g.spacing, content_h));
  const bool hovered_window = ImGui::IsWindowHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float scroll_y = ImGui::GetScrollY();
  const float view_h = ImGui::GetWindowHeight();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const ImU32 lifeline = light ? rgba(150, 150, 150) : rgba(110, 110, 120);
  const ImU32 sdp_col = light ? rgba(138, 59, 138) : rgba(220, 140, 220);
  auto X = [&](std::size_t c) { return origin.x + place.column_x[c]; };
  auto Y = [&](float y) { return origin.y + y; };

  if (scroll_to_row && sel_row < place.row_y.size()) {
    const float y = place.row_y[sel_row];
    if (y < scroll_y + g.top || y > scroll_y + view_h - g.row_height) ImGui::SetScrollY(std::max(0.0f, y - view_h / 3));
    scroll_to_row = false;
  }

  // Visible rows only: two binary searches (ladders of 10 000 messages stay fast).
  const std::size_t first = place.first_row_below(scroll_y - g.row_height * 2);
  const std::size_t last = std::min(layout.rows.size(), place.first_row_below(scroll_y + view_h + g.row_height * 2));

  // RTP bands under everything: a translucent strip between the two columns over the time
  // the stream ran; its label on the strip.
  for (std::size_t bi = 0; bi < layout.bands.size(); ++bi) {
    const lad::band& b = layout.bands[bi];
    const float y1 = place.band_y[bi];
    const float y2 = std::max(y1 + fs * 1.4f, b.row_end == lad::npos ? place.height : place.row_y[b.row_end] - fs * 1.4f);
    const float xa = X(std::min(b.from, b.to)), xb = X(std::max(b.from, b.to));
    const ImU32 fill = b.bad ? rgba(230, 60, 60, light ? 30 : 40) : rgba(60, 180, 90, light ? 28 : 36);
    const ImU32 edge = b.bad ? rgba(230, 60, 60, 150) : rgba(60, 180, 90, 150);
    const ImVec2 r0(xa + 3, Y(y1)), r1(xb - 3, Y(y2));
    dl->AddRectFilled(r0, r1, fill);
    dl->AddLine(ImVec2(r0.x, r0.y), ImVec2(r1.x, r0.y), edge);
    std::string lab = std::string(b.from < b.to ? "RTP -> " : "RTP <- ") + b.label;
    if (ImGui::CalcTextSize(lab.c_str()).x > xb - xa - 12) {
      // Too long for the space between the columns: the figures only (the tooltip has all).
      char c[128];
      std::snprintf(c, sizeof c, "%s %s %.1f%% %.1fms", b.from < b.to ? "->" : "<-",
                    b.stream->codec.empty() ? "RTP" : b.stream->codec.c_str(), b.stream->lost_percent(), b.stream->mean_jitter_ms);
      lab = c;
      if (b.stream->mos > 0) {
        std::snprintf(c, sizeof c, " MOS %.2f", b.stream->mos);
        lab += c;
      }
    }
    dl->PushClipRect(r0, ImVec2(r1.x, r0.y + fs * 1.4f), true);
    dl->AddText(ImVec2(xa + 8, Y(y1) + fs * 0.15f), b.bad ? rgba(240, 90, 90) : (light ? rgba(20, 110, 40) : rgba(120, 220, 140)),
                lab.c_str());
    dl->PopClipRect();
    if (sel_stream == bi) dl->AddRect(r0, r1, light ? rgba(40, 60, 200) : rgba(160, 170, 255), 0, 0, 2);
    if (hovered_window && ImGui::IsMouseHoveringRect(r0, ImVec2(r1.x, r0.y + fs * 1.3f))) {
      ImGui::BeginTooltip();
      ImGui::Text("RTP %s -> %s  SSRC 0x%08x", b.stream->src.to_string().c_str(), b.stream->dst.to_string().c_str(),
                  b.stream->ssrc);
      ImGui::TextUnformatted(b.label.c_str());
      ImGui::Text("%s to %s", hhmmss(b.stream->start).c_str(), hhmmss(b.stream->end).c_str());
      ImGui::EndTooltip();
      if (ImGui::IsMouseClicked(0)) open_stream(bi);
    }
  }

  // Columns: name (alias or user agent), IP:port, lifeline.
  // DTMF digits (RFC 4733 events of the streams): a diamond with the digit on the sender's
  // column, at the event's time.
  for (const lad::band& b : layout.bands)
    for (const cr::dtmf_event& d : b.stream->dtmf) {
      if (d.time == 0) continue;   // read from a database: digits without times
      const float y = Y(place.y_at(layout, d.time));
      const float x = X(b.from);
      const float r = fs * 0.55f;
      dl->AddQuadFilled(ImVec2(x, y - r), ImVec2(x + r, y), ImVec2(x, y + r), ImVec2(x - r, y), light ? rgba(200, 120, 0) : rgba(250, 190, 60));
      const char digit[2] = {d.digit, 0};
      dl->AddText(ImVec2(x + r + 2, y - fs * 0.5f), light ? rgba(160, 90, 0) : rgba(250, 200, 90), digit);
    }

  // Visible columns only (a merge of many calls can have thousands): columns are evenly spaced.
  const float scroll_x = ImGui::GetScrollX(), view_w = ImGui::GetWindowWidth();
  auto column_index = [&](float x) {
    return static_cast<std::size_t>(std::clamp((x - g.left) / g.spacing, 0.0f, static_cast<float>(layout.columns.size())));
  };
  // Positions (display order), not column indexes.
  const std::size_t c_first = column_index(scroll_x - g.spacing);
  const std::size_t c_last = std::min(layout.columns.size(), column_index(scroll_x + view_w + g.spacing) + 1);
  for (std::size_t pos = c_first; pos < c_last; ++pos) {
    const std::size_t c = order[pos];
    const lad::column& col = layout.columns[c];
    // The head can be dragged sideways to move the column; the order is kept for this call set.
    ImGui::SetCursorScreenPos(ImVec2(X(c) - g.spacing / 2 + 2, Y(0)));
    ImGui::PushID(static_cast<int>(c));
    ImGui::InvisibleButton("head", ImVec2(g.spacing - 4, fs * 2.3f));
    ImGui::PopID();
    if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
    if (ImGui::IsItemHovered() && !ImGui::IsItemActive()) ImGui::SetTooltip("%s\ndrag to move the column", col.host.to_string().c_str());
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(0)) drag_col = c;
    if (drag_col == c) {
      dl->AddRectFilled(ImVec2(X(c) - g.spacing / 2 + 2, Y(0)), ImVec2(X(c) + g.spacing / 2 - 2, Y(fs * 2.3f)),
                        light ? rgba(200, 210, 255, 160) : rgba(70, 80, 140, 160), 3);
      // Past the middle of a neighbour: swap with it.
      const std::size_t p = pos_of[c];
      const float mx = io.MousePos.x;
      if (p + 1 < order.size() && mx > X(order[p + 1])) std::swap(order[p], order[p + 1]);
      else if (p > 0 && mx < X(order[p - 1])) std::swap(order[p], order[p - 1]);
      for (std::size_t q = 0; q < order.size(); ++q) pos_of[order[q]] = q;
    }
    const std::string host = col.media_only ? col.host.ip.to_string() + " (media)" : col.host.to_string();
    float y = Y(0) + fs * 0.2f;
    if (!col.name().empty()) {
      // A user agent can be long: cut to the column's width (the tooltip of an arrow has it whole).
      std::string name = col.name();
      const float room = g.spacing - fs;
      if (ImGui::CalcTextSize(name.c_str()).x > room) {
        while (name.size() > 1 && ImGui::CalcTextSize((name + "...").c_str()).x > room) name.pop_back();
        name += "...";
      }
      const ImVec2 ns = ImGui::CalcTextSize(name.c_str());
      dl->AddText(ImVec2(X(c) - ns.x / 2, y), text, name.c_str());
    }
    y += fs * 1.15f;
    const ImVec2 hs = ImGui::CalcTextSize(host.c_str());
    dl->AddText(ImVec2(X(c) - hs.x / 2, y), col.name().empty() ? text : dim, host.c_str());
    dl->AddLine(ImVec2(X(c), Y(g.top - fs * 0.8f)), ImVec2(X(c), Y(place.height)), lifeline, 1.0f);
  }

  if (drag_col != lad::npos && !ImGui::IsMouseDown(0)) {
    // The drag is over (wherever the pointer is): keep the order for this call set.
    std::vector<std::string> hosts;
    for (std::size_t q : order) hosts.push_back(layout.columns[q].host.to_string());
    orders[set_key] = hosts;
    drag_col = lad::npos;
  }

  // Arrows.
  std::size_t hover_row = lad::npos;
  if (hovered_window) {
    const float my = io.MousePos.y - origin.y;
    hover_row = place.row_at(my, g.row_height);
  }
  for (std::size_t i = first; i < last; ++i) {
    const lad::row& r = layout.rows[i];
    const float y = Y(place.row_y[i]);
    if (i == sel_row || i == msg_row)
      dl->AddRectFilled(ImVec2(origin.x, y - g.row_height * 0.72f), ImVec2(origin.x + place.width + g.spacing, y + fs * 0.5f),
                        light ? rgba(200, 210, 255, 140) : rgba(70, 80, 140, 120));
    else if (i == hover_row)
      dl->AddRectFilled(ImVec2(origin.x, y - g.row_height * 0.72f), ImVec2(origin.x + place.width + g.spacing, y + fs * 0.5f),
                        light ? rgba(220, 220, 240, 120) : rgba(60, 60, 80, 100));
    ImU32 col = arrow_colour(r, light);
    // One hue per (record, dialog): forks and B2BUA legs apart at a glance; or per transaction:
    // a request with its responses.
    if (colour == colour_dialog && !r.retransmission)
      col = hue(r.record * 3 + static_cast<std::size_t>(r.message->dialog + 1), light);
    else if (colour == colour_transaction && !r.retransmission)
      col = hue(i < txn_hue.size() ? txn_hue[i] : 0, light);
    if (mark_evidence && i < evidence.size() && evidence[i]) {
      // Evidence of the verdict: a bar before the arrows, the arrow's row outlined.
      const ImU32 ev = light ? rgba(200, 0, 140) : rgba(255, 70, 200);
      const float bx = origin.x + g.left - fs * 1.6f;
      dl->AddRectFilled(ImVec2(bx, y - fs * 0.7f), ImVec2(bx + fs * 0.45f, y + fs * 0.45f), ev);
      const float xa = std::min(X(r.from), X(r.to)), xb = std::max(X(r.from), X(r.to));
      dl->AddRect(ImVec2(xa - fs * 0.3f, y - fs * 1.45f), ImVec2(std::max(xb, xa + fs * 2.5f) + fs * 0.3f, y + fs * 0.5f), ev, 3, 0, 1.5f);
    }
    // Time axis.
    const std::string t = lad::time_label(r.message->time, layout.t0, relative ? lad::time_axis::relative : lad::time_axis::absolute);
    float tx = origin.x + 4;
    if (drawn.size() > 1) {
      // Which record (leg) the message belongs to, before its time.
      char rn[24];
      std::snprintf(rn, sizeof rn, "#%" PRIu64, layout.records[r.record]->index);
      dl->AddText(ImVec2(tx, y - fs * 0.6f), ImGui::ColorConvertFloat4ToU32(state_colour(*layout.records[r.record], light)), rn);
      tx += record_w;
    }
    dl->AddText(ImVec2(tx, y - fs * 0.6f), dim, t.c_str());
    const float x1 = X(r.from), x2 = X(r.to);
    if (std::max(pos_of[r.from], pos_of[r.to]) + 1 < c_first || std::min(pos_of[r.from], pos_of[r.to]) > c_last) continue;   // off screen sideways
    const float thick = std::max(1.0f, fs / 9);
    if (r.from == r.to) {
      // A message a host sent to itself: a small loop.
      const float w = fs * 2;
      dl->AddLine(ImVec2(x1, y - fs * 0.3f), ImVec2(x1 + w, y - fs * 0.3f), col, thick);
      dl->AddLine(ImVec2(x1 + w, y - fs * 0.3f), ImVec2(x1 + w, y + fs * 0.3f), col, thick);
      dl->AddLine(ImVec2(x1 + w, y + fs * 0.3f), ImVec2(x1, y + fs * 0.3f), col, thick);
    } else if (r.retransmission) {
      const float dir = x2 > x1 ? 1.0f : -1.0f;
      const float len = std::fabs(x2 - x1) - fs * 0.6f;
      for (float d = 0; d < len; d += fs * 0.9f)
        dl->AddLine(ImVec2(x1 + dir * d, y), ImVec2(x1 + dir * std::min(d + fs * 0.5f, len), y), col, thick);
    } else {
      dl->AddLine(ImVec2(x1, y), ImVec2(x2 - (x2 > x1 ? fs * 0.5f : -fs * 0.5f), y), col, thick);
    }
    if (r.from != r.to) {
      const float dir = x2 > x1 ? 1.0f : -1.0f;
      dl->AddTriangleFilled(ImVec2(x2, y), ImVec2(x2 - dir * fs * 0.75f, y - fs * 0.35f),
                            ImVec2(x2 - dir * fs * 0.75f, y + fs * 0.35f), col);
    }
    std::string label = r.label;
    if (r.retransmission) label += " [rtx]";
    const ImVec2 ls = ImGui::CalcTextSize(label.c_str());
    const float mid = r.from == r.to ? x1 + fs * 2.5f + ls.x / 2 : (x1 + x2) / 2;
    dl->AddText(ImVec2(mid - ls.x / 2, y - fs * 1.25f), col, label.c_str());
    if (r.diagnostics) {
      // The parser had something to say: a marker at the sender's end.
      dl->AddCircleFilled(ImVec2(x1 + (x2 >= x1 ? fs * 0.6f : -fs * 0.6f), y - fs * 0.75f), fs * 0.4f,
                          r.message->errors ? rgba(230, 50, 50) : rgba(230, 160, 40));
    }
    if (!r.sdp_badge.empty()) {
      const ImVec2 bs = ImGui::CalcTextSize(r.sdp_badge.c_str());
      const ImVec2 b0(mid - bs.x / 2 - 3, y + fs * 0.25f), b1(mid + bs.x / 2 + 3, y + fs * 0.25f + bs.y + 1);
      dl->AddRectFilled(b0, b1, light ? rgba(245, 230, 245) : rgba(60, 35, 60), 3);
      dl->AddText(ImVec2(mid - bs.x / 2, y + fs * 0.3f), sdp_col, r.sdp_badge.c_str());
    }
  }
  // Findings at their time (marks.hpp says where): a flag on the column, its kind beside it.
  bool hovering_mark = false;
  for (const finding_mark& fm : fmarks) {
    const cr::record& fr = *layout.records[fm.record];
    std::size_t c = fm.column;
    if (c == lad::npos) {
      c = 0;
      for (const lad::row& r : layout.rows)
        if (r.record == fm.record) {
          c = r.from;
          break;
        }
    }
    if (c >= layout.columns.size()) continue;
    const float fx = X(c), fy = Y(place.y_at(layout, fm.time));
    const ImU32 fc = light ? rgba(210, 80, 0) : rgba(255, 140, 40);
    // The flag points left of the lifeline, away from the arrowheads that reach it from the right.
    dl->AddLine(ImVec2(fx, fy - fs * 0.9f), ImVec2(fx, fy + fs * 0.3f), fc, 2);
    dl->AddTriangleFilled(ImVec2(fx, fy - fs * 0.9f), ImVec2(fx, fy - fs * 0.3f), ImVec2(fx - fs * 0.9f, fy - fs * 0.6f), fc);
    // Its name right of the last column, a dotted leader from there (arrows and their labels
    // stay readable; the flag and the name share the y).
    const std::string& kind = fr.findings[fm.finding].kind;
    const float lx = origin.x + place.width + fs * 0.5f;
    const float last_x = origin.x + g.left + static_cast<float>(layout.columns.size() - 1) * g.spacing;
    for (float x = std::max(fx, last_x) + fs * 0.5f; x < lx - fs * 0.3f; x += fs * 0.8f)
      dl->AddLine(ImVec2(x, fy - fs * 0.6f), ImVec2(std::min(x + fs * 0.3f, lx), fy - fs * 0.6f), fc, 1);
    dl->AddText(ImVec2(lx, fy - fs * 1.1f), fc, kind.c_str());
    if (hovered_window && (ImGui::IsMouseHoveringRect(ImVec2(fx - 2, fy - fs), ImVec2(fx + fs, fy + fs * 0.3f)) ||
                           ImGui::IsMouseHoveringRect(ImVec2(lx, fy - fs * 1.1f), ImVec2(lx + ImGui::CalcTextSize(kind.c_str()).x, fy)))) {
      ImGui::SetTooltip("%s: %s", kind.c_str(), fr.findings[fm.finding].text.c_str());
      hovering_mark = true;
    }
  }
  if (hover_row != lad::npos && hover_row < layout.rows.size() && !hovering_mark && drag_col == lad::npos) {
    const lad::row& r = layout.rows[hover_row];
    const cr::message_entry& m = *r.message;
    ImGui::BeginTooltip();
    ImGui::TextUnformatted(m.summary.c_str());
    ImGui::Text("%s  (%s)", hhmmss(m.time).c_str(), lad::time_label(m.time, layout.t0, lad::time_axis::relative).c_str());
    ImGui::Text("%s -> %s  %.*s", m.src.to_string().c_str(), m.dst.to_string().c_str(),
                static_cast<int>(capture::to_string(m.proto).size()), capture::to_string(m.proto).data());
    ImGui::Text("CSeq %u %s%s", m.cseq, m.method.c_str(), m.retransmission ? "  (retransmission)" : "");
    if (!m.sdp.empty()) ImGui::Text("SDP %s", m.sdp.c_str());
    if (!m.user_agent.empty()) ImGui::Text("User-Agent %s", m.user_agent.c_str());
    ImGui::Text("frame %" PRIu64 "  Call-ID %s", m.frame.number, layout.records[r.record]->call_id.c_str());
    if (m.errors || m.warnings) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "parser: %u errors, %u warnings", m.errors, m.warnings);
    if (hover_row < evidence.size() && evidence[hover_row] && r.record < verdicts.size())
      ImGui::TextColored(ImVec4(1, 0.5f, 0.85f, 1), "evidence of the verdict '%.*s'", static_cast<int>(verdicts[r.record].rule.size()),
                         verdicts[r.record].rule.data());
    ImGui::EndTooltip();
    if (ImGui::IsMouseClicked(0)) open_message(hover_row);
  }
  last_origin = origin;
  ladder_max = ImGui::GetCurrentWindow()->InnerClipRect.Max;
  last_view_min = ImGui::GetCurrentWindow()->InnerClipRect.Min;   // without the scrollbars
  last_view_max = ImGui::GetCurrentWindow()->InnerClipRect.Max;
  ImGui::EndChild();
  ImGui::EndChild();
}

// Where the ladder was drawn in the last frame, in window pixels, for the screenshot tests
// (tests/viewer/screenshot.sh).
bool app::write_layout_json() const {
  const impl& p = *p_;
  if (p.opt.layout_json.empty()) return true;
  std::FILE* f = std::fopen(p.opt.layout_json.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "{\"columns\": [");
  for (std::size_t c = 0; c < p.layout.columns.size() && c < p.place.column_x.size(); ++c)
    std::fprintf(f, "%s{\"host\": \"%s\", \"x\": %.1f}", c ? ", " : "", p.layout.columns[c].host.to_string().c_str(),
                 p.last_origin.x + p.place.column_x[c]);
  std::fprintf(f, "], \"rows\": [");
  for (std::size_t i = 0; i < p.layout.rows.size() && i < p.place.row_y.size(); ++i) {
    const lad::row& r = p.layout.rows[i];
    std::fprintf(f, "%s{\"label\": \"%s\", \"from\": %zu, \"to\": %zu, \"y\": %.1f, \"retransmission\": %s}", i ? ", " : "",
                 r.label.c_str(), r.from, r.to, p.last_origin.y + p.place.row_y[i], r.retransmission ? "true" : "false");
  }
  std::fprintf(f, "], \"evidence\": [");
  bool first = true;
  const float fs = ImGui::GetFontSize();
  for (std::size_t i = 0; i < p.evidence.size() && i < p.place.row_y.size(); ++i) {
    if (!p.evidence[i] || !p.mark_evidence) continue;
    // The centre of the evidence bar (draw_ladder).
    std::fprintf(f, "%s{\"row\": %zu, \"x\": %.1f, \"y\": %.1f}", first ? "" : ", ", i,
                 p.last_origin.x + p.geo.left - fs * 1.6f + fs * 0.22f, p.last_origin.y + p.place.row_y[i] - fs * 0.12f);
    first = false;
  }
  std::fprintf(f, "], \"verdicts\": [");
  first = true;
  for (const explain::verdict& v : p.verdicts) {
    if (v.rule.empty()) continue;
    std::fprintf(f, "%s\"%.*s\"", first ? "" : ", ", static_cast<int>(v.rule.size()), v.rule.data());
    first = false;
  }
  std::fprintf(f, "], \"findings\": [");
  first = true;
  for (const finding_mark& fm : p.fmarks) {
    std::size_t c = fm.column;
    if (c == lad::npos)
      for (const lad::row& r : p.layout.rows)
        if (r.record == fm.record) {
          c = r.from;
          break;
        }
    if (c >= p.place.column_x.size()) continue;
    // A pixel inside the flag's triangle.
    std::fprintf(f, "%s{\"kind\": \"%s\", \"x\": %.1f, \"y\": %.1f}", first ? "" : ", ",
                 p.layout.records[fm.record]->findings[fm.finding].kind.c_str(), p.last_origin.x + p.place.column_x[c] - fs * 0.3f,
                 p.last_origin.y + p.place.y_at(p.layout, fm.time) - fs * 0.6f);
    first = false;
  }
  std::fprintf(f, "], \"ladder_rect\": [%.1f, %.1f, %.1f, %.1f]", p.ladder_min.x, p.ladder_min.y, p.ladder_max.x, p.ladder_max.y);
  std::fprintf(f, ", \"tree_nodes\": %zu, \"tree_selected\": %lld", p.tree.nodes.size(),
               p.tree_sel < p.tree.nodes.size() ? static_cast<long long>(p.tree_sel) : -1LL);
  std::fprintf(f, ", \"records\": [");
  for (std::size_t i = 0; i < p.drawn.size(); ++i) std::fprintf(f, "%s%" PRIu64, i ? ", " : "", p.drawn[i]->index);
  std::fprintf(f, "], \"listed\": %zu", p.shown.size());
  std::fprintf(f, ", \"message_row\": %lld, \"cursor_row\": %lld", p.msg_row == lad::npos ? -1LL : static_cast<long long>(p.msg_row),
               p.sel_row == lad::npos ? -1LL : static_cast<long long>(p.sel_row));
  std::fprintf(f, ", \"bands\": %zu, \"font_size\": %.1f, \"view\": [%.1f, %.1f, %.1f, %.1f]}\n", p.layout.bands.size(),
               ImGui::GetFontSize(), p.last_view_min.x, p.last_view_min.y, p.last_view_max.x, p.last_view_max.y);
  return std::fclose(f) == 0;
}

void app::impl::draw_message(ImVec2 size) {
  ImGui::BeginChild("message", size, true, ImGuiWindowFlags_HorizontalScrollbar);
  if (msg_row == lad::npos || msg_row >= layout.rows.size()) {
    ImGui::TextDisabled("Click an arrow (or Enter) to read its message");
    ImGui::EndChild();
    return;
  }
  const cr::message_entry& m = *layout.rows[msg_row].message;
  ImGui::Text("Message %zu of %zu, frame %" PRIu64 ", %s -> %s", msg_row + 1, layout.rows.size(), m.frame.number,
              m.src.to_string().c_str(), m.dst.to_string().c_str());
  if (msg_loading) {
    ImGui::TextDisabled("reading the frame from the capture...");
    ImGui::EndChild();
    return;
  }
  if (!msg.found) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", msg.error.c_str());
    ImGui::EndChild();
    return;
  }
  // Diagnostics first: what is wrong, where (line:column); the bytes are marked below.
  for (const diag_mark& d : msg_text.diagnostics)
    ImGui::TextColored(d.error ? ImVec4(1, 0.4f, 0.4f, 1) : ImVec4(1, 0.7f, 0.3f, 1), "%u:%u %s", d.line, d.column, d.text.c_str());
  if (!msg_text.diagnostics.empty()) ImGui::Separator();
  // The raw text on the left, the parsed tree on the right; a node selected in the tree has
  // its bytes highlighted in the text.
  const float raw_w = std::floor(ImGui::GetContentRegionAvail().x * 0.56f);
  ImGui::BeginChild("raw", ImVec2(raw_w, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
  const bool sel_valid = tree_sel < tree.nodes.size();
  const std::size_t sel_a = sel_valid ? tree.nodes[tree_sel].offset : 0;
  const std::size_t sel_z = sel_valid ? sel_a + std::max<std::uint32_t>(tree.nodes[tree_sel].length, 1) : 0;
  // The text, span by span, line by line; diagnostic ranges get a background.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const std::string& b = msg.bytes;
  std::size_t si = 0;
  std::size_t line_start = 0;
  while (line_start < b.size()) {
    std::size_t eol = b.find('\n', line_start);
    const std::size_t next = eol == std::string::npos ? b.size() : eol + 1;
    std::size_t end = eol == std::string::npos ? b.size() : eol;
    if (end > line_start && b[end - 1] == '\r') --end;
    const ImVec2 line_pos = ImGui::GetCursorScreenPos();
    if (sel_valid && sel_z > line_start && sel_a <= end) {
      const std::size_t ca = std::max(sel_a, line_start), cz = std::min(sel_z, end);
      const float xa = ImGui::CalcTextSize(b.data() + line_start, b.data() + ca).x;
      const float xz = cz > ca ? ImGui::CalcTextSize(b.data() + line_start, b.data() + cz).x : xa + ImGui::CalcTextSize(" ").x;
      dl->AddRectFilled(ImVec2(line_pos.x + xa, line_pos.y), ImVec2(line_pos.x + xz, line_pos.y + ImGui::GetTextLineHeight()),
                        light ? rgba(120, 170, 255, 120) : rgba(60, 110, 220, 150));
      if (scroll_raw && sel_a >= line_start) {
        ImGui::SetScrollHereY(0.3f);
        // Sideways too: a parameter at the end of a long header line.
        const float room = ImGui::GetWindowWidth();
        if (xa < ImGui::GetScrollX() || xa > ImGui::GetScrollX() + room * 0.8f) ImGui::SetScrollX(std::max(0.0f, xa - room * 0.25f));
        scroll_raw = false;
      }
    }
    // Marks on this line.
    for (const diag_mark& d : msg_text.diagnostics) {
      const std::size_t a = d.offset, z = d.offset + std::max<std::uint32_t>(d.length, 1);
      if (z <= line_start || a > end) continue;
      const std::size_t ca = std::max(a, line_start), cz = std::max(ca + 1, std::min(z, end));
      const float xa = ImGui::CalcTextSize(b.data() + line_start, b.data() + ca).x;
      const float xz = ImGui::CalcTextSize(b.data() + line_start, b.data() + std::min(cz, end)).x;
      dl->AddRectFilled(ImVec2(line_pos.x + xa, line_pos.y),
                        ImVec2(line_pos.x + std::max(xz, xa + ImGui::CalcTextSize(" ").x), line_pos.y + ImGui::GetTextLineHeight()),
                        d.error ? rgba(200, 40, 40, 110) : rgba(220, 150, 30, 100));
    }
    bool any = false;
    while (si < msg_text.spans.size() && msg_text.spans[si].offset < end) {
      const text_span& sp = msg_text.spans[si];
      const std::size_t a = std::max<std::size_t>(sp.offset, line_start);
      const std::size_t z = std::min<std::size_t>(sp.offset + sp.length, end);
      if (z > a) {
        if (any) ImGui::SameLine(0, 0);
        ImGui::PushStyleColor(ImGuiCol_Text, span_colour(sp.kind, light));
        ImGui::TextUnformatted(b.data() + a, b.data() + z);
        ImGui::PopStyleColor();
        any = true;
      }
      if (sp.offset + sp.length <= end) ++si;
      else break;
    }
    if (!any) ImGui::TextUnformatted("");
    while (si < msg_text.spans.size() && msg_text.spans[si].offset + msg_text.spans[si].length <= next) ++si;
    line_start = next;
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("tree", ImVec2(0, 0), true);
  if (tree.nodes.empty()) ImGui::TextDisabled("the parser could not read a start line");
  draw_tree_nodes(tree.roots, 0);
  ImGui::EndChild();
  ImGui::EndChild();
}

void app::impl::draw_tree_nodes(const std::vector<std::size_t>& ids, int depth) {
  for (std::size_t id : ids) {
    const tree_node& n = tree.nodes[id];
    ImGuiTreeNodeFlags f = ImGuiTreeNodeFlags_OpenOnArrow | ImGuiTreeNodeFlags_SpanAvailWidth;
    if (n.children.empty()) f |= ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen;
    if (id == tree_sel) f |= ImGuiTreeNodeFlags_Selected;
    // The start line and the headers open at first; a header's fields when asked.
    if (depth == 0) f |= ImGuiTreeNodeFlags_DefaultOpen;
    if (id < tree_open.size() && tree_open[id]) {
      ImGui::SetNextItemOpen(true);
      tree_open[id] = 0;
    }
    if (n.error) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.45f, 0.4f, 1));
    std::string v = n.value;
    if (v.size() > 80) v = v.substr(0, 77) + "...";
    for (char& c : v)
      if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    const bool open = ImGui::TreeNodeEx(reinterpret_cast<void*>(id + 1), f, "%s%s%s", n.label.c_str(), v.empty() ? "" : ": ", v.c_str());
    if (id == tree_sel && scroll_tree) {
      ImGui::SetScrollHereY(0.4f);   // a node selected from outside (--tree-node): in view
      scroll_tree = false;
    }
    if (n.error) ImGui::PopStyleColor();
    if (ImGui::IsItemClicked() && !ImGui::IsItemToggledOpen()) {
      tree_sel = id;
      scroll_raw = true;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("bytes %u-%u", n.offset, n.offset + n.length);
    if (open && !n.children.empty()) {
      draw_tree_nodes(n.children, depth + 1);
      ImGui::TreePop();
    }
  }
}

void app::impl::draw_rtp(ImVec2 size) {
  ImGui::BeginChild("rtp", size, true);
  std::vector<const cr::stream_info*> streams;
  for (const lad::band& b : layout.bands) streams.push_back(b.stream);
  if (streams.empty()) {
    ImGui::TextDisabled(drawn.empty() ? "RTP streams of the selected calls" : "No RTP stream in the selected calls");
    ImGui::EndChild();
    return;
  }
  const float table_h = ImGui::GetFrameHeightWithSpacing() * (static_cast<float>(std::min<std::size_t>(streams.size(), 6)) + 1.4f);
  if (ImGui::BeginTable("streams", 7, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit |
                                         ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX, ImVec2(0, table_h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("stream");
    ImGui::TableSetupColumn("codec");
    ImGui::TableSetupColumn("pkts");
    ImGui::TableSetupColumn("lost");
    ImGui::TableSetupColumn("jitter ms");
    ImGui::TableSetupColumn("MOS");
    ImGui::TableSetupColumn("DTMF");
    ImGui::TableHeadersRow();
    for (std::size_t i = 0; i < streams.size(); ++i) {
      const cr::stream_info& s = *streams[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char id[160];
      std::snprintf(id, sizeof id, "%s -> %s##s%zu", s.src.to_string().c_str(), s.dst.to_string().c_str(), i);
      if (ImGui::Selectable(id, sel_stream == i, ImGuiSelectableFlags_SpanAllColumns)) open_stream(i);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.codec.empty() ? std::to_string(s.payload_type).c_str() : s.codec.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, s.packets);
      ImGui::TableNextColumn();
      const ImVec4 bad(1, 0.45f, 0.45f, 1);
      if (s.lost_unique > 0) ImGui::TextColored(bad, "%" PRId64 " (%.1f%%)", s.lost_unique, s.lost_percent());
      else ImGui::Text("%" PRId64, s.lost_unique);
      ImGui::TableNextColumn();
      ImGui::Text("%.1f / %.1f", s.mean_jitter_ms, s.max_jitter_ms);
      ImGui::TableNextColumn();
      if (s.mos > 0 && s.mos < 3.6) ImGui::TextColored(bad, "%.2f", s.mos);
      else if (s.mos > 0) ImGui::Text("%.2f", s.mos);
      ImGui::TableNextColumn();
      std::string d;
      for (const cr::dtmf_event& e : s.dtmf) d += e.digit;
      ImGui::TextUnformatted(d.c_str());
    }
    ImGui::EndTable();
  }
  if (sel_stream != lad::npos) {
    if (rtp_loading) {
      ImGui::TextDisabled("reading the stream's packets...");
    } else if (!series.error.empty()) {
      ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", series.error.c_str());
    } else if (!series.points.empty()) {
      std::vector<float> jit, lost, delta;
      float jmax = 1, dmax = 1, lmax = 1;
      for (const rtp_point& p : series.points) {
        jit.push_back(static_cast<float>(p.jitter_ms));
        lost.push_back(static_cast<float>(p.lost));
        delta.push_back(static_cast<float>(p.delta_ms));
        jmax = std::max(jmax, jit.back());
        dmax = std::max(dmax, delta.back());
        lmax = std::max(lmax, lost.back());
      }
      const float w = ImGui::GetContentRegionAvail().x;
      const float h = std::max(30.0f, (ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * 3) / 3 - 6);
      char ov[96];
      std::snprintf(ov, sizeof ov, "jitter (ms), max %.1f, over %.1f s", jmax, series.points.back().t_s);
      ImGui::PlotLines("##jitter", jit.data(), static_cast<int>(jit.size()), 0, ov, 0, jmax * 1.1f, ImVec2(w, h));
      std::snprintf(ov, sizeof ov, "lost packets (cumulative), %.0f", static_cast<double>(lost.back()));
      ImGui::PlotLines("##lost", lost.data(), static_cast<int>(lost.size()), 0, ov, 0, lmax * 1.1f, ImVec2(w, h));
      std::snprintf(ov, sizeof ov, "packet interval (ms), max %.1f", dmax);
      ImGui::PlotLines("##delta", delta.data(), static_cast<int>(delta.size()), 0, ov, 0, dmax * 1.1f, ImVec2(w, h));
    }
  } else {
    ImGui::TextDisabled("Click a stream (or its band in the ladder) for jitter, loss and interval plots");
  }
  ImGui::EndChild();
}

}  // namespace sipscope::viewer
