// training/distributed.cpp — see distributed.h. c10d's Gloo backend ships in Debian's libtorch_cpu (headers
// need USE_C10D_GLOO, set by CMakeLists.txt); NCCL is compiled in only with a CUDA LibTorch (USE_C10D_NCCL).
#include "training/distributed.h"

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <map>

#include "common/error.h"
#include "common/log.h"

namespace bertforge::training {

bool built_with_cuda() {
#ifdef BERTFORGE_WITH_CUDA
  return true;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------------------------------------
// Environment

namespace {

const char* env_or_null(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

int env_int(const char* name, int lo, int hi) {
  const char* v = env_or_null(name);
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || x < lo || x > hi)
    throw config_error(
        name, fmt::format("environment variable {}={} is not an integer in [{}, {}]", name, v, lo, hi));
  return static_cast<int>(x);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv e;
  const char *rank = "RANK", *size = "WORLD_SIZE", *local = "LOCAL_RANK";
  if (env_or_null("RANK") || env_or_null("WORLD_SIZE")) {
    e.launcher = env_or_null("TORCHELASTIC_RUN_ID") ? "torchrun" : "env";
  } else if (env_or_null("SLURM_PROCID") && env_or_null("SLURM_NTASKS") && env_or_null("MASTER_ADDR")) {
    rank = "SLURM_PROCID", size = "SLURM_NTASKS", local = "SLURM_LOCALID";
    e.launcher = "slurm";
  } else if (env_or_null("OMPI_COMM_WORLD_RANK") && env_or_null("MASTER_ADDR")) {
    rank = "OMPI_COMM_WORLD_RANK", size = "OMPI_COMM_WORLD_SIZE", local = "OMPI_COMM_WORLD_LOCAL_RANK";
    e.launcher = "openmpi";
  } else {
    return e;  // not launched as part of a job
  }
  if (!env_or_null(size)) throw config_error(size, fmt::format("{} is set but {} is not", rank, size));
  if (!env_or_null(rank)) throw config_error(rank, fmt::format("{} is set but {} is not", size, rank));
  e.world_size = env_int(size, 1, 1 << 20);
  e.rank = env_int(rank, 0, e.world_size - 1);
  e.local_rank = env_or_null(local) ? env_int(local, 0, 1 << 20) : 0;
  if (e.world_size == 1) return e;
  const char* addr = env_or_null("MASTER_ADDR");
  if (!addr)
    throw config_error("MASTER_ADDR", fmt::format("{}={} needs MASTER_ADDR (host of rank 0) and MASTER_PORT",
                                                  size, e.world_size));
  if (!env_or_null("MASTER_PORT"))
    throw config_error("MASTER_PORT",
                       "MASTER_ADDR is set but MASTER_PORT is not (a free TCP port on rank 0)");
  e.master_addr = addr;
  e.master_port = env_int("MASTER_PORT", 1, 65535);
  const char* agent = env_or_null("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && std::string(agent) == "True";
  if (env_or_null("TORCHELASTIC_RESTART_COUNT"))
    e.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0, 1 << 20);
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// Process group

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> gloo;  // host tensors, small reductions, barrier
  c10::intrusive_ptr<c10d::ProcessGroup> nccl;  // CUDA tensors (CUDA builds only)
  int64_t bucket_bytes = 25 << 20;
  uint64_t store_seq = 0;  // store keys of broadcast_string / gather_strings, same sequence on every rank

  // The group for tensors on `device`, and whether the tensors must travel through the CPU.
  c10d::ProcessGroup& group_for(const torch::Device& device, bool& via_cpu) {
    via_cpu = device.is_cuda() && !nccl;
    return device.is_cuda() && nccl ? *nccl : *gloo;
  }

  // Runs `op` (an all-reduce or broadcast of one flat tensor) over buckets of `tensors`, all buckets in
  // flight together, and copies the results back.
  template <class Op>
  void bucketed(const std::vector<torch::Tensor>& tensors, Op op) {
    struct Bucket {
      std::vector<torch::Tensor> members;
      torch::Tensor flat;
      c10::intrusive_ptr<c10d::Work> work;
      bool via_cpu = false;
    };
    std::vector<Bucket> buckets;
    Bucket cur;
    int64_t cur_bytes = 0;
    auto close = [&]() {
      if (cur.members.empty()) return;
      buckets.push_back(std::move(cur));
      cur = Bucket();
      cur_bytes = 0;
    };
    for (const auto& t : tensors) {
      const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
      if (!cur.members.empty() && (cur.members[0].scalar_type() != t.scalar_type() ||
                                   cur.members[0].device() != t.device() || cur_bytes + bytes > bucket_bytes))
        close();
      cur.members.push_back(t);
      cur_bytes += bytes;
    }
    close();
    for (auto& b : buckets) {
      std::vector<torch::Tensor> flats;
      flats.reserve(b.members.size());
      for (auto& t : b.members) flats.push_back(t.reshape({-1}));
      b.flat = flats.size() == 1 ? flats[0].clone() : torch::cat(flats);
      auto& pg = group_for(b.flat.device(), b.via_cpu);
      if (b.via_cpu) b.flat = b.flat.cpu();
      std::vector<torch::Tensor> io{b.flat};
      b.work = op(pg, io);
    }
    for (auto& b : buckets) {
      b.work->wait();
      int64_t offset = 0;
      torch::NoGradGuard no_grad;
      for (auto& t : b.members) {
        const int64_t n = t.numel();
        t.copy_(b.flat.slice(0, offset, offset + n).view(t.sizes()));
        offset += n;
      }
    }
  }
};

Distributed::Distributed() : impl_(std::make_unique<Impl>()) {}
Distributed::~Distributed() = default;

std::unique_ptr<Distributed> Distributed::connect(const DistributedEnv& env,
                                                  const DistributedOptions& options,
                                                  const torch::Device& device) {
  auto d = std::make_unique<Distributed>();
  d->impl_->bucket_bytes = std::max<int64_t>(1, static_cast<int64_t>(options.bucket_cap_mb * 1024 * 1024));
  if (!env.distributed()) return d;
  if (!options.backend.empty() && options.backend != "gloo" && options.backend != "nccl")
    throw config_error("ddp_backend", fmt::format("unknown backend '{}': use gloo or nccl (--ddp-backend)",
                                                  options.backend));
#ifndef USE_C10D_NCCL
  if (options.backend == "nccl")
    throw Error(ErrorKind::kUnsupported,
                "--ddp-backend nccl: this bertforge was built without NCCL (a CPU LibTorch); use gloo, or "
                "build against a CUDA LibTorch (docs/distributed.md)");
#endif
#ifndef USE_C10D_GLOO
  throw Error(ErrorKind::kUnsupported,
              fmt::format("WORLD_SIZE={}: this bertforge was built without c10d's Gloo backend (gloo headers "
                          "not found at configure time; Debian: apt install libgloo-dev, then rebuild)",
                          env.world_size));
#else
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  d->rank_ = env.rank;
  d->world_size_ = env.world_size;

  // Rendezvous: rank 0 serves a TCPStore on MASTER_ADDR:MASTER_PORT, unless torchrun's agent already does.
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(env.master_port);
  so.isServer = env.rank == 0 && !env.agent_store;
  so.numWorkers = env.agent_store ? c10::nullopt : c10::optional<std::size_t>(env.world_size);
  so.waitWorkers = !env.agent_store;
  so.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kIo,
                fmt::format("rank {}: cannot {} the rendezvous store at {}:{} within {} s: {} (check "
                            "MASTER_ADDR/MASTER_PORT, that the port is free on rank 0, and that all {} "
                            "processes were started)",
                            env.rank, so.isServer ? "serve" : "reach", env.master_addr, env.master_port,
                            options.timeout_seconds, e.what(), env.world_size));
  }
  if (env.agent_store)
    store =
        c10::make_intrusive<c10d::PrefixStore>(fmt::format("/worker/attempt_{}", env.restart_count), store);
  d->impl_->store = c10::make_intrusive<c10d::PrefixStore>("bertforge/", store);

  auto go = c10d::ProcessGroupGloo::Options::create(timeout);
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    std::string names = ifname;
    size_t s = 0;
    while (s <= names.size()) {
      size_t e = names.find(',', s);
      if (e == std::string::npos) e = names.size();
      if (e > s)
        go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(names.substr(s, e - s)));
      s = e + 1;
    }
  } else if (is_loopback(env.master_addr)) {
    go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    go->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  go->threads = static_cast<int>(go->devices.size() * 2);
  d->impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
      c10::make_intrusive<c10d::PrefixStore>("gloo/", d->impl_->store), env.rank, env.world_size, go);
  d->backend_ = "gloo";
#ifdef USE_C10D_NCCL
  if (device.is_cuda() && options.backend != "gloo") {
    auto no = c10d::ProcessGroupNCCL::Options::create();
    no->timeout = timeout;
    d->impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
        c10::make_intrusive<c10d::PrefixStore>("nccl/", d->impl_->store), env.rank, env.world_size, no);
    d->backend_ = "nccl";
  }
#else
  (void)device;
#endif
  log_info("distributed: rank {} of {} (local rank {}, launcher {}), backend {}, rendezvous {}:{}", env.rank,
           env.world_size, env.local_rank, env.launcher, d->backend_, env.master_addr, env.master_port);
  return d;
#endif
}

void Distributed::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (!active() || tensors.empty()) return;
  impl_->bucketed(tensors, [&](c10d::ProcessGroup& pg, std::vector<torch::Tensor>& io) {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    return pg.broadcast(io, o);
  });
}

void Distributed::all_reduce_sum(const std::vector<torch::Tensor>& tensors) {
  if (!active() || tensors.empty()) return;
  impl_->bucketed(tensors, [&](c10d::ProcessGroup& pg, std::vector<torch::Tensor>& io) {
    return pg.allreduce(io, c10d::AllreduceOptions());
  });
}

void Distributed::all_reduce_gradients(const std::vector<torch::Tensor>& params) {
  if (!active()) return;
  // Agree on which gradients exist anywhere, so that every rank reduces the same list of tensors.
  std::vector<double> defined(params.size());
  for (size_t i = 0; i < params.size(); ++i) defined[i] = params[i].grad().defined() ? 1.0 : 0.0;
  defined = max(std::move(defined));
  std::vector<torch::Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (defined[i] == 0) continue;
    auto p = params[i];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  all_reduce_sum(grads);
}

std::vector<double> Distributed::sum(std::vector<double> values) {
  if (!active() || values.empty()) return values;
  auto t = torch::from_blob(values.data(), {static_cast<int64_t>(values.size())}, torch::kFloat64);
  std::vector<torch::Tensor> io{t};
  impl_->gloo->allreduce(io, c10d::AllreduceOptions())->wait();
  return values;
}

std::vector<double> Distributed::max(std::vector<double> values) {
  if (!active() || values.empty()) return values;
  auto t = torch::from_blob(values.data(), {static_cast<int64_t>(values.size())}, torch::kFloat64);
  std::vector<torch::Tensor> io{t};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  impl_->gloo->allreduce(io, o)->wait();
  return values;
}

std::string Distributed::broadcast_string(const std::string& value) {
  if (!active()) return value;
  const std::string key = fmt::format("bcast/{}", impl_->store_seq++);
  if (rank_ == 0) {
    impl_->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
    return value;
  }
  auto bytes = impl_->store->get(key);
  return std::string(bytes.begin(), bytes.end());
}

std::vector<std::string> Distributed::gather_strings(const std::string& value) {
  if (!active()) return {value};
  const uint64_t seq = impl_->store_seq++;
  if (rank_ != 0) {
    impl_->store->set(fmt::format("gather/{}/{}", seq, rank_),
                      std::vector<uint8_t>(value.begin(), value.end()));
    return {};
  }
  std::vector<std::string> all{value};
  for (int r = 1; r < world_size_; ++r) {
    const std::string key = fmt::format("gather/{}/{}", seq, r);
    auto bytes = impl_->store->get(key);
    impl_->store->deleteKey(key);
    all.emplace_back(bytes.begin(), bytes.end());
  }
  return all;
}

void Distributed::barrier() {
  if (!active()) return;
  impl_->gloo->barrier()->wait();
}

void Distributed::check_all_ok(bool ok, const std::string& what) {
  if (!active()) return;
  auto failed = sum({ok ? 0.0 : 1.0});
  if (failed[0] > 0 && ok)
    throw Error(ErrorKind::kIo,
                fmt::format("{}: {} other rank(s) failed (see their messages); rank {} stops too", what,
                            static_cast<int>(failed[0]), rank_));
}

}  // namespace bertforge::training
