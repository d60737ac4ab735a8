// io/safetensors.h — the safetensors file format, read and written by bertforge's own code: an 8-byte
// little-endian header length N, N bytes of JSON ({"name": {"dtype","shape","data_offsets"}, optional
// "__metadata__"}), then the raw little-endian tensor bytes. model.safetensors of a model folder uses it.
//
// Files are untrusted: the reader bounds the header size, checks every dtype, shape and offset, and that
// the tensors tile the data area exactly (sorted, contiguous, no overlaps, no holes). A bad file is an Error
// naming the file and the tensor, never a crash or a huge allocation. Data is memory-mapped, not read.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertforge::io {

// The format's dtypes, in the order the reference implementation sorts by (wider first when writing).
enum class StDtype { kBool, kU8, kI8, kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64 };

const char* dtype_name(StDtype dtype);                      // "F32"
std::optional<StDtype> parse_dtype(std::string_view name);  // nullopt for unknown names
size_t dtype_size(StDtype dtype);                           // bytes per element
std::optional<torch::ScalarType> to_torch(StDtype dtype);   // nullopt for U16/U32/U64
std::optional<StDtype> from_torch(torch::ScalarType type);

struct TensorEntry {
  std::string name;
  StDtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range in the data area (after the header)
  int64_t numel() const;
};

class SafetensorsReader {
 public:
  // Default bound on the JSON header (the reference implementation uses 100 MB too).
  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

  explicit SafetensorsReader(const std::filesystem::path& path, uint64_t max_header_bytes = kMaxHeaderBytes);
  ~SafetensorsReader();
  SafetensorsReader(const SafetensorsReader&) = delete;
  SafetensorsReader& operator=(const SafetensorsReader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Tensors in data order (ascending offsets).
  const std::vector<TensorEntry>& entries() const { return entries_; }
  const TensorEntry* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The raw bytes of a tensor (a view into the mapping).
  std::string_view bytes(const TensorEntry& entry) const;
  // A copy in the stored dtype (error for U16/U32/U64, which LibTorch lacks).
  torch::Tensor tensor(const std::string& name) const;
  // A float32 copy of a F32/F16/BF16/F64 tensor; other dtypes are an Error naming the tensor.
  torch::Tensor tensor_f32(const std::string& name) const;

 private:
  const TensorEntry& require(const std::string& name) const;

  std::filesystem::path path_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t data_offset_ = 0;
  std::vector<TensorEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (CPU; any dtype with a safetensors equivalent) to `path` atomically: temp file, fsync,
// rename. Layout as the reference writer: tensors sorted by dtype (wider first) then name, header padded with
// spaces to a multiple of 8, "__metadata__" first. The same input always gives the same bytes.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace bertforge::io
