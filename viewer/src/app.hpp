// sipscope-view's window contents (Dear ImGui): the call list, the ladder, the message pane and
// the RTP pane in a fixed layout of resizable splits. Reads the session's records (session.hpp)
// as snapshots; draws the shared ladder layout (sipscope/ladder/layout.hpp).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sipscope::viewer {

struct app_options {
  std::vector<std::string> files;
  std::vector<std::string> calls;      // --call: Call-IDs or record indexes to select at start ("all": every listed one)
  bool legs = true;                    // draw the B2BUA legs / transfer records of the selection
  bool light = false;                  // light theme
  bool relative_time = false;
  bool all_kinds = false;              // list registrations, OPTIONS... too
  int message = -1;                    // --message N: open the ladder's Nth row (1-based) at start
  std::string search;                  // --search TEXT: the call list's search box at start
  std::vector<std::pair<std::string, std::string>> aliases;   // --hosts IP[:PORT]=NAME,...
  int state_filter = 0;                // --filter answered|failed: 1, 2 (0 all)
  bool findings_only = false;          // --findings
  float mos_below = 0;                 // --mos-below X
  std::string layout_json;             // --layout-json FILE: where the ladder was drawn (tests)
  bool headless = false;               // --screenshot: no ini file, no interaction
  float list_width = 0;                // --list-width: the call list's share of the width (0: kept)
  std::string since, until;            // --since/--until: the call list's time range
  int colour = 0;                      // --colour kind|dialog|transaction: 0, 1, 2
  bool evidence = true;                // --no-evidence: no verdict marks on the ladder
  std::vector<std::string> column_order;   // --column-order HOST,...: the ladder's columns first in this order
  std::string tree_node;               // --tree-node LABEL: the parsed tree's first node so named, selected once the message is read
};

class app {
 public:
  explicit app(app_options o);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  // One frame of UI (between ImGui::NewFrame and ImGui::Render); width/height of the window.
  void frame(float width, float height);
  // Whether loading is over and every pane has what it needs (--screenshot waits for it).
  bool settled() const;
  // --layout-json: where the last frame drew the ladder's columns and arrows (window pixels).
  bool write_layout_json() const;
  // For --timings and --frame-bench: rows in the call list, loading still running, rows of the
  // ladder; and dropping the selection (an empty ladder, the frame-time baseline).
  std::size_t listed() const;
  bool loading() const;
  std::size_t ladder_rows() const;
  void clear_selection();
  // File > Save window as PNG: the path asked for since the last call ("" none); main writes
  // the frame it has just drawn there and reports with png_saved().
  std::string take_png_request();
  // File > Export ladder as PNG: the path asked for ("" none) and the ladder pane's rectangle
  // in window pixels (x0, y0, x1, y1), which main crops from the frame it has just drawn.
  std::string take_ladder_png_request(float rect[4]);
  void ladder_rect(float rect[4]) const;
  void png_saved(const std::string& message);
  // Why loading failed ("" when it did not).
  std::string failure() const;
  // Whether the user asked to quit (File > Quit).
  bool quit() const;
  // Files dropped on the window, or opened from File > Open.
  void open(std::vector<std::string> files);
  // Registers the layout's [SipscopeView] entry in imgui.ini; call before the first frame.
  static void register_settings();

  struct impl;

 private:
  std::unique_ptr<impl> p_;
};

}  // namespace sipscope::viewer
