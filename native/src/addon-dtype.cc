// The JS `Dtype` object; constructed only by the addon at load time.
#include "addon-dtype.h"

namespace teacache {

namespace {
// Tags our wrappers so an object from elsewhere is never unwrapped as ours.
constexpr napi_type_tag kDtypeTag = {0x7ea0c0c4e0d7e001ULL, 0x6d6c78d7790e0001ULL};
}  // namespace

const char* DtypeName(mx::Dtype dtype) {
  switch (dtype.val()) {
    case mx::Dtype::Val::bool_: return "bool";
    case mx::Dtype::Val::uint8: return "uint8";
    case mx::Dtype::Val::uint16: return "uint16";
    case mx::Dtype::Val::uint32: return "uint32";
    case mx::Dtype::Val::uint64: return "uint64";
    case mx::Dtype::Val::int8: return "int8";
    case mx::Dtype::Val::int16: return "int16";
    case mx::Dtype::Val::int32: return "int32";
    case mx::Dtype::Val::int64: return "int64";
    case mx::Dtype::Val::float16: return "float16";
    case mx::Dtype::Val::float32: return "float32";
    case mx::Dtype::Val::float64: return "float64";
    case mx::Dtype::Val::bfloat16: return "bfloat16";
    case mx::Dtype::Val::complex64: return "complex64";
  }
  return "unknown";
}

Napi::Function AddonDtype::DefineClass(Napi::Env env) {
  return ObjectWrap<AddonDtype>::DefineClass(env, "Dtype", {
      InstanceAccessor<&AddonDtype::Size>("size"),
      InstanceMethod<&AddonDtype::ToString>("toString"),
  });
}

AddonDtype::AddonDtype(const Napi::CallbackInfo& info) : ObjectWrap<AddonDtype>(info) {
  // Only the addon constructs dtypes, passing the enum value; JS code gets the
  // singletons (mx.float32, ...) and cannot make new ones.
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "Dtype cannot be constructed; use mx.float32, mx.int32, ...");
  }
  dtype_ = *info[0].As<Napi::External<mx::Dtype>>().Data();
  info.This().As<Napi::Object>().TypeTag(&kDtypeTag);
}

std::optional<mx::Dtype> AddonDtype::From(Napi::Value value) {
  if (!value.IsObject()) return std::nullopt;
  auto object = value.As<Napi::Object>();
  if (!object.CheckTypeTag(&kDtypeTag)) return std::nullopt;
  return Unwrap(object)->dtype_;
}

Napi::Value AddonDtype::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), dtype_.size());
}

Napi::Value AddonDtype::ToString(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(dtype_));
}

}  // namespace teacache
