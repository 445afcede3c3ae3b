// Argument reading for ops; see op-args.h.
#include "op-args.h"

#include <cmath>

#include "addon-array.h"
#include "addon-dtype.h"
#include "js-values.h"

namespace teacache {

void OpArgs::Fail(size_t i, const std::string& expected) const {
  std::string got = i < info_.Length() ? DescribeJs(info_[i]) : "nothing";
  throw Napi::TypeError::New(Env(), std::string(op_) + ": argument " + std::to_string(i + 1) + " must be " + expected + ", got " + got);
}

void OpArgs::Fail(const std::string& message) const {
  throw Napi::Error::New(Env(), std::string(op_) + ": " + message);
}

const mx::array& OpArgs::Array(size_t i) const {
  const mx::array* value = i < info_.Length() ? AddonArray::From(info_[i]) : nullptr;
  if (!value) Fail(i, "an mx array");
  return *value;
}

std::optional<mx::array> OpArgs::OptionalArray(size_t i) const {
  if (IsNullish(i)) return std::nullopt;
  return Array(i);
}

mx::array OpArgs::Input(size_t i, std::optional<mx::Dtype> beside) const {
  if (!Has(i)) Fail(i, "an mx array or a number");
  Napi::Value value = info_[i];
  std::optional<mx::Dtype> dtype;
  if (value.IsNumber() && beside) dtype = ScalarDtypeBeside(*beside);
  return ArrayFromJs(Env(), value, dtype, std::string(op_) + ": argument " + std::to_string(i + 1));
}

std::pair<mx::array, mx::array> OpArgs::Operands(size_t i, size_t j) const {
  const mx::array* a = Has(i) ? AddonArray::From(info_[i]) : nullptr;
  const mx::array* b = Has(j) ? AddonArray::From(info_[j]) : nullptr;
  if (a && b) return {*a, *b};
  mx::array first = a ? *a : Input(i, b ? std::optional(b->dtype()) : std::nullopt);
  mx::array second = b ? *b : Input(j, first.dtype());
  return {first, second};
}

std::vector<mx::array> OpArgs::ArrayList(size_t i) const {
  if (!Has(i) || !info_[i].IsArray()) Fail(i, "a list of mx arrays");
  auto list = info_[i].As<Napi::Array>();
  std::vector<mx::array> out;
  out.reserve(list.Length());
  for (uint32_t k = 0; k < list.Length(); ++k) {
    const mx::array* value = AddonArray::From(list.Get(k));
    if (!value) Fail(i, "a list of mx arrays (element " + std::to_string(k) + " is not one)");
    out.push_back(*value);
  }
  return out;
}

double OpArgs::Number(size_t i) const {
  if (!Has(i) || !info_[i].IsNumber()) Fail(i, "a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

int OpArgs::ToInt(Napi::Value value, size_t i, const char* expected) const {
  if (!value.IsNumber()) Fail(i, expected);
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || number != std::trunc(number) || std::fabs(number) > 2147483647.0) Fail(i, expected);
  return static_cast<int>(number);
}

int OpArgs::Int(size_t i) const {
  if (!Has(i)) Fail(i, "an integer");
  return ToInt(info_[i], i, "an integer");
}

bool OpArgs::BoolOr(size_t i, bool fallback) const {
  if (!Has(i)) return fallback;
  if (!info_[i].IsBoolean()) Fail(i, "a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

std::string OpArgs::String(size_t i) const {
  if (!Has(i) || !info_[i].IsString()) Fail(i, "a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

bool OpArgs::IsDtype(size_t i) const {
  return Has(i) && AddonDtype::From(info_[i]).has_value();
}

std::optional<mx::Dtype> OpArgs::DtypeOr(size_t i) const {
  if (IsNullish(i)) return std::nullopt;
  auto dtype = AddonDtype::From(info_[i]);
  if (!dtype) Fail(i, "a dtype such as mx.float32");
  return dtype;
}

mx::Shape OpArgs::Shape(size_t i) const {
  if (!Has(i)) Fail(i, "a shape (a number or a list of numbers)");
  if (info_[i].IsNumber()) return {ToInt(info_[i], i, "a shape (a number or a list of integers)")};
  if (!info_[i].IsArray()) Fail(i, "a shape (a number or a list of numbers)");
  auto list = info_[i].As<Napi::Array>();
  mx::Shape shape;
  shape.reserve(list.Length());
  for (uint32_t k = 0; k < list.Length(); ++k) shape.push_back(ToInt(list.Get(k), i, "a shape (a list of integers)"));
  return shape;
}

mx::Shape OpArgs::ShapeFrom(size_t i) const {
  mx::Shape shape;
  for (size_t k = i; k < info_.Length(); ++k) {
    if (info_[k].IsUndefined()) continue;
    mx::Shape part = Shape(k);
    shape.insert(shape.end(), part.begin(), part.end());
  }
  return shape;
}

std::optional<std::vector<int>> OpArgs::Axes(size_t i) const {
  if (IsNullish(i)) return std::nullopt;
  mx::Shape axes = Shape(i);
  return std::vector<int>(axes.begin(), axes.end());
}

}  // namespace teacache
