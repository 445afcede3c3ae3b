// The addon's per-environment state (Napi::Addon instance data): the classes,
// the dtype singletons, the stream every array is built on and the lock that
// serialises evaluation. Holds no static globals: each Node thread that loads
// the addon gets its own instance.
#pragma once

#include <array>
#include <mutex>
#include <optional>

#include <mlx/mlx.h>
#include <napi.h>

#include "ops.h"

namespace teacache {

namespace mx = mlx::core;

class MlxAddon : public Napi::Addon<MlxAddon> {
 public:
  MlxAddon(Napi::Env env, Napi::Object exports);

  static MlxAddon& Of(Napi::Env env) { return *env.GetInstanceData<MlxAddon>(); }

  /** Wraps an MLX array in a new JS `array` object. */
  Napi::Object WrapArray(Napi::Env env, mx::array value);
  /** The one JS object that stands for each dtype, so `a.dtype === mx.float32` holds. */
  Napi::Object DtypeObject(mx::Dtype dtype);

  /** Evaluation takes this lock: the stream below may be used by one thread at a time. */
  std::mutex& EvalMutex() { return evalMutex_; }
  mx::Stream Stream() const { return *stream_; }
  /** A fresh key for random ops called without one. */
  mx::array NextKey() { return keys_->next(); }

  Napi::FunctionReference arrayClass;
  Napi::FunctionReference dtypeClass;

 private:
  Napi::Object Namespace(Napi::Env env, const OpTable& functions);

  std::array<Napi::ObjectReference, 14> dtypes_;
  // A stream made with new_thread_unsafe_stream (see native/README.md);
  // evalMutex_ keeps evaluation on it to one thread at a time.
  std::optional<mx::Stream> stream_;
  std::mutex evalMutex_;
  // Our own key sequence instead of MLX's KeySequence::default_(): on Linux
  // that function's static is a GNU unique symbol, shared process-wide with
  // any other MLX copy (the npm backend's), whose layout differs; touching it
  // from both crashes.
  std::optional<mx::random::KeySequence> keys_;
};

}  // namespace teacache
