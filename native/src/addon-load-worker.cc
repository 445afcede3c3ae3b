// loadAsync's worker; see addon-load-worker.h.
#include "addon-load-worker.h"

#include "addon.h"

namespace teacache {

WeightsFormat FormatOf(const std::string& path) {
  auto endsWith = [&](const std::string& suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (endsWith(".safetensors")) return WeightsFormat::safetensors;
  if (endsWith(".npy")) return WeightsFormat::npy;
  return WeightsFormat::unknown;
}

AddonLoadWorker::AddonLoadWorker(Napi::Env env, std::string path)
    : Napi::AsyncWorker(env, "teacache:mlx:loadAsync"),
      path_(std::move(path)),
      evalMutex_(MlxAddon::Of(env).EvalMutex()),
      deferred_(Napi::Promise::Deferred::New(env)) {}

Napi::Promise AddonLoadWorker::Start(Napi::Env env, std::string path) {
  if (FormatOf(path) == WeightsFormat::unknown) {
    throw Napi::Error::New(env, "loadAsync: cannot tell the format of " + path + "; give a .safetensors or .npy file");
  }
  auto* worker = new AddonLoadWorker(env, std::move(path));
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();
  return promise;
}

void AddonLoadWorker::Execute() {
  try {
    std::lock_guard<std::mutex> lock(evalMutex_);
    std::vector<mx::array> pending;
    if (FormatOf(path_) == WeightsFormat::npy) {
      single_ = true;
      arrays_.emplace("", mx::load(path_));
    } else {
      arrays_ = mx::load_safetensors(path_).first;
    }
    for (auto& [name, array] : arrays_) pending.push_back(array);
    mx::eval(pending);
  } catch (const std::exception& error) {
    arrays_.clear();
    SetError(std::string("loadAsync: ") + error.what());
  }
}

void AddonLoadWorker::OnOK() {
  Napi::Env env = Env();
  MlxAddon& addon = MlxAddon::Of(env);
  if (single_) {
    deferred_.Resolve(addon.WrapArray(env, arrays_.begin()->second));
  } else {
    Napi::Object record = Napi::Object::New(env);
    for (auto& [name, array] : arrays_) record.Set(name, addon.WrapArray(env, array));
    deferred_.Resolve(record);
  }
  arrays_.clear();
}

void AddonLoadWorker::OnError(const Napi::Error& error) {
  deferred_.Reject(error.Value());
}

}  // namespace teacache
