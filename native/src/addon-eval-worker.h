// evalAsync: evaluates arrays on a libuv worker thread and settles a promise,
// so the JS thread keeps turning during long graphs. Inputs are copied into
// the worker before it starts; Execute makes no N-API calls.
#pragma once

#include <mutex>
#include <vector>

#include <mlx/mlx.h>
#include <napi.h>

namespace teacache {

namespace mx = mlx::core;

class AddonEvalWorker : public Napi::AsyncWorker {
 public:
  /** Queues the evaluation and returns its promise. */
  static Napi::Promise Start(Napi::Env env, std::vector<mx::array> arrays);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  AddonEvalWorker(Napi::Env env, std::vector<mx::array> arrays);

  std::vector<mx::array> arrays_;
  std::mutex& evalMutex_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace teacache
