// bench/bench_scrub.cpp — throughput of `bertforge scrub` (privacy/scrub_run.cpp, file to file) on a
// generated Korean-ish corpus with PII sprinkled in, at 1 and 2 threads, against the Python `re` reference
// scrubber (tests/reference/scrub_reference.py: same patterns and validators) run in the same process
// tree on a slice of the same corpus. Prints MB/s, the ratio, and how many output lines the two agree on.
//
//   build/bench/bench_scrub [--mb 200] [--runs 3] [--python-mb 20] [--dir /tmp] [--keep 1]
// Uses demo-output/corpus.txt (repeated, with PII lines mixed in) when the demo has been run.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/fs.h"
#include "common/log.h"
#include "common/progress.h"
#include "privacy/scrub.h"

namespace fs = std::filesystem;
using namespace bertforge;
using namespace bertforge::privacy;

namespace {

std::string pii(std::mt19937_64& rng) {
  auto num = [&](int digits) {
    std::string s;
    for (int i = 0; i < digits; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  switch (rng() % 8) {
    case 0:
      return "010-" + num(4) + "-" + num(4);
    case 1:
      return fmt::format("user{}@example.org", rng() % 1000000);
    case 2: {
      std::string d =
          fmt::format("{:02d}{:02d}{:02d}{}", rng() % 100, 1 + rng() % 12, 1 + rng() % 28, 1 + rng() % 4) +
          num(5);
      d.push_back(static_cast<char>('0' + rrn_check_digit(d, false)));
      return d.substr(0, 6) + "-" + d.substr(6);
    }
    case 3: {
      std::string d = "4" + num(14);
      for (char c = '0'; c <= '9'; ++c)
        if (luhn_valid(d + c))
          return (d + c).substr(0, 4) + " " + d.substr(4, 4) + " " + d.substr(8, 4) + " " +
                 (d + c).substr(12);
      return d;
    }
    case 4:
      return fmt::format("192.168.{}.{}", rng() % 256, rng() % 256);
    case 5:
      return "+82 10 " + num(4) + " " + num(4);
    case 6:
      return "02-" + num(3) + "-" + num(4);
    default:
      return "2001:db8::" + fmt::format("{:x}:{:x}", rng() % 65536, rng() % 65536);
  }
}

// About `bytes` of corpus text: sentences of Korean words, numbers, dates and prices; PII in ~1 line of 15.
std::string make_corpus(uint64_t bytes, const std::string& demo) {
  static const char* kWords[] = {"대한민국", "서울",   "학교에서", "학생들은", "연구",   "결과를", "발표했다",
                                 "경제",     "성장률", "회의",     "참석한",   "사람들", "새로운", "기술",
                                 "모델은",   "데이터", "문장을",   "예측한다", "그리고", "하지만", "오늘",
                                 "the",      "model",  "BERT",     "training", "corpus", "of",     "라고"};
  std::mt19937_64 rng(12345);
  std::string out;
  out.reserve(bytes + 4096);
  std::vector<std::string> demo_lines;
  for (size_t pos = 0; pos < demo.size();) {
    size_t nl = demo.find('\n', pos);
    if (nl == std::string::npos) nl = demo.size();
    demo_lines.push_back(demo.substr(pos, nl - pos));
    pos = nl + 1;
  }
  size_t di = 0;
  while (out.size() < bytes) {
    if (!demo_lines.empty()) {
      out += demo_lines[di++ % demo_lines.size()];
    } else {
      int n = 6 + static_cast<int>(rng() % 14);
      for (int i = 0; i < n; ++i) {
        if (i) out.push_back(' ');
        switch (rng() % 12) {
          case 0:
            out += fmt::format("{}년 {}월 {}일", 1990 + rng() % 35, 1 + rng() % 12, 1 + rng() % 28);
            break;
          case 1:
            out += fmt::format("{},{:03d}원", 1 + rng() % 999, rng() % 1000);
            break;
          case 2:
            out += fmt::format("{}.{}%", rng() % 100, rng() % 10);
            break;
          default:
            out += kWords[rng() % (sizeof kWords / sizeof *kWords)];
        }
      }
      out.push_back('.');
    }
    if (rng() % 15 == 0) out += " 연락처 " + pii(rng) + " 참고.";
    out.push_back('\n');
    if (rng() % 8 == 0) out.push_back('\n');
  }
  return out;
}

// CPU seconds (user + system) used so far by this process (who = RUSAGE_SELF) or its finished children.
double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Timing {
  double wall, cpu;
};

// Wall time and CPU time: on a shared machine the wall clock depends on the other load, CPU time does not.
Timing run_cpp(const std::string& in, const std::string& out, int threads) {
  ScrubOptions o;
  o.input = {in};
  o.output = out;
  o.threads = threads;
  o.overwrite = true;
  double c0 = cpu_seconds(RUSAGE_SELF);
  auto t0 = std::chrono::steady_clock::now();
  run_scrub(o);
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
          cpu_seconds(RUSAGE_SELF) - c0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  double mb = 200, python_mb = 20;
  int runs = 3;
  bool keep = false;  // --keep 1: leave the generated files (for profiling)
  std::string dir = fs::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--mb")
      mb = std::atof(argv[i + 1]);
    else if (a == "--runs")
      runs = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--python-mb")
      python_mb = std::atof(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--keep")
      keep = std::atoi(argv[i + 1]) != 0;
  }
  set_log_level(LogLevel::kWarn);
  ProgressBar::set_enabled(false);
  fs::path work = fs::path(dir) / fmt::format("bench-scrub-{}", ::getpid());
  fs::create_directories(work);
  std::string demo;
  fs::path demo_path = fs::path(BERTFORGE_SOURCE_DIR) / "demo-output" / "corpus.txt";
  if (fs::exists(demo_path)) demo = read_file(demo_path);
  std::string corpus = make_corpus(static_cast<uint64_t>(mb * 1e6), demo);
  std::string in = (work / "corpus.txt").string(), out = (work / "out.txt").string();
  { std::ofstream(in, std::ios::binary) << corpus; }
  const double size_mb = corpus.size() / 1e6;
  fmt::print("corpus: {:.1f} MB ({}), {} runs each, median\n", size_mb,
             demo.empty() ? "generated Korean-ish text with PII" : "demo-output/corpus.txt repeated + PII",
             runs);

  std::vector<double> t1, t2, c1, c2;
  for (int r = 0; r < runs; ++r) {
    Timing a = run_cpp(in, out, 1);
    t1.push_back(a.wall), c1.push_back(a.cpu);
  }
  for (int r = 0; r < runs; ++r) {
    Timing a = run_cpp(in, out, 2);
    t2.push_back(a.wall), c2.push_back(a.cpu);
  }
  double mbs1 = size_mb / median(t1), mbs2 = size_mb / median(t2);

  // The reference on a slice (Python is slow); the C++ scrubber on the same slice for the agreement check.
  size_t cut = corpus.find('\n', std::min(corpus.size() - 1, static_cast<size_t>(python_mb * 1e6)));
  std::string slice = corpus.substr(0, cut == std::string::npos ? corpus.size() : cut + 1);
  std::string sin = (work / "slice.txt").string(), sout = (work / "slice-cpp.txt").string(),
              pout = (work / "slice-py.txt").string();
  { std::ofstream(sin, std::ios::binary) << slice; }
  run_cpp(sin, sout, 1);
  std::string ref = fs::path(BERTFORGE_SOURCE_DIR) / "tests" / "reference" / "scrub_reference.py";
  std::vector<double> tp, cp;
  for (int r = 0; r < runs; ++r) {
    double c0 = cpu_seconds(RUSAGE_CHILDREN);
    auto t0 = std::chrono::steady_clock::now();
    int rc = std::system(
        fmt::format("python3 '{}' --input '{}' --output '{}' 2>/dev/null", ref, sin, pout).c_str());
    tp.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cp.push_back(cpu_seconds(RUSAGE_CHILDREN) - c0);
    if (rc != 0) {
      fmt::print("reference failed (exit {})\n", rc);
      fs::remove_all(work);
      return 1;
    }
  }
  double mbsp = slice.size() / 1e6 / median(tp);
  std::string a = read_file(sout), b = read_file(pout);
  size_t lines = 0, same = 0;
  for (size_t pa = 0, pb = 0; pa < a.size() && pb < b.size();) {
    size_t ea = a.find('\n', pa), eb = b.find('\n', pb);
    ++lines;
    same += a.compare(pa, ea - pa, b, pb, eb - pb) == 0;
    pa = ea + 1, pb = eb + 1;
  }
  const double slice_mb = slice.size() / 1e6;
  fmt::print("                             wall MB/s   (s)     MB per CPU-second  (CPU s)\n");
  fmt::print("bertforge scrub, 1 thread : {:8.1f}  ({:6.2f})   {:8.1f}  ({:6.2f})\n", mbs1, median(t1),
             size_mb / median(c1), median(c1));
  fmt::print("bertforge scrub, 2 threads: {:8.1f}  ({:6.2f})   {:8.1f}  ({:6.2f})\n", mbs2, median(t2),
             size_mb / median(c2), median(c2));
  fmt::print("python re reference       : {:8.1f}  ({:6.2f})   {:8.1f}  ({:6.2f})  on {:.1f} MB\n", mbsp,
             median(tp), slice_mb / median(cp), median(cp), slice_mb);
  fmt::print("ratio vs reference (wall): {:.1f}x (1 thread), {:.1f}x (2 threads); per CPU-second: {:.1f}x\n",
             mbs1 / mbsp, mbs2 / mbsp, (size_mb / median(c1)) / (slice_mb / median(cp)));
  fmt::print("outputs agree on {}/{} lines of the slice\n", same, lines);
  if (keep)
    fmt::print("files kept in {}\n", work.string());
  else
    fs::remove_all(work);
  return 0;
}
