// training/tensor_file.h — a small safetensors reader/writer for the trainer's own state files
// (optimizer.safetensors, rng_state.safetensors in checkpoints). safetensors keeps checkpoints free of pickle
// and readable by `safetensors.safe_open` in Python. Layout: u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the raw little-endian data.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

namespace bertforge::training {

struct TensorFile {
  std::map<std::string, torch::Tensor> tensors;  // contiguous CPU tensors
  std::map<std::string, std::string> metadata;   // "__metadata__": free-form strings
};

// Writes `file` to `path` (not atomic by itself: callers write into a folder that is renamed into place).
// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
void save_tensor_file(const std::filesystem::path& path, const TensorFile& file);
// Reads every tensor (copied out of the file). format_error naming the file on a malformed header/size.
TensorFile load_tensor_file(const std::filesystem::path& path);

}  // namespace bertforge::training
