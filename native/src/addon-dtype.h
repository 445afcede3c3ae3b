// The JS `Dtype` object: an MLX dtype with `size` and a name. One instance per
// dtype lives in the addon's instance data; ops never create others.
#pragma once

#include <mlx/mlx.h>
#include <napi.h>

namespace teacache {

namespace mx = mlx::core;

class AddonDtype : public Napi::ObjectWrap<AddonDtype> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  AddonDtype(const Napi::CallbackInfo& info);

  /** The dtype a JS value stands for, or nothing when it is not one of ours. */
  static std::optional<mx::Dtype> From(Napi::Value value);

  mx::Dtype dtype() const { return dtype_; }

 private:
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value ToString(const Napi::CallbackInfo& info);

  mx::Dtype dtype_ = mx::float32;
};

/** MLX's name for a dtype, as the npm backend prints it ("float32"). */
const char* DtypeName(mx::Dtype dtype);

}  // namespace teacache
