// io/safetensors.cpp — safetensors reader (mmap, strict validation of untrusted headers) and writer.
#include "io/safetensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "common/error.h"
#include "common/fs.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this build assumes a "
              "little-endian host");

namespace bertforge::io {

namespace {

struct DtypeInfo {
  StDtype dtype;
  const char* name;
  size_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {StDtype::kBool, "BOOL", 1}, {StDtype::kU8, "U8", 1},   {StDtype::kI8, "I8", 1},
    {StDtype::kI16, "I16", 2},   {StDtype::kU16, "U16", 2}, {StDtype::kF16, "F16", 2},
    {StDtype::kBF16, "BF16", 2}, {StDtype::kI32, "I32", 4}, {StDtype::kU32, "U32", 4},
    {StDtype::kF32, "F32", 4},   {StDtype::kF64, "F64", 8}, {StDtype::kI64, "I64", 8},
    {StDtype::kU64, "U64", 8},
};

Error bad(const std::filesystem::path& path, const std::string& what) {
  return Error(ErrorKind::kFormat, fmt::format("{}: not a valid safetensors file: {}", path.string(), what));
}

}  // namespace

const char* dtype_name(StDtype dtype) {
  return kDtypes[static_cast<int>(dtype)].name;
}
size_t dtype_size(StDtype dtype) {
  return kDtypes[static_cast<int>(dtype)].size;
}

std::optional<StDtype> parse_dtype(std::string_view name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.dtype;
  return std::nullopt;
}

std::optional<torch::ScalarType> to_torch(StDtype dtype) {
  switch (dtype) {
    case StDtype::kBool:
      return torch::kBool;
    case StDtype::kU8:
      return torch::kUInt8;
    case StDtype::kI8:
      return torch::kInt8;
    case StDtype::kI16:
      return torch::kInt16;
    case StDtype::kF16:
      return torch::kHalf;
    case StDtype::kBF16:
      return torch::kBFloat16;
    case StDtype::kI32:
      return torch::kInt32;
    case StDtype::kF32:
      return torch::kFloat;
    case StDtype::kF64:
      return torch::kDouble;
    case StDtype::kI64:
      return torch::kLong;
    default:
      return std::nullopt;
  }
}

std::optional<StDtype> from_torch(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    auto t = to_torch(d.dtype);
    if (t && *t == type) return d.dtype;
  }
  return std::nullopt;
}

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// ---- reader ----

SafetensorsReader::SafetensorsReader(const std::filesystem::path& path, uint64_t max_header_bytes)
    : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error(path.string(), fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw io_error(path.string(), "not a regular file");
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {
    ::close(fd);
    throw bad(path, fmt::format("file is {} bytes, shorter than the 8-byte header length", file_size));
  }
  void* m = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw io_error(path.string(), fmt::format("cannot mmap: {}", std::strerror(errno)));
  map_ = static_cast<const uint8_t*>(m);
  map_size_ = file_size;

  try {
    uint64_t header_len = 0;
    std::memcpy(&header_len, map_, 8);
    if (header_len > max_header_bytes)
      throw bad(path,
                fmt::format("header length {} exceeds the limit of {} bytes", header_len, max_header_bytes));
    if (header_len > file_size - 8)
      throw bad(path, fmt::format("header length {} runs past the end of the file ({} bytes)", header_len,
                                  file_size));
    if (header_len < 2 || map_[8] != '{') throw bad(path, "the header does not start with '{'");
    data_offset_ = 8 + header_len;
    const uint64_t data_size = file_size - data_offset_;

    // Duplicate names would make the file ambiguous: refuse them while parsing.
    std::set<std::string> seen;
    nlohmann::json::parser_callback_t on_key = [&](int depth, nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
      if (depth == 1 && event == nlohmann::json::parse_event_t::key) {
        auto name = parsed.get<std::string>();
        if (!seen.insert(name).second) throw bad(path, fmt::format("tensor '{}' is listed twice", name));
      }
      return true;
    };
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(reinterpret_cast<const char*>(map_ + 8),
                                     reinterpret_cast<const char*>(map_ + 8 + header_len), on_key);
    } catch (const nlohmann::json::exception& e) {
      throw bad(path, fmt::format("header is not valid JSON: {}", e.what()));
    }
    if (!header.is_object()) throw bad(path, "header is not a JSON object");

    for (auto& [name, value] : header.items()) {
      if (name == "__metadata__") {
        if (!value.is_object()) throw bad(path, "__metadata__ is not an object of strings");
        for (auto& [k, v] : value.items()) {
          if (!v.is_string()) throw bad(path, fmt::format("__metadata__ value of '{}' is not a string", k));
          metadata_[k] = v.get<std::string>();
        }
        continue;
      }
      auto where = [&](const std::string& what) {
        return bad(path, fmt::format("tensor '{}': {}", name, what));
      };
      if (!value.is_object()) throw where("entry is not an object");
      TensorEntry e;
      e.name = name;
      auto dt = value.find("dtype");
      if (dt == value.end() || !dt->is_string()) throw where("missing dtype");
      auto parsed = parse_dtype(dt->get<std::string>());
      if (!parsed) throw where(fmt::format("unknown dtype '{}'", dt->get<std::string>()));
      e.dtype = *parsed;
      auto sh = value.find("shape");
      if (sh == value.end() || !sh->is_array()) throw where("missing shape");
      // numel * element size must fit in the data area; check as we multiply so nothing overflows.
      unsigned __int128 nbytes = dtype_size(e.dtype);
      // The element count without the zero dimensions must fit int64 too: LibTorch multiplies the sizes in
      // int64 even for an empty tensor ([2^40, 2^40, 0] is 0 bytes but not a shape it can hold).
      unsigned __int128 nonzero = 1;
      for (const auto& d : *sh) {
        if (!d.is_number_unsigned())
          throw where(fmt::format("shape {} has a non-integer or negative size", sh->dump()));
        uint64_t s = d.get<uint64_t>();
        if (s > static_cast<uint64_t>(INT64_MAX)) throw where("dimension too large");
        e.shape.push_back(static_cast<int64_t>(s));
        nbytes *= s;
        if (nbytes > UINT64_MAX)
          nbytes = static_cast<unsigned __int128>(UINT64_MAX) + 1;  // saturate: never wraps
        if (s) nonzero *= s;
        if (nonzero > static_cast<uint64_t>(INT64_MAX))
          throw where(fmt::format("shape {} has more than 2^63 elements", sh->dump()));
      }
      auto off = value.find("data_offsets");
      if (off == value.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
          !(*off)[1].is_number_unsigned())
        throw where("data_offsets must be [begin, end] non-negative integers");
      e.begin = (*off)[0].get<uint64_t>();
      e.end = (*off)[1].get<uint64_t>();
      if (e.begin > e.end) throw where(fmt::format("data_offsets [{}, {}] are reversed", e.begin, e.end));
      if (e.end > data_size)
        throw where(fmt::format("data_offsets [{}, {}] run past the data area ({} bytes)", e.begin, e.end,
                                data_size));
      if (nbytes != e.end - e.begin)
        throw where(fmt::format("dtype {} x shape {} needs {} bytes but data_offsets [{}, {}] span {}",
                                dtype_name(e.dtype), sh->dump(),
                                nbytes > UINT64_MAX ? std::string("more than 2^64")
                                                    : std::to_string(static_cast<uint64_t>(nbytes)),
                                e.begin, e.end, e.end - e.begin));
      entries_.push_back(std::move(e));
    }
    // The tensors must tile the data area exactly, in offset order.
    std::sort(entries_.begin(), entries_.end(), [](const TensorEntry& a, const TensorEntry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t cursor = 0;
    for (const auto& e : entries_) {
      if (e.begin < cursor) throw bad(path, fmt::format("tensor '{}' overlaps the tensor before it", e.name));
      if (e.begin > cursor)
        throw bad(path, fmt::format("tensor '{}' starts at {} leaving a gap after byte {}", e.name, e.begin,
                                    cursor));
      cursor = e.end;
    }
    if (cursor != data_size)
      throw bad(path, fmt::format("tensors cover {} bytes but the data area holds {}", cursor, data_size));
    for (size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
  } catch (...) {
    ::munmap(const_cast<uint8_t*>(map_), map_size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsReader::~SafetensorsReader() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), map_size_);
}

const TensorEntry* SafetensorsReader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const TensorEntry& SafetensorsReader::require(const std::string& name) const {
  const TensorEntry* e = find(name);
  if (!e) throw Error(ErrorKind::kFormat, fmt::format("{}: no tensor named '{}'", path_.string(), name));
  return *e;
}

std::string_view SafetensorsReader::bytes(const TensorEntry& entry) const {
  return {reinterpret_cast<const char*>(map_ + data_offset_ + entry.begin), entry.end - entry.begin};
}

torch::Tensor SafetensorsReader::tensor(const std::string& name) const {
  const TensorEntry& e = require(name);
  auto type = to_torch(e.dtype);
  if (!type)
    throw Error(ErrorKind::kUnsupported,
                fmt::format("{}: tensor '{}' has dtype {}, which LibTorch cannot hold", path_.string(), name,
                            dtype_name(e.dtype)));
  auto t = torch::empty(e.shape, torch::TensorOptions().dtype(*type));
  auto raw = bytes(e);
  // memcpy rather than from_blob: the data may not be aligned for the element type.
  if (!raw.empty()) std::memcpy(t.data_ptr(), raw.data(), raw.size());
  return t;
}

torch::Tensor SafetensorsReader::tensor_f32(const std::string& name) const {
  const TensorEntry& e = require(name);
  if (e.dtype != StDtype::kF32 && e.dtype != StDtype::kF16 && e.dtype != StDtype::kBF16 &&
      e.dtype != StDtype::kF64)
    throw Error(ErrorKind::kFormat,
                fmt::format("{}: tensor '{}' has dtype {}, expected a float type (F32, F16, BF16)",
                            path_.string(), name, dtype_name(e.dtype)));
  auto t = tensor(name);
  return t.scalar_type() == torch::kFloat ? t : t.to(torch::kFloat);
}

// ---- writer ----

void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  struct Item {
    std::string name;
    StDtype dtype;
    torch::Tensor data;  // contiguous CPU
  };
  std::vector<Item> items;
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") throw Error(ErrorKind::kInternal, "a tensor cannot be named __metadata__");
    if (!names.insert(name).second)
      throw Error(ErrorKind::kInternal, fmt::format("tensor '{}' given twice", name));
    auto dt = from_torch(t.scalar_type());
    if (!dt)
      throw Error(ErrorKind::kUnsupported, fmt::format("tensor '{}': dtype {} has no safetensors equivalent",
                                                       name, c10::toString(t.scalar_type())));
    items.push_back({name, *dt, t.detach().to(torch::kCPU).contiguous()});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.dtype != b.dtype ? a.dtype > b.dtype : a.name < b.name;
  });

  // Header by hand so key order is fixed: __metadata__, then tensors in data order; fields dtype, shape,
  // data_offsets, as the reference writer emits them.
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":" + nlohmann::json(metadata).dump();
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& it : items) {
    const uint64_t n = static_cast<uint64_t>(it.data.numel()) * dtype_size(it.dtype);
    if (!first) header += ",";
    first = false;
    header += nlohmann::json(it.name).dump() + ":{\"dtype\":\"" + dtype_name(it.dtype) +
              "\",\"shape\":" + nlohmann::json(it.data.sizes().vec()).dump() + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + n) + "]}";
    offset += n;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';

  const auto tmp = temp_sibling(path);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw io_error(tmp.string(), fmt::format("cannot create: {}", std::strerror(errno)));
  bool ok = true;
  const uint64_t header_len = header.size();
  ok = ok && std::fwrite(&header_len, 8, 1, f) == 1;
  ok = ok && std::fwrite(header.data(), 1, header.size(), f) == header.size();
  for (const auto& it : items) {
    const size_t n = static_cast<size_t>(it.data.numel()) * dtype_size(it.dtype);
    if (n) ok = ok && std::fwrite(it.data.data_ptr(), 1, n, f) == n;
  }
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const int saved_errno = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw io_error(path.string(), fmt::format("write failed: {}", std::strerror(saved_errno)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw io_error(path.string(), "cannot rename the finished file into place");
  }
}

}  // namespace bertforge::io
