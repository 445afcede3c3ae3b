// The JS `array` object; see addon-array.h. Ops live in ops.cc.
#include "addon-array.h"

#include <sstream>

#include "addon-dtype.h"
#include "addon.h"
#include "js-values.h"
#include "op-args.h"

namespace teacache {

namespace {
constexpr napi_type_tag kArrayTag = {0x7ea0c0c4e0d7e002ULL, 0x6d6c78d7790e0002ULL};
}  // namespace

Napi::Function AddonArray::DefineClass(Napi::Env env) {
  return ObjectWrap<AddonArray>::DefineClass(env, "array", {
      InstanceAccessor<&AddonArray::Shape>("shape"),
      InstanceAccessor<&AddonArray::Dtype>("dtype"),
      InstanceAccessor<&AddonArray::Ndim>("ndim"),
      InstanceAccessor<&AddonArray::Size>("size"),
      InstanceAccessor<&AddonArray::Length>("length"),
      InstanceAccessor<&AddonArray::Itemsize>("itemsize"),
      InstanceAccessor<&AddonArray::Nbytes>("nbytes"),
      InstanceAccessor<&AddonArray::Transposed>("T"),
      InstanceMethod<&AddonArray::Astype>("astype"),
      InstanceMethod<&AddonArray::Reshape>("reshape"),
      InstanceMethod<&AddonArray::Transpose>("transpose"),
      InstanceMethod<&AddonArray::Item>("item"),
      InstanceMethod<&AddonArray::Tolist>("tolist"),
      InstanceMethod<&AddonArray::ToString>("toString"),
  });
}

AddonArray::AddonArray(const Napi::CallbackInfo& info) : ObjectWrap<AddonArray>(info) {
  Napi::Env env = info.Env();
  if (info.Length() >= 1 && info[0].IsExternal()) {
    // Made by MlxAddon::WrapArray, which passes the array to adopt.
    value_ = std::move(*info[0].As<Napi::External<mx::array>>().Data());
  } else {
    // `new mx.array(value, dtype)` from JS.
    OpArgs args(info, "array");
    if (!args.Has(0)) args.Fail(0, "a number, a boolean, a (nested) list or an mx array");
    value_ = ArrayFromJs(env, info[0], args.DtypeOr(1), "array: argument 1");
  }
  info.This().As<Napi::Object>().TypeTag(&kArrayTag);
}

const mx::array* AddonArray::From(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  auto object = value.As<Napi::Object>();
  if (!object.CheckTypeTag(&kArrayTag)) return nullptr;
  AddonArray* self = Unwrap(object);
  return self && self->value_ ? &*self->value_ : nullptr;
}

Napi::Value AddonArray::Shape(const Napi::CallbackInfo& info) {
  const auto& shape = value_->shape();
  auto list = Napi::Array::New(info.Env(), shape.size());
  for (size_t i = 0; i < shape.size(); ++i) list.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), shape[i]));
  return list;
}

Napi::Value AddonArray::Dtype(const Napi::CallbackInfo& info) {
  return MlxAddon::Of(info.Env()).DtypeObject(value_->dtype());
}

Napi::Value AddonArray::Ndim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(value_->ndim()));
}

Napi::Value AddonArray::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(value_->size()));
}

Napi::Value AddonArray::Length(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), value_->ndim() == 0 ? 0 : value_->shape(0));
}

Napi::Value AddonArray::Itemsize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(value_->itemsize()));
}

Napi::Value AddonArray::Nbytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(value_->nbytes()));
}

Napi::Value AddonArray::Transposed(const Napi::CallbackInfo& info) {
  return MlxAddon::Of(info.Env()).WrapArray(info.Env(), mx::transpose(*value_));
}

Napi::Value AddonArray::Astype(const Napi::CallbackInfo& info) {
  OpArgs args(info, "astype");
  auto dtype = args.DtypeOr(0);
  if (!dtype) args.Fail(0, "a dtype such as mx.float32");
  return MlxAddon::Of(info.Env()).WrapArray(info.Env(), mx::astype(*value_, *dtype));
}

Napi::Value AddonArray::Reshape(const Napi::CallbackInfo& info) {
  OpArgs args(info, "reshape");
  return MlxAddon::Of(info.Env()).WrapArray(info.Env(), mx::reshape(*value_, args.ShapeFrom(0)));
}

Napi::Value AddonArray::Transpose(const Napi::CallbackInfo& info) {
  OpArgs args(info, "transpose");
  mx::Shape axes = args.ShapeFrom(0);
  mx::array out = axes.empty() ? mx::transpose(*value_) : mx::transpose(*value_, std::vector<int>(axes.begin(), axes.end()));
  return MlxAddon::Of(info.Env()).WrapArray(info.Env(), std::move(out));
}

Napi::Value AddonArray::Item(const Napi::CallbackInfo& info) {
  return ArrayItem(info.Env(), *value_);
}

Napi::Value AddonArray::Tolist(const Napi::CallbackInfo& info) {
  return ArrayToList(info.Env(), *value_);
}

Napi::Value AddonArray::ToString(const Napi::CallbackInfo& info) {
  // Describes without evaluating: printing must not run a pending graph.
  std::ostringstream text;
  text << "array(shape=" << ShapeText(value_->shape()) << ", dtype=" << DtypeName(value_->dtype()) << ")";
  return Napi::String::New(info.Env(), text.str());
}

}  // namespace teacache
