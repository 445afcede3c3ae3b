// JS <-> MLX value conversions; see js-values.h. No op semantics live here.
#include "js-values.h"

#include <sstream>

#include "addon-array.h"
#include "addon.h"

namespace teacache {

namespace {

struct NestedList {
  mx::Shape shape;
  std::vector<double> values;
  bool allBooleans = true;
};

void InferShape(Napi::Value value, mx::Shape& shape) {
  while (value.IsArray()) {
    auto list = value.As<Napi::Array>();
    shape.push_back(static_cast<int>(list.Length()));
    if (list.Length() == 0) return;
    value = list.Get(0u);
  }
}

void Flatten(Napi::Env env, Napi::Value value, size_t depth, NestedList& out, const std::string& what) {
  if (depth == out.shape.size()) {
    if (value.IsNumber()) {
      out.values.push_back(value.As<Napi::Number>().DoubleValue());
      out.allBooleans = false;
    } else if (value.IsBoolean()) {
      out.values.push_back(value.As<Napi::Boolean>().Value() ? 1.0 : 0.0);
    } else if (value.IsArray()) {
      throw Napi::TypeError::New(env, what + ": nested lists must be rectangular (every row the same length and depth)");
    } else {
      throw Napi::TypeError::New(env, what + ": list elements must be numbers or booleans, got " + DescribeJs(value) +
                                          (AddonArray::From(value) ? " (an mx array: use stack or concatenate to combine arrays)" : ""));
    }
    return;
  }
  if (!value.IsArray() || value.As<Napi::Array>().Length() != static_cast<uint32_t>(out.shape[depth])) {
    throw Napi::TypeError::New(env, what + ": nested lists must be rectangular (every row the same length and depth); expected shape " + ShapeText(out.shape));
  }
  auto list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) Flatten(env, list.Get(i), depth + 1, out, what);
}

template <typename T>
mx::array FromTypedData(const T* data, size_t length, mx::Dtype natural, std::optional<mx::Dtype> dtype) {
  // Copies: the JS buffer may be detached or collected while MLX still holds the array.
  return mx::array(data, mx::Shape{static_cast<int>(length)}, dtype.value_or(natural));
}

mx::array FromTypedArray(Napi::Env env, Napi::TypedArray typed, std::optional<mx::Dtype> dtype, const std::string& what) {
  size_t n = typed.ElementLength();
  switch (typed.TypedArrayType()) {
    case napi_int8_array: return FromTypedData(typed.As<Napi::Int8Array>().Data(), n, mx::int8, dtype);
    case napi_uint8_array: return FromTypedData(typed.As<Napi::Uint8Array>().Data(), n, mx::uint8, dtype);
    case napi_uint8_clamped_array: return FromTypedData(typed.As<Napi::Uint8Array>().Data(), n, mx::uint8, dtype);
    case napi_int16_array: return FromTypedData(typed.As<Napi::Int16Array>().Data(), n, mx::int16, dtype);
    case napi_uint16_array: return FromTypedData(typed.As<Napi::Uint16Array>().Data(), n, mx::uint16, dtype);
    case napi_int32_array: return FromTypedData(typed.As<Napi::Int32Array>().Data(), n, mx::int32, dtype);
    case napi_uint32_array: return FromTypedData(typed.As<Napi::Uint32Array>().Data(), n, mx::uint32, dtype);
    case napi_float32_array: return FromTypedData(typed.As<Napi::Float32Array>().Data(), n, mx::float32, dtype);
    // JS numbers are float32 elsewhere in this API, so a Float64Array is too.
    case napi_float64_array: return FromTypedData(typed.As<Napi::Float64Array>().Data(), n, mx::float32, dtype);
    case napi_bigint64_array: return FromTypedData(typed.As<Napi::BigInt64Array>().Data(), n, mx::int64, dtype);
    case napi_biguint64_array: return FromTypedData(typed.As<Napi::BigUint64Array>().Data(), n, mx::uint64, dtype);
    default: break;
  }
  throw Napi::TypeError::New(env, what + ": this kind of typed array is not supported");
}

// Reads `count` values of an evaluated, row-contiguous array as doubles or bools.
template <typename T>
Napi::Value Nest(Napi::Env env, const T* data, const mx::Shape& shape, size_t depth, size_t& offset) {
  if (depth == shape.size()) {
    T v = data[offset++];
    if constexpr (std::is_same_v<T, bool>) return Napi::Boolean::New(env, v);
    else return Napi::Number::New(env, static_cast<double>(v));
  }
  auto list = Napi::Array::New(env, shape[depth]);
  for (int i = 0; i < shape[depth]; ++i) list.Set(static_cast<uint32_t>(i), Nest(env, data, shape, depth + 1, offset));
  return list;
}

// Casts to a type JS can hold and makes the data row-contiguous, then evaluates.
mx::array Readable(Napi::Env env, const mx::array& array) {
  mx::Dtype target = mx::float32;
  if (array.dtype() == mx::bool_) target = mx::bool_;
  else if (array.dtype() == mx::uint64) target = mx::uint64;
  else if (mx::issubdtype(array.dtype(), mx::integer)) target = mx::int64;
  else if (array.dtype() == mx::float64) target = mx::float64;
  else if (array.dtype() == mx::complex64) {
    throw Napi::TypeError::New(env, "complex64 arrays cannot be read into JS numbers; take the real part first");
  }
  mx::array out = mx::contiguous(array.dtype() == target ? array : mx::astype(array, target));
  EvalLocked(env, {out});
  return out;
}

Napi::Value ReadNested(Napi::Env env, const mx::array& readable) {
  size_t offset = 0;
  const mx::Shape& shape = readable.shape();
  switch (readable.dtype().val()) {
    case mx::Dtype::Val::bool_: return Nest(env, readable.data<bool>(), shape, 0, offset);
    case mx::Dtype::Val::uint64: return Nest(env, readable.data<uint64_t>(), shape, 0, offset);
    case mx::Dtype::Val::int64: return Nest(env, readable.data<int64_t>(), shape, 0, offset);
    case mx::Dtype::Val::float64: return Nest(env, readable.data<double>(), shape, 0, offset);
    default: return Nest(env, readable.data<float>(), shape, 0, offset);
  }
}

}  // namespace

std::string DescribeJs(Napi::Value value) {
  switch (value.Type()) {
    case napi_undefined: return "nothing";
    case napi_null: return "null";
    case napi_boolean: return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: {
      std::ostringstream text;
      text << value.As<Napi::Number>().DoubleValue();
      return text.str();
    }
    case napi_string: {
      std::string text = value.As<Napi::String>().Utf8Value();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return "the string \"" + text + "\"";
    }
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    case napi_external: return "an external";
    case napi_object:
      if (const mx::array* array = AddonArray::From(value)) return "an mx array of shape " + ShapeText(array->shape());
      if (value.IsTypedArray()) return "a typed array";
      return value.IsArray() ? "a list" : "an object";
  }
  return "an unknown value";
}

std::string ShapeText(const mx::Shape& shape) {
  std::ostringstream text;
  text << "(";
  for (size_t i = 0; i < shape.size(); ++i) text << (i ? "," : "") << shape[i];
  text << ")";
  return text.str();
}

mx::Dtype ScalarDtypeBeside(mx::Dtype other) {
  return mx::issubdtype(other, mx::inexact) ? other : mx::float32;
}

mx::array ArrayFromJs(Napi::Env env, Napi::Value value, std::optional<mx::Dtype> dtype, const std::string& what) {
  if (const mx::array* wrapped = AddonArray::From(value)) {
    return dtype && *dtype != wrapped->dtype() ? mx::astype(*wrapped, *dtype) : *wrapped;
  }
  if (value.IsNumber()) return mx::array(value.As<Napi::Number>().DoubleValue(), dtype.value_or(mx::float32));
  if (value.IsBoolean()) return mx::array(value.As<Napi::Boolean>().Value(), dtype.value_or(mx::bool_));
  if (value.IsTypedArray()) return FromTypedArray(env, value.As<Napi::TypedArray>(), dtype, what);
  if (value.IsArray()) {
    NestedList list;
    InferShape(value, list.shape);
    Flatten(env, value, 0, list, what);
    mx::Dtype natural = list.allBooleans && !list.values.empty() ? mx::bool_ : mx::float32;
    mx::Dtype target = dtype.value_or(natural);
    if (target == mx::complex64) throw Napi::TypeError::New(env, what + ": complex64 arrays cannot be made from JS lists");
    return mx::array(list.values.begin(), list.shape, target);
  }
  throw Napi::TypeError::New(env, what + " must be an mx array, a number, a boolean or a (nested) list of numbers, got " + DescribeJs(value));
}

void EvalLocked(Napi::Env env, std::vector<mx::array> arrays) {
  std::lock_guard<std::mutex> lock(MlxAddon::Of(env).EvalMutex());
  mx::eval(std::move(arrays));
}

void CollectArrays(Napi::Value value, std::vector<mx::array>& out) {
  if (const mx::array* wrapped = AddonArray::From(value)) {
    out.push_back(*wrapped);
  } else if (value.IsArray()) {
    auto list = value.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) CollectArrays(list.Get(i), out);
  } else if (value.IsObject() && !value.IsFunction()) {
    auto object = value.As<Napi::Object>();
    auto keys = object.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) CollectArrays(object.Get(keys.Get(i)), out);
  }
}

Napi::Value ArrayToList(Napi::Env env, const mx::array& array) {
  return ReadNested(env, Readable(env, array));
}

Napi::Value ArrayItem(Napi::Env env, const mx::array& array) {
  if (array.size() != 1) {
    throw Napi::Error::New(env, "item() needs an array of exactly one element; this one has shape " + ShapeText(array.shape()) + ". Use tolist() to read many values.");
  }
  mx::array readable = Readable(env, mx::reshape(array, {}));
  return ReadNested(env, readable);
}

}  // namespace teacache
