// training/metrics.cpp — metrics.jsonl and the training-curves SVG (see the header).
#include "training/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace bertforge::training {

MetricsLog::MetricsLog(std::filesystem::path path, int64_t keep_up_to_step) : path_(std::move(path)) {
  std::error_code ec;
  if (keep_up_to_step >= 0 && std::filesystem::exists(path_, ec)) {
    std::string kept;
    for (auto& r : read(path_))
      if (r.value("step", int64_t{0}) <= keep_up_to_step) kept += r.dump() + "\n";
    write_file_atomic(path_, kept);
  }
  out_.open(path_, std::ios::app);
  if (!out_) throw io_error(path_.string(), "cannot open for appending");
}

void MetricsLog::append(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) throw io_error(path_.string(), "write failed (disk full?)");
}

std::vector<nlohmann::json> MetricsLog::read(const std::filesystem::path& path) {
  std::istringstream in(read_file(path));
  std::vector<nlohmann::json> out;
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      // A run killed mid-write can leave a partial last line: skip it, but not a bad line in the middle.
      if (in.peek() == EOF) break;
      throw format_error(path.string(), n, std::string("not a JSON line: ") + e.what());
    }
  }
  return out;
}

namespace {

struct Series {
  std::string label;
  std::string color;
  std::vector<std::pair<double, double>> points;  // (step, value)
  bool dashed = false;
};

// Round tick spacing (1, 2 or 5 times a power of ten) giving about `target` ticks over [lo, hi].
double nice_step(double lo, double hi, int target) {
  double span = hi - lo;
  if (!(span > 0)) return 1.0;
  double raw = span / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / mag;
  double m = r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10;
  return m * mag;
}

std::string fmt_tick(double v, double step) {
  if (v == 0) return "0";
  double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.1e}", v);
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step))));
  return fmt::format("{:.{}f}", v, std::min(decimals, 6));
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

// One panel: frame, grid, ticks with labels, axis titles, the series as polylines (dots when one point),
// and a legend in the top-right corner.
void draw_panel(std::ostringstream& svg, double x0, double y0, double w, double h, const std::string& title,
                const std::string& y_label, const std::vector<Series>& series, double step_lo,
                double step_hi) {
  double vlo = INFINITY, vhi = -INFINITY;
  for (auto& s : series)
    for (auto& [x, y] : s.points)
      if (std::isfinite(y)) vlo = std::min(vlo, y), vhi = std::max(vhi, y);
  bool empty = !std::isfinite(vlo);
  if (empty) vlo = 0, vhi = 1;
  if (vhi - vlo < 1e-12) {
    double pad = std::max(std::fabs(vhi) * 0.05, 1e-6);
    vlo -= pad, vhi += pad;
  }
  double ystep = nice_step(vlo, vhi, 5);
  vlo = std::floor(vlo / ystep) * ystep;
  vhi = std::ceil(vhi / ystep) * ystep;
  double xstep = nice_step(step_lo, step_hi, 8);
  auto px = [&](double x) { return x0 + (x - step_lo) / (step_hi - step_lo) * w; };
  auto py = [&](double y) { return y0 + h - (y - vlo) / (vhi - vlo) * h; };

  svg << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"14\" font-weight=\"bold\">{}</text>\n", x0,
                     y0 - 8, escape(title));
  svg << fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"white\" "
      "stroke=\"#333\"/>\n",
      x0, y0, w, h);
  for (double y = vlo; y <= vhi + ystep * 1e-6; y += ystep) {
    double yy = py(y);
    svg << fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n",
                       x0, yy, x0 + w, yy);
    svg << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                       x0 - 5, yy + 4, fmt_tick(y, ystep));
  }
  double xfirst = std::ceil(step_lo / xstep) * xstep;
  for (double x = xfirst; x <= step_hi + xstep * 1e-6; x += xstep) {
    double xx = px(x);
    svg << fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n",
                       xx, y0, xx, y0 + h);
    svg << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
                       xx, y0 + h + 15, fmt_tick(x, xstep));
  }
  svg << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\">step</text>\n",
                     x0 + w / 2, y0 + h + 32);
  svg << fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 {:.1f} {:.1f})\">{}</text>\n",
      x0 - 55, y0 + h / 2, x0 - 55, y0 + h / 2, escape(y_label));
  if (empty)
    svg << fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#888\">"
        "no data</text>\n",
        x0 + w / 2, y0 + h / 2);
  int legend = 0;
  for (auto& s : series) {
    if (s.points.empty()) continue;
    std::string pts;
    for (auto& [x, y] : s.points)
      if (std::isfinite(y)) pts += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    svg << fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{} points=\"{}\"/>\n",
                       s.color, s.dashed ? " stroke-dasharray=\"5,3\"" : "", pts);
    if (s.points.size() <= 30)
      for (auto& [x, y] : s.points)
        if (std::isfinite(y))
          svg << fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.2\" fill=\"{}\"/>\n", px(x), py(y),
                             s.color);
    double ly = y0 + 16 + 16 * legend++;
    svg << fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"2\"/>\n",
        x0 + w - 150, ly - 4, x0 + w - 128, ly - 4, s.color);
    svg << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>\n", x0 + w - 122, ly,
                       escape(s.label));
  }
}

Series collect(const std::vector<nlohmann::json>& records, const std::string& key, const std::string& label,
               const std::string& color, bool dashed = false) {
  Series s{label, color, {}, dashed};
  for (auto& r : records)
    if (r.contains(key) && r[key].is_number() && r.contains("step"))
      s.points.push_back({r["step"].get<double>(), r[key].get<double>()});
  return s;
}

}  // namespace

void write_training_curves_svg(const std::filesystem::path& path, const std::vector<nlohmann::json>& records,
                               const std::string& title) {
  Series loss = collect(records, "loss", "train loss", "#1f77b4");
  Series eval_loss = collect(records, "eval_loss", "eval loss", "#d62728", true);
  Series mlm = collect(records, "eval_mlm_accuracy", "eval MLM accuracy", "#2ca02c");
  Series nsp = collect(records, "eval_nsp_accuracy", "eval NSP accuracy", "#9467bd", true);
  Series lr = collect(records, "learning_rate", "learning rate", "#ff7f0e");
  double lo = INFINITY, hi = -INFINITY;
  for (auto* s : {&loss, &eval_loss, &mlm, &nsp, &lr})
    for (auto& [x, y] : s->points) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + 1;
  lo = std::min(lo, 0.0);

  const bool has_acc = !mlm.points.empty() || !nsp.points.empty();
  const double width = 900, left = 85, panel_w = 780;
  const double loss_h = 260, acc_h = 160, lr_h = 140, gap = 75, top = 60;
  double height = top + loss_h + gap + (has_acc ? acc_h + gap : 0) + lr_h + 50;
  std::ostringstream svg;
  svg << fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"sans-serif\">\n",
      width, height, width, height);
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n";
  svg << fmt::format("<text x=\"{:.0f}\" y=\"28\" font-size=\"17\" text-anchor=\"middle\">{}</text>\n",
                     width / 2, escape(title));
  double y = top;
  draw_panel(svg, left, y, panel_w, loss_h, "Loss (MLM + NSP)", "loss", {loss, eval_loss}, lo, hi);
  y += loss_h + gap;
  if (has_acc) {
    draw_panel(svg, left, y, panel_w, acc_h, "Held-out accuracy", "accuracy", {mlm, nsp}, lo, hi);
    y += acc_h + gap;
  }
  draw_panel(svg, left, y, panel_w, lr_h, "Learning rate", "learning rate", {lr}, lo, hi);
  svg << "</svg>\n";
  write_file_atomic(path, svg.str());
}

}  // namespace bertforge::training
