// loadAsync: reads a .safetensors or .npy file on a libuv worker thread
// (opening, parsing and evaluating the arrays, so the bytes are in memory
// when the promise resolves). Execute makes no N-API calls.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include <mlx/mlx.h>
#include <napi.h>

namespace teacache {

namespace mx = mlx::core;

class AddonLoadWorker : public Napi::AsyncWorker {
 public:
  static Napi::Promise Start(Napi::Env env, std::string path);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  AddonLoadWorker(Napi::Env env, std::string path);

  std::string path_;
  bool single_ = false;
  std::unordered_map<std::string, mx::array> arrays_;
  std::mutex& evalMutex_;
  Napi::Promise::Deferred deferred_;
};

/** The file formats load understands, by extension. */
enum class WeightsFormat { safetensors, npy, unknown };
WeightsFormat FormatOf(const std::string& path);

}  // namespace teacache
