// The JS `array` object: owns one MLX array. Its finalizer drops that
// reference, so MLX memory goes back once JS no longer reaches the object.
#pragma once

#include <optional>

#include <mlx/mlx.h>
#include <napi.h>

namespace teacache {

namespace mx = mlx::core;

class AddonArray : public Napi::ObjectWrap<AddonArray> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  AddonArray(const Napi::CallbackInfo& info);

  /** The MLX array behind a JS value, or nullptr when it is not one of ours. */
  static const mx::array* From(Napi::Value value);

  const mx::array& value() const { return *value_; }

 private:
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Ndim(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Length(const Napi::CallbackInfo& info);
  Napi::Value Itemsize(const Napi::CallbackInfo& info);
  Napi::Value Nbytes(const Napi::CallbackInfo& info);
  Napi::Value Transposed(const Napi::CallbackInfo& info);
  Napi::Value Astype(const Napi::CallbackInfo& info);
  Napi::Value Reshape(const Napi::CallbackInfo& info);
  Napi::Value Transpose(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value Tolist(const Napi::CallbackInfo& info);
  Napi::Value ToString(const Napi::CallbackInfo& info);

  // Empty only between construction and the first line of the constructor.
  std::optional<mx::array> value_;
};

}  // namespace teacache
