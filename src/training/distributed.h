// training/distributed.h — data-parallel training on PyTorch's own c10d: a TCPStore rendezvous and a
// ProcessGroupGloo (CPU tensors) or, in a CUDA build of LibTorch, ProcessGroupNCCL (GPU tensors). The trainer
// (training/trainer.cpp) uses it to broadcast the initial weights, sum gradients in ~25 MB buckets, agree on
// global counts (masked tokens, NSP examples) and on stop decisions, and fence checkpoint writes.
//
//   launcher (torchrun --no-python, Slurm, mpirun, or plain env vars)
//     RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT ──DistributedEnv::from_environment──▶
//     Distributed::connect ──▶ collectives used by Trainer
//
// Without those variables (or with WORLD_SIZE=1) a Distributed is a single process and every collective is
// the identity, so the single-process trainer runs the exact same code path and gives the same bits.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bertforge::training {

// Where this process sits in the job, as the launcher told it through the environment.
struct DistributedEnv {
  int rank = 0;              // global rank, 0 .. world_size - 1
  int world_size = 1;        // number of processes
  int local_rank = 0;        // rank on this machine (picks cuda:<local_rank> with --device cuda)
  std::string master_addr;   // host of the rendezvous TCPStore (rank 0's machine)
  int master_port = 0;       // its port
  bool agent_store = false;  // torchrun's agent already serves the store (TORCHELASTIC_USE_AGENT_STORE)
  int restart_count = 0;     // torchrun's TORCHELASTIC_RESTART_COUNT (store keys are per attempt)
  std::string launcher;      // "env" (RANK/WORLD_SIZE), "torchrun", "slurm", "openmpi", or "" (none)

  // Reads RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT; when RANK is unset, Slurm's SLURM_PROCID/
  // SLURM_NTASKS/SLURM_LOCALID or Open MPI's OMPI_COMM_WORLD_RANK/_SIZE/_LOCAL_RANK (MASTER_ADDR and
  // MASTER_PORT still required when world size > 1). Inconsistent values are a config_error naming the
  // variable.
  static DistributedEnv from_environment();
  bool distributed() const { return world_size > 1; }
};

struct DistributedOptions {
  std::string backend;        // "" = nccl for CUDA tensors when compiled in, else gloo; or "gloo" / "nccl"
  double bucket_cap_mb = 25;  // gradients are flattened into buckets of at most this size (HF: 25)
  double timeout_seconds = 1800;  // rendezvous and collective timeout (HF's ddp_timeout)
};

// A process group, or a single process. Collectives must be called by every rank in the same order.
class Distributed {
 public:
  // The single process (world size 1): every collective is the identity.
  Distributed();
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  // Joins the job described by `env` (single process when env.world_size == 1). `device` is where the
  // model lives: CUDA tensors use NCCL when available (else they travel through Gloo via the CPU).
  static std::unique_ptr<Distributed> connect(const DistributedEnv& env, const DistributedOptions& options,
                                              const torch::Device& device);

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }
  bool active() const { return world_size_ > 1; }
  const std::string& backend() const { return backend_; }

  // Copies root's values into every rank's tensors, in place (bucketed).
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  // Sums each tensor over the ranks, in place: tensors are flattened into buckets of bucket_cap_mb (one
  // collective per bucket, all in flight together), then copied back.
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  // Sums the gradients of `params` over the ranks. A parameter whose gradient is undefined on some ranks
  // (not reached by their batch) gets a zero gradient there; one undefined on every rank stays undefined,
  // as in a single process.
  void all_reduce_gradients(const std::vector<torch::Tensor>& params);
  // Small host-side reductions: element-wise sum / max over the ranks.
  std::vector<double> sum(std::vector<double> values);
  std::vector<double> max(std::vector<double> values);
  // Rank 0's string on every rank (through the store).
  std::string broadcast_string(const std::string& value);
  // Rank 0 gathers one byte string from each rank (through the store); other ranks get an empty vector.
  std::vector<std::string> gather_strings(const std::string& value);
  void barrier();

  // Collective error check: every rank passes whether its local work succeeded; returns on all ranks when
  // all did, otherwise throws on every rank (the failed ranks' own message is theirs to rethrow, so they
  // should catch, call this with ok = false, then rethrow). `what` names the phase for the message.
  void check_all_ok(bool ok, const std::string& what);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, world_size_ = 1;
  std::string backend_ = "none";
};

// Whether this LibTorch was built with CUDA (compile-time: a CUDA LibTorch, see docs/distributed.md).
bool built_with_cuda();

}  // namespace bertforge::training
