// sipscope-view: the ladder-diagram viewer (issue 8). GLFW window, OpenGL 3 context, Dear ImGui
// (Debian's libimgui-dev 1.86 ships the GLFW and OpenGL3 backends compiled in libimgui.a).
//
//   sipscope-view [OPTIONS] [FILE...]
//   sipscope-view --screenshot OUT.png [--call ID] [--size WxH] FILE...
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <chrono>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include "app.hpp"
#include "png.hpp"

namespace {

constexpr const char* usage =
    "usage: sipscope-view [OPTIONS] [FILE...]\n"
    "\n"
    "The call list, ladder diagram, messages and RTP streams of SIP captures (pcap, pcapng,\n"
    "gzip), in a window. Loading runs in the background: calls appear as they are found.\n"
    "\n"
    "Options:\n"
    "  --call ID|INDEX     select this record at start (Call-ID or the # of the list; 'all':\n"
    "                      every call listed);\n"
    "                      comma-separated or repeated: several are merged into one ladder\n"
    "  --hosts ALIASES     names for hosts: IP=NAME or IP:PORT=NAME, comma-separated\n"
    "  --no-legs           draw only the selected records, not their B2BUA legs / transfers\n"
    "  --message N         open the ladder's Nth message in the message pane\n"
    "  --search TEXT       start with this text in the call list's search box\n"
    "  --filter WHICH      answered or failed: only those calls in the list (F7)\n"
    "  --findings          only calls with findings (one-way audio, NAT...)\n"
    "  --mos-below X       only calls with a stream whose MOS is below X\n"
    "  --since T, --until T  the call list's time range: HH:MM[:SS.mmm] UTC or +SECONDS from\n"
    "                      the first record\n"
    "  --colour BY         ladder arrows coloured by kind (default), dialog or transaction\n"
    "  --no-evidence       no marks of the explain verdict's evidence on the ladder\n"
    "  --column-order H,.. the ladder's columns first in this order (IP:PORT each)\n"
    "  --tree-node LABEL   select the first node so labelled in the message pane's parsed tree\n"
    "                      (Via, branch, m=audio...; with --message)\n"
    "  --all               list every record kind (registrations, OPTIONS...), not only calls\n"
    "  --relative          relative times (+ms from the first message) on the ladder\n"
    "  --light             light theme (default dark)\n"
    "  --list-width F      the call list's share of the window width (0.1 to 0.9)\n"
    "  --size WxH          window size in pixels (default 1600x1000)\n"
    "  --screenshot OUT    render once loading is over, write OUT (PNG) and exit\n"
    "  --ladder-png OUT    with --screenshot: also write the ladder pane alone (File > Export\n"
    "                      ladder as PNG)\n"
    "  --layout-json OUT   with --screenshot: also write where the ladder's columns and arrows\n"
    "                      were drawn (window pixels), for tests\n"
    "  --timings           print when the first call was listed and when loading ended\n"
    "                      (seconds from the start of the process) on stderr\n"
    "  --frame-bench N     after loading, draw N frames with the selected ladder and N with\n"
    "                      none, print the mean frame times (headless, like --screenshot)\n"
    "  --keys K,K,...      with --screenshot: keys pressed once loading is over, one per\n"
    "                      frame (Up, Down, Enter, Escape, Space, F3), for tests\n"
    "  --font-size PX      text size (default 15, scaled by the monitor's content scale)\n"
    "  -h, --help          this text\n"
    "\n"
    "Keys: Up/Down move in the call list or the ladder, Enter opens, Esc goes back, F3 search,\n"
    "F7 filters, F2 extract the calls drawn, Space adds a call to the ladder (Ctrl-click too),\n"
    "Ctrl +/- or Ctrl+wheel zoom the ladder, Ctrl+O open, Ctrl+Q quit. Files may be dropped\n"
    "on the window. The layout of the panes is kept in $XDG_CONFIG_HOME/sipscope/imgui.ini.\n"
    "\n"
    "Exit status: 0 success, 2 usage error or nothing could be shown, 3 no OpenGL display.\n";

void glfw_error(int code, const char* text) { std::fprintf(stderr, "sipscope-view: GLFW error %d: %s\n", code, text); }

// The rectangle (window pixels, clamped) of an RGBA frame, for the ladder's PNG.
std::vector<std::uint8_t> crop(const std::vector<std::uint8_t>& img, int fw, int fh, const float r[4], float scale, int& w, int& h) {
  const int x0 = std::clamp(static_cast<int>(r[0] * scale), 0, fw), y0 = std::clamp(static_cast<int>(r[1] * scale), 0, fh);
  const int x1 = std::clamp(static_cast<int>(r[2] * scale), x0, fw), y1 = std::clamp(static_cast<int>(r[3] * scale), y0, fh);
  w = x1 - x0;
  h = y1 - y0;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4);
  for (int y = 0; y < h; ++y)
    std::memcpy(out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w) * 4,
                img.data() + (static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(fw) + static_cast<std::size_t>(x0)) * 4,
                static_cast<std::size_t>(w) * 4);
  return out;
}

std::vector<std::string> g_dropped;
void on_drop(GLFWwindow*, int count, const char** paths) {
  for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

std::string config_ini() {
  std::string dir;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) dir = x;
  else if (const char* h = std::getenv("HOME"); h && *h) dir = std::string(h) + "/.config";
  else return {};
  ::mkdir(dir.c_str(), 0700);
  dir += "/sipscope";
  ::mkdir(dir.c_str(), 0700);
  return dir + "/imgui.ini";
}

// The back buffer just drawn, as opaque RGBA rows top down (OpenGL's go bottom up).
std::vector<std::uint8_t> read_window(int fw, int fh) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(fw) * static_cast<std::size_t>(fh) * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, fw, fh, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  std::vector<std::uint8_t> flipped(pixels.size());
  const std::size_t stride = static_cast<std::size_t>(fw) * 4;
  for (int y = 0; y < fh; ++y)
    std::memcpy(flipped.data() + static_cast<std::size_t>(y) * stride, pixels.data() + static_cast<std::size_t>(fh - 1 - y) * stride,
                stride);
  for (std::size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;
  return flipped;
}

bool file_exists(const char* p) {
  struct stat st;
  return ::stat(p, &st) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sipscope::viewer;
  const auto t_process = std::chrono::steady_clock::now();
  app_options o;
  std::string screenshot, ladder_png;
  bool timings = false;
  std::vector<int> keys;   // --keys: GLFW key codes (the 1.86 GLFW backend indexes KeysDown by them)
  int frame_bench = 0;
  int width = 1600, height = 1000;
  float font_px = 15;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sipscope-view: %s needs a value (see --help)\n", a.c_str());
        std::exit(2);
      }
      out = argv[++i];
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      return 0;
    } else if (a == "--call") {
      value(v);
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t comma = v.find(',', start);
        std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!one.empty()) o.calls.push_back(one);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--hosts") {
      value(v);
      std::size_t start = 0;
      while (start < v.size()) {
        const std::size_t comma = v.find(',', start);
        const std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const std::size_t eq = one.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == one.size()) {
          std::fprintf(stderr, "sipscope-view: bad --hosts entry '%s' (IP=NAME or IP:PORT=NAME)\n", one.c_str());
          return 2;
        }
        o.aliases.emplace_back(one.substr(0, eq), one.substr(eq + 1));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--no-legs") {
      o.legs = false;
    } else if (a == "--message") {
      value(v);
      o.message = std::atoi(v.c_str());
      if (o.message <= 0) {
        std::fprintf(stderr, "sipscope-view: bad --message '%s' (a message number from 1)\n", v.c_str());
        return 2;
      }
    } else if (a == "--search") {
      value(o.search);
    } else if (a == "--filter") {
      value(v);
      if (v == "answered") o.state_filter = 1;
      else if (v == "failed") o.state_filter = 2;
      else {
        std::fprintf(stderr, "sipscope-view: bad --filter '%s' (answered or failed)\n", v.c_str());
        return 2;
      }
    } else if (a == "--findings") {
      o.findings_only = true;
    } else if (a == "--mos-below") {
      value(v);
      o.mos_below = static_cast<float>(std::atof(v.c_str()));
      if (o.mos_below <= 0 || o.mos_below > 5) {
        std::fprintf(stderr, "sipscope-view: bad --mos-below '%s' (1 to 5)\n", v.c_str());
        return 2;
      }
    } else if (a == "--since") {
      value(o.since);
    } else if (a == "--until") {
      value(o.until);
    } else if (a == "--colour" || a == "--color") {
      value(v);
      if (v == "kind") o.colour = 0;
      else if (v == "dialog") o.colour = 1;
      else if (v == "transaction") o.colour = 2;
      else {
        std::fprintf(stderr, "sipscope-view: bad --colour '%s' (kind, dialog or transaction)\n", v.c_str());
        return 2;
      }
    } else if (a == "--no-evidence") {
      o.evidence = false;
    } else if (a == "--column-order") {
      value(v);
      std::size_t start = 0;
      while (start < v.size()) {
        const std::size_t comma = v.find(',', start);
        std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!one.empty()) o.column_order.push_back(one);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--tree-node") {
      value(o.tree_node);
    } else if (a == "--ladder-png") {
      value(ladder_png);
    } else if (a == "--all") {
      o.all_kinds = true;
    } else if (a == "--relative") {
      o.relative_time = true;
    } else if (a == "--list-width") {
      value(v);
      o.list_width = static_cast<float>(std::atof(v.c_str()));
      if (o.list_width < 0.1f || o.list_width > 0.9f) {
        std::fprintf(stderr, "sipscope-view: bad --list-width '%s' (0.1 to 0.9)\n", v.c_str());
        return 2;
      }
    } else if (a == "--light") {
      o.light = true;
    } else if (a == "--size") {
      value(v);
      if (std::sscanf(v.c_str(), "%dx%d", &width, &height) != 2 || width < 320 || height < 240 || width > 8192 ||
          height > 8192) {
        std::fprintf(stderr, "sipscope-view: bad --size '%s' (WxH, from 320x240 to 8192x8192)\n", v.c_str());
        return 2;
      }
    } else if (a == "--screenshot") {
      value(screenshot);
    } else if (a == "--keys") {
      value(v);
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t comma = v.find(',', start);
        const std::string k = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        int code = -1;
        if (k == "Up") code = GLFW_KEY_UP;
        else if (k == "Down") code = GLFW_KEY_DOWN;
        else if (k == "Enter") code = GLFW_KEY_ENTER;
        else if (k == "Escape") code = GLFW_KEY_ESCAPE;
        else if (k == "Space") code = GLFW_KEY_SPACE;
        else if (k == "F3") code = GLFW_KEY_F3;
        if (code < 0) {
          std::fprintf(stderr, "sipscope-view: unknown key '%s' in --keys (Up, Down, Enter, Escape, Space, F3)\n", k.c_str());
          return 2;
        }
        keys.push_back(code);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--timings") {
      timings = true;
    } else if (a == "--frame-bench") {
      value(v);
      frame_bench = std::atoi(v.c_str());
      if (frame_bench <= 0 || frame_bench > 100000) {
        std::fprintf(stderr, "sipscope-view: bad --frame-bench '%s' (a number of frames)\n", v.c_str());
        return 2;
      }
    } else if (a == "--layout-json") {
      value(o.layout_json);
    } else if (a == "--font-size") {
      value(v);
      font_px = static_cast<float>(std::atof(v.c_str()));
      if (font_px < 6 || font_px > 64) {
        std::fprintf(stderr, "sipscope-view: bad --font-size '%s' (6 to 64)\n", v.c_str());
        return 2;
      }
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "sipscope-view: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    } else {
      if (!file_exists(a.c_str())) {
        std::fprintf(stderr, "sipscope-view: cannot open '%s': no such file\n", a.c_str());
        return 2;
      }
      o.files.push_back(a);
    }
  }
  const bool headless = !screenshot.empty() || frame_bench > 0;
  o.headless = headless;
  if (headless && o.files.empty()) {
    std::fprintf(stderr, "sipscope-view: --screenshot and --frame-bench need a FILE\n");
    return 2;
  }

  glfwSetErrorCallback(glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "sipscope-view: no display (set DISPLAY, or run under xvfb-run for --screenshot)\n");
    return 3;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  if (headless) glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE);
  GLFWwindow* win = glfwCreateWindow(width, height, "sipscope-view", nullptr, nullptr);
  if (!win) {
    std::fprintf(stderr, "sipscope-view: cannot create an OpenGL 3 window\n");
    glfwTerminate();
    return 3;
  }
  glfwMakeContextCurrent(win);
  glfwSwapInterval(headless ? 0 : 1);
  glfwSetDropCallback(win, on_drop);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  std::string ini = headless ? std::string() : config_ini();
  io.IniFilename = ini.empty() ? nullptr : ini.c_str();
  app::register_settings();
  if (!ini.empty()) ImGui::LoadIniSettingsFromDisk(ini.c_str());

  // DPI: the monitor's content scale (1 under Xvfb) times the requested size.
  float xs = 1, ys = 1;
  glfwGetWindowContentScale(win, &xs, &ys);
  const float px = std::round(font_px * std::max(1.0f, xs));
  const char* mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
  if (file_exists(mono)) io.Fonts->AddFontFromFileTTF(mono, px);
  else {
    ImFontConfig cfg;
    cfg.SizePixels = std::round(13 * std::max(1.0f, xs));
    io.Fonts->AddFontDefault(&cfg);
  }
  ImGui::GetStyle().ScaleAllSizes(std::max(1.0f, xs));

  ImGui_ImplGlfw_InitForOpenGL(win, true);
  ImGui_ImplOpenGL3_Init("#version 130");

  int rc = 0;
  {
    app ui(o);
    const auto t_start = std::chrono::steady_clock::now();
    int settled_frames = 0;
    std::string png_pending;
    std::chrono::steady_clock::time_point loaded_wait{};
    std::size_t next_key = 0;
    int key_down = -1;
    double first_listed = -1, loaded_at = -1, bench_with = 0;
    int bench_frames = 0;
    std::chrono::steady_clock::time_point bench_t0;
    while (!glfwWindowShouldClose(win) && !ui.quit()) {
      if (headless) glfwPollEvents();
      // Without input, a frame every 0.1 s while loading or reading back (progress, rows
      // appearing), every 0.5 s otherwise: software GL frames are not free, and the worker
      // shares the CPUs.
      else glfwWaitEventsTimeout(ui.settled() ? 0.5 : 0.1);
      if (!g_dropped.empty()) {
        ui.open(g_dropped);
        g_dropped.clear();
      }
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      // Headless: wherever Xvfb's pointer is, it hovers nothing (no stray tooltip in a picture).
      if (headless) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      // --keys: once everything is in place, press one key per two frames (down, then up).
      if (key_down >= 0) {
        io.KeysDown[key_down] = false;
        key_down = -1;
      } else if (next_key < keys.size() && ui.settled()) {
        key_down = keys[next_key++];
        io.KeysDown[key_down] = true;
        settled_frames = 0;
      }
      ImGui::NewFrame();
      int fw, fh;
      glfwGetFramebufferSize(win, &fw, &fh);
      ui.frame(io.DisplaySize.x, io.DisplaySize.y);
      ImGui::Render();
      glViewport(0, 0, fw, fh);
      glClearColor(0.1f, 0.1f, 0.12f, 1);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      if (!png_pending.empty()) {
        // File > Save window as PNG, asked for in the previous frame: this one is without the popup.
        std::string err;
        std::vector<std::uint8_t> img = read_window(fw, fh);
        ui.png_saved(write_png(png_pending, fw, fh, img, err) ? "window saved to " + png_pending : err);
        png_pending.clear();
      }
      png_pending = ui.take_png_request();
      {
        // File > Export ladder as PNG: the ladder pane of this frame (its popup closed in the
        // frame before). Window pixels to framebuffer pixels: the same factor both ways.
        float rect[4];
        const std::string out = ui.take_ladder_png_request(rect);
        if (!out.empty()) {
          int w, h;
          std::string err;
          const std::vector<std::uint8_t> img = crop(read_window(fw, fh), fw, fh, rect, static_cast<float>(fw) / io.DisplaySize.x, w, h);
          ui.png_saved(write_png(out, w, h, img, err) ? "ladder saved to " + out : err);
        }
      }
      if (timings) {
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_process).count();
        if (first_listed < 0 && ui.listed() > 0) {
          first_listed = t;
          std::fprintf(stderr, "sipscope-view: first call listed after %.3f s\n", t);
        }
        if (loaded_at < 0 && !ui.loading()) {
          loaded_at = t;
          std::fprintf(stderr, "sipscope-view: loading complete after %.3f s, %zu calls listed\n", t, ui.listed());
          if (screenshot.empty() && frame_bench == 0) break;
        }
      }
      if (frame_bench > 0 && ui.settled()) {
        // Mean frame time, rendering finished (glFinish): the ladder, then nothing selected.
        glFinish();
        const auto t0 = std::chrono::steady_clock::now();
        ++bench_frames;
        if (bench_frames == 1) bench_t0 = t0;
        if (bench_frames == frame_bench + 1) {
          const double with = std::chrono::duration<double>(t0 - bench_t0).count() / frame_bench;
          std::fprintf(stderr, "sipscope-view: %.3f ms per frame with a ladder of %zu messages\n", with * 1e3, ui.ladder_rows());
          bench_with = with;
          ui.clear_selection();
          bench_t0 = t0;
        } else if (bench_frames == 2 * frame_bench + 2) {
          const double without = std::chrono::duration<double>(t0 - bench_t0).count() / (frame_bench + 1);
          std::fprintf(stderr, "sipscope-view: %.3f ms per frame with no ladder; ratio %.2f\n", without * 1e3, bench_with / without);
          break;
        }
        glfwSwapBuffers(win);
        continue;
      }
      if (headless && !screenshot.empty()) {
        // A few frames after everything is in place (ImGui sizes tables and scroll regions
        // from the previous frame), read the back buffer.
        if (ui.settled() && next_key == keys.size() && key_down < 0) ++settled_frames;
        if (settled_frames >= 4) {
          std::vector<std::uint8_t> flipped = read_window(fw, fh);
          if (const std::string why = ui.failure(); !why.empty()) {
            // Nothing to show: say why, write no picture.
            std::fprintf(stderr, "sipscope-view: cannot read the capture: %s\n", why.c_str());
            rc = 2;
            break;
          }
          std::string err;
          if (!ui.write_layout_json()) std::fprintf(stderr, "sipscope-view: cannot write the --layout-json file\n");
          if (!ladder_png.empty()) {
            float rect[4];
            ui.ladder_rect(rect);
            int w, h;
            std::string e2;
            const std::vector<std::uint8_t> img = crop(flipped, fw, fh, rect, static_cast<float>(fw) / io.DisplaySize.x, w, h);
            if (!write_png(ladder_png, w, h, img, e2)) {
              std::fprintf(stderr, "sipscope-view: %s\n", e2.c_str());
              rc = 2;
            }
          }
          if (!write_png(screenshot, fw, fh, flipped, err)) {
            std::fprintf(stderr, "sipscope-view: %s\n", err.c_str());
            rc = 2;
          }
          break;
        }
        if (std::chrono::steady_clock::now() - t_start > std::chrono::minutes(10)) {
          std::fprintf(stderr, "sipscope-view: loading took more than 10 minutes, no screenshot\n");
          rc = 2;
          break;
        }
        // Loaded but some pane still waits (a message or RTP stream being read back): keep
        // drawing, slowly; a wait of more than a minute is a bug, not worth a stuck process.
        if (!ui.loading() && loaded_wait.time_since_epoch().count() == 0) loaded_wait = std::chrono::steady_clock::now();
        if (!ui.loading() && !ui.settled() && std::chrono::steady_clock::now() - loaded_wait > std::chrono::minutes(1)) {
          std::fprintf(stderr, "sipscope-view: the window did not settle within a minute of loading, no screenshot\n");
          rc = 2;
          break;
        }
        if (!ui.settled()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      glfwSwapBuffers(win);
    }
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(win);
  glfwTerminate();
  return rc;
}
