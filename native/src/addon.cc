// Module entry: builds the per-environment MlxAddon and its exports
// (array/dtype classes, ops, random, fast, metal, version).
#include "addon.h"

#include <chrono>

#include "addon-array.h"
#include "addon-dtype.h"
#include "ops.h"

namespace teacache {

namespace {

constexpr std::pair<const char*, mx::Dtype> kDtypes[] = {
    {"bool", mx::bool_},       {"uint8", mx::uint8},     {"uint16", mx::uint16},   {"uint32", mx::uint32},
    {"uint64", mx::uint64},    {"int8", mx::int8},       {"int16", mx::int16},     {"int32", mx::int32},
    {"int64", mx::int64},      {"float16", mx::float16}, {"float32", mx::float32}, {"float64", mx::float64},
    {"bfloat16", mx::bfloat16}, {"complex64", mx::complex64},
};

}  // namespace

MlxAddon::MlxAddon(Napi::Env env, Napi::Object exports) {
  // Pick the GPU when MLX was built with one (Metal on macOS), else the CPU,
  // and make a stream any thread may use, as the default on this JS thread.
  mx::Device device = mx::is_available(mx::Device::gpu) ? mx::Device(mx::Device::gpu) : mx::Device(mx::Device::cpu);
  stream_ = mx::new_thread_unsafe_stream(device);
  mx::set_default_stream(*stream_);
  if (device == mx::Device::gpu) {
    // Ops that fall back to the CPU take this thread's CPU default stream;
    // make that one usable from the workers too.
    mx::set_default_stream(mx::new_thread_unsafe_stream(mx::Device::cpu));
  }
  keys_.emplace(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count()));

  Napi::Function arrayCtor = AddonArray::DefineClass(env);
  Napi::Function dtypeCtor = AddonDtype::DefineClass(env);
  arrayClass = Napi::Persistent(arrayCtor);
  dtypeClass = Napi::Persistent(dtypeCtor);

  std::vector<Napi::PropertyDescriptor> properties;
  for (const auto& [name, dtype] : kDtypes) {
    mx::Dtype value = dtype;
    Napi::Object object = dtypeCtor.New({Napi::External<mx::Dtype>::New(env, &value)});
    dtypes_[static_cast<size_t>(dtype.val())] = Napi::Persistent(object);
    properties.push_back(Napi::PropertyDescriptor::Value(name, object, napi_enumerable));
  }
  properties.push_back(Napi::PropertyDescriptor::Value("bool_", DtypeObject(mx::bool_), napi_enumerable));

  for (const auto& [name, callback] : CoreOps()) {
    properties.push_back(Napi::PropertyDescriptor::Value(name, Napi::Function::New(env, callback, name), napi_enumerable));
  }
  properties.push_back(Napi::PropertyDescriptor::Value("random", Namespace(env, RandomOps()), napi_enumerable));
  properties.push_back(Napi::PropertyDescriptor::Value("fast", Namespace(env, FastOps()), napi_enumerable));
  properties.push_back(Napi::PropertyDescriptor::Value("metal", Namespace(env, MetalOps()), napi_enumerable));
  properties.push_back(Napi::PropertyDescriptor::Value("Array", arrayCtor, napi_enumerable));
  properties.push_back(Napi::PropertyDescriptor::Value("version", Napi::String::New(env, mx::version()), napi_enumerable));
  properties.push_back(Napi::PropertyDescriptor::Value("device", Napi::String::New(env, device == mx::Device::gpu ? "gpu" : "cpu"), napi_enumerable));
  properties.push_back(Napi::PropertyDescriptor::Value("napiVersion", Napi::Number::New(env, NAPI_VERSION), napi_enumerable));
  exports.DefineProperties(properties);
  DefineAddon(exports, {});
}

Napi::Object MlxAddon::Namespace(Napi::Env env, const OpTable& functions) {
  Napi::Object object = Napi::Object::New(env);
  for (const auto& [name, callback] : functions) object.Set(name, Napi::Function::New(env, callback, name));
  return object;
}

Napi::Object MlxAddon::WrapArray(Napi::Env env, mx::array value) {
  return arrayClass.New({Napi::External<mx::array>::New(env, &value)});
}

Napi::Object MlxAddon::DtypeObject(mx::Dtype dtype) {
  return dtypes_[static_cast<size_t>(dtype.val())].Value();
}

}  // namespace teacache

using teacache::MlxAddon;
NODE_API_ADDON(MlxAddon)
