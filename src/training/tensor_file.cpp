// training/tensor_file.cpp — safetensors encoding of the trainer's state tensors (see the header).
#include "training/tensor_file.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.h"
#include "common/fs.h"

namespace bertforge::training {

namespace {

struct DtypeName {
  torch::ScalarType type;
  const char* name;
};

const DtypeName kDtypes[] = {
    {torch::kFloat64, "F64"}, {torch::kFloat32, "F32"}, {torch::kFloat16, "F16"}, {torch::kBFloat16, "BF16"},
    {torch::kInt64, "I64"},   {torch::kInt32, "I32"},   {torch::kInt16, "I16"},   {torch::kInt8, "I8"},
    {torch::kUInt8, "U8"},    {torch::kBool, "BOOL"},
};

const char* dtype_name(torch::ScalarType t, const std::string& tensor, const std::filesystem::path& path) {
  for (auto& d : kDtypes)
    if (d.type == t) return d.name;
  throw Error(ErrorKind::kInternal, fmt::format("{}: tensor '{}' has dtype {} which safetensors cannot hold",
                                                path.string(), tensor, c10::toString(t)));
}

}  // namespace

void save_tensor_file(const std::filesystem::path& path, const TensorFile& file) {
  nlohmann::json header = nlohmann::json::object();
  std::vector<torch::Tensor> ordered;
  uint64_t offset = 0;
  for (auto& [name, t0] : file.tensors) {
    torch::Tensor t = t0.detach().to(torch::kCPU).contiguous();
    uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", dtype_name(t.scalar_type(), name, path)},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    ordered.push_back(t);
  }
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');  // the format pads the header to 8 bytes
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw io_error(path.string(), std::string("cannot create: ") + std::strerror(errno));
  uint64_t n = text.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (auto& t : ordered)
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
  out.flush();
  if (!out) throw io_error(path.string(), "write failed (disk full?)");
}

TensorFile load_tensor_file(const std::filesystem::path& path) {
  std::string data = read_file(path);
  auto bad = [&](const std::string& what) { return format_error(path.string(), 0, what); };
  if (data.size() < 8) throw bad("too short for a safetensors file");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  if (n > data.size() - 8) throw bad("header length beyond the end of the file");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data.begin() + 8, data.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  } catch (const std::exception& e) {
    throw bad(std::string("header is not JSON: ") + e.what());
  }
  const uint64_t base = 8 + n;
  const uint64_t body = data.size() - base;
  TensorFile file;
  for (auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      for (auto& [k, v] : info.items()) file.metadata[k] = v.get<std::string>();
      continue;
    }
    try {
      std::string dt = info.at("dtype").get<std::string>();
      torch::ScalarType type = torch::kFloat32;
      bool found = false;
      for (auto& d : kDtypes)
        if (dt == d.name) type = d.type, found = true;
      if (!found) throw bad(fmt::format("tensor '{}': unsupported dtype {}", name, dt));
      std::vector<int64_t> shape = info.at("shape").get<std::vector<int64_t>>();
      auto offs = info.at("data_offsets").get<std::vector<uint64_t>>();
      if (offs.size() != 2 || offs[0] > offs[1] || offs[1] > body)
        throw bad(fmt::format("tensor '{}': data offsets out of range", name));
      torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
      uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
      if (bytes != offs[1] - offs[0])
        throw bad(fmt::format("tensor '{}': size does not match its shape", name));
      if (bytes) std::memcpy(t.data_ptr(), data.data() + base + offs[0], bytes);
      file.tensors[name] = t;
    } catch (const nlohmann::json::exception& e) {
      throw bad(fmt::format("tensor '{}': malformed header entry: {}", name, e.what()));
    }
  }
  return file;
}

}  // namespace bertforge::training
