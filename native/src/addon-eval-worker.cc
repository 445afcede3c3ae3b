// evalAsync's worker; see addon-eval-worker.h.
#include "addon-eval-worker.h"

#include "addon.h"

namespace teacache {

AddonEvalWorker::AddonEvalWorker(Napi::Env env, std::vector<mx::array> arrays)
    : Napi::AsyncWorker(env, "teacache:mlx:evalAsync"),
      arrays_(std::move(arrays)),
      evalMutex_(MlxAddon::Of(env).EvalMutex()),
      deferred_(Napi::Promise::Deferred::New(env)) {}

Napi::Promise AddonEvalWorker::Start(Napi::Env env, std::vector<mx::array> arrays) {
  auto* worker = new AddonEvalWorker(env, std::move(arrays));
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();  // the worker deletes itself once settled
  return promise;
}

void AddonEvalWorker::Execute() {
  try {
    std::lock_guard<std::mutex> lock(evalMutex_);
    mx::eval(arrays_);
  } catch (const std::exception& error) {
    SetError(std::string("evalAsync: ") + error.what());
  }
}

void AddonEvalWorker::OnOK() {
  arrays_.clear();
  deferred_.Resolve(Env().Undefined());
}

void AddonEvalWorker::OnError(const Napi::Error& error) {
  arrays_.clear();
  deferred_.Reject(error.Value());
}

}  // namespace teacache
