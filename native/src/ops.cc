// The addon's functions; see ops.h. Argument order, defaults and scalar
// typing follow @frost-beta/mlx (JS numbers are float32 unless a dtype is
// given; a bare number beside a float array takes that array's dtype).
#include "ops.h"

#include <cmath>

#include <mlx/mlx.h>

#include "addon-array.h"
#include "addon.h"
#include "js-values.h"
#include "op-args.h"

namespace teacache {

namespace {

namespace mx = mlx::core;

Napi::Value Wrap(const OpArgs& args, mx::array value) {
  return MlxAddon::Of(args.Env()).WrapArray(args.Env(), std::move(value));
}

Napi::Value WrapList(const OpArgs& args, const std::vector<mx::array>& values) {
  auto list = Napi::Array::New(args.Env(), values.size());
  for (size_t i = 0; i < values.size(); ++i) list.Set(static_cast<uint32_t>(i), Wrap(args, values[i]));
  return list;
}

// ---- construction ----

Napi::Value Array(const Napi::CallbackInfo& info) {
  OpArgs args(info, "array");
  if (!args.Has(0)) args.Fail(0, "a number, a boolean, a (nested) list or an mx array");
  return Wrap(args, ArrayFromJs(args.Env(), args.Raw(0), args.DtypeOr(1), "array: argument 1"));
}

Napi::Value Zeros(const Napi::CallbackInfo& info) {
  OpArgs args(info, "zeros");
  return Wrap(args, mx::zeros(args.Shape(0), args.DtypeOr(1).value_or(mx::float32)));
}

Napi::Value Ones(const Napi::CallbackInfo& info) {
  OpArgs args(info, "ones");
  return Wrap(args, mx::ones(args.Shape(0), args.DtypeOr(1).value_or(mx::float32)));
}

Napi::Value Arange(const Napi::CallbackInfo& info) {
  OpArgs args(info, "arange");
  // arange(stop), arange(start, stop, step?) with a dtype after the numbers.
  std::vector<double> numbers;
  size_t i = 0;
  for (; i < args.Count() && i < 3 && !args.IsDtype(i); ++i) {
    if (args.Has(i)) numbers.push_back(args.Number(i));
    else if (i < 2) args.Fail(i, "a number");
  }
  if (numbers.empty()) args.Fail(0, "a number");
  mx::Dtype dtype = args.DtypeOr(i).value_or(mx::float32);
  double start = numbers.size() == 1 ? 0 : numbers[0];
  double stop = numbers.size() == 1 ? numbers[0] : numbers[1];
  double step = numbers.size() == 3 ? numbers[2] : 1;
  return Wrap(args, mx::arange(start, stop, step, dtype));
}

// ---- arithmetic ----

template <mx::array (*Fn)(const mx::array&, const mx::array&, mx::StreamOrDevice)>
Napi::Value Binary(const Napi::CallbackInfo& info, const char* name) {
  OpArgs args(info, name);
  auto [a, b] = args.Operands(0, 1);
  return Wrap(args, Fn(a, b, {}));
}

#define TEACACHE_BINARY(js, fn) \
  Napi::Value js(const Napi::CallbackInfo& info) { return Binary<&mx::fn>(info, #fn); }
TEACACHE_BINARY(Add, add)
TEACACHE_BINARY(Subtract, subtract)
TEACACHE_BINARY(Multiply, multiply)
TEACACHE_BINARY(Divide, divide)
#undef TEACACHE_BINARY

template <mx::array (*Fn)(const mx::array&, mx::StreamOrDevice)>
Napi::Value Unary(const Napi::CallbackInfo& info, const char* name) {
  OpArgs args(info, name);
  return Wrap(args, Fn(args.Input(0), {}));
}

#define TEACACHE_UNARY(js, fn) \
  Napi::Value js(const Napi::CallbackInfo& info) { return Unary<&mx::fn>(info, #fn); }
TEACACHE_UNARY(Exp, exp)
TEACACHE_UNARY(Tanh, tanh)
TEACACHE_UNARY(Sigmoid, sigmoid)
TEACACHE_UNARY(Abs, abs)
TEACACHE_UNARY(Sqrt, sqrt)
TEACACHE_UNARY(Square, square)
#undef TEACACHE_UNARY

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  OpArgs args(info, "matmul");
  return Wrap(args, mx::matmul(args.Input(0), args.Input(1)));
}

Napi::Value Addmm(const Napi::CallbackInfo& info) {
  // addmm(c, a, b, alpha, beta) = alpha·(a@b) + beta·c, as MLX defines it.
  OpArgs args(info, "addmm");
  return Wrap(args, mx::addmm(args.Input(0), args.Input(1), args.Input(2),
                              static_cast<float>(args.NumberOr(3, 1)), static_cast<float>(args.NumberOr(4, 1))));
}

Napi::Value Clip(const Napi::CallbackInfo& info) {
  OpArgs args(info, "clip");
  mx::array a = args.Input(0);
  auto bound = [&](size_t i) -> std::optional<mx::array> {
    if (args.IsNullish(i)) return std::nullopt;
    return args.Input(i, a.dtype());
  };
  auto low = bound(1);
  auto high = bound(2);
  if (!low && !high) args.Fail("give at least one of min and max");
  return Wrap(args, mx::clip(a, low, high));
}

// reduce(a), reduce(a, keepdims), reduce(a, axis | axes, keepdims?)
template <mx::array (*All)(const mx::array&, bool, mx::StreamOrDevice),
          mx::array (*Along)(const mx::array&, const std::vector<int>&, bool, mx::StreamOrDevice)>
Napi::Value Reduce(const Napi::CallbackInfo& info, const char* name) {
  OpArgs args(info, name);
  mx::array a = args.Input(0);
  if (args.Has(1) && args.Raw(1).IsBoolean()) return Wrap(args, All(a, args.BoolOr(1, false), {}));
  auto axes = args.Axes(1);
  bool keepdims = args.BoolOr(2, false);
  return Wrap(args, axes ? Along(a, *axes, keepdims, {}) : All(a, keepdims, {}));
}

Napi::Value Sum(const Napi::CallbackInfo& info) { return Reduce<&mx::sum, &mx::sum>(info, "sum"); }
Napi::Value Mean(const Napi::CallbackInfo& info) { return Reduce<&mx::mean, &mx::mean>(info, "mean"); }

// ---- shapes ----

Napi::Value Reshape(const Napi::CallbackInfo& info) {
  OpArgs args(info, "reshape");
  mx::array a = args.Input(0);
  return Wrap(args, mx::reshape(a, args.ShapeFrom(1)));
}

Napi::Value Transpose(const Napi::CallbackInfo& info) {
  OpArgs args(info, "transpose");
  mx::array a = args.Input(0);
  mx::Shape axes = args.ShapeFrom(1);
  return Wrap(args, axes.empty() ? mx::transpose(a) : mx::transpose(a, std::vector<int>(axes.begin(), axes.end())));
}

Napi::Value ExpandDims(const Napi::CallbackInfo& info) {
  OpArgs args(info, "expandDims");
  mx::array a = args.Input(0);
  auto axes = args.Axes(1);
  if (!axes) args.Fail(1, "an axis or a list of axes");
  return Wrap(args, mx::expand_dims(a, *axes));
}

Napi::Value Concatenate(const Napi::CallbackInfo& info) {
  OpArgs args(info, "concatenate");
  auto arrays = args.ArrayList(0);
  // No axis: flatten and join, as MLX does.
  return Wrap(args, args.Has(1) ? mx::concatenate(arrays, args.Int(1)) : mx::concatenate(arrays));
}

Napi::Value Split(const Napi::CallbackInfo& info) {
  OpArgs args(info, "split");
  mx::array a = args.Input(0);
  int axis = args.IntOr(2, 0);
  if (!args.Has(1)) args.Fail(1, "a number of equal parts or a list of split indices");
  if (args.Raw(1).IsNumber()) return WrapList(args, mx::split(a, args.Int(1), axis));
  return WrapList(args, mx::split(a, args.Shape(1), axis));
}

Napi::Value Take(const Napi::CallbackInfo& info) {
  OpArgs args(info, "take");
  mx::array a = args.Input(0);
  if (!args.Has(1)) args.Fail(1, "indices (an integer mx array or an integer)");
  if (args.Raw(1).IsNumber()) {
    int index = args.Int(1);
    return Wrap(args, args.Has(2) ? mx::take(a, index, args.Int(2)) : mx::take(a, index));
  }
  mx::array indices = args.Input(1);
  return Wrap(args, args.Has(2) ? mx::take(a, indices, args.Int(2)) : mx::take(a, indices));
}

// A number means the same along both spatial axes; a list gives [h, w].
std::pair<int, int> PairArg(const OpArgs& args, size_t i, int fallback) {
  if (!args.Has(i)) return {fallback, fallback};
  mx::Shape values = args.Shape(i);
  if (values.size() == 1) return {values[0], values[0]};
  if (values.size() != 2) args.Fail(i, "a number or a list of two numbers");
  return {values[0], values[1]};
}

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  // Channels last: input [N, H, W, Cin], weight [Cout, kH, kW, Cin].
  OpArgs args(info, "conv2d");
  return Wrap(args, mx::conv2d(args.Input(0), args.Input(1), PairArg(args, 2, 1), PairArg(args, 3, 0),
                               PairArg(args, 4, 1), args.IntOr(5, 1)));
}

Napi::Value BroadcastTo(const Napi::CallbackInfo& info) {
  OpArgs args(info, "broadcastTo");
  mx::array a = args.Input(0);
  return Wrap(args, mx::broadcast_to(a, args.Shape(1)));
}

// ---- quantization ----

Napi::Value Quantize(const Napi::CallbackInfo& info) {
  OpArgs args(info, "quantize");
  // [weights, scales, biases], as the npm backend returns.
  return WrapList(args, mx::quantize(args.Array(0), args.IntOr(1, 64), args.IntOr(2, 4)));
}

Napi::Value QuantizedMatmul(const Napi::CallbackInfo& info) {
  OpArgs args(info, "quantizedMatmul");
  return Wrap(args, mx::quantized_matmul(args.Input(0), args.Array(1), args.Array(2), args.OptionalArray(3),
                                         args.BoolOr(4, true), args.IntOr(5, 64), args.IntOr(6, 4)));
}

// ---- compile ----

Napi::Value Compile(const Napi::CallbackInfo& info) {
  // compile(fn, shapeless?): MLX traces fn once per input shape (calling back
  // into JS on this thread) and replays the fused graph after that.
  OpArgs args(info, "compile");
  if (!args.Has(0) || !args.Raw(0).IsFunction()) args.Fail(0, "a function of mx arrays");
  struct Traced {
    Napi::FunctionReference fn;
    bool returnsList = false;
  };
  auto traced = std::make_shared<Traced>();
  traced->fn = Napi::Persistent(args.Raw(0).As<Napi::Function>());
  Napi::Env env = args.Env();
  auto compiled = mx::compile(
      [traced, env](const std::vector<mx::array>& inputs) {
        MlxAddon& addon = MlxAddon::Of(env);
        std::vector<napi_value> jsInputs;
        jsInputs.reserve(inputs.size());
        for (const auto& input : inputs) jsInputs.push_back(addon.WrapArray(env, input));
        Napi::Value result = traced->fn.Call(jsInputs);
        std::vector<mx::array> outputs;
        traced->returnsList = result.IsArray();
        CollectArrays(result, outputs);
        if (outputs.empty()) throw Napi::TypeError::New(env, "compile: the function must return an mx array or a list of them");
        return outputs;
      },
      args.BoolOr(1, false));
  return Napi::Function::New(
      env,
      [traced, compiled](const Napi::CallbackInfo& call) -> Napi::Value {
        OpArgs callArgs(call, "compiled function");
        std::vector<mx::array> inputs;
        for (size_t i = 0; i < call.Length(); ++i) inputs.push_back(callArgs.Array(i));
        std::vector<mx::array> outputs = compiled(inputs);
        if (!traced->returnsList && outputs.size() == 1) return Wrap(callArgs, outputs[0]);
        return WrapList(callArgs, outputs);
      },
      "compiled");
}

// ---- evaluation and files ----

std::vector<mx::array> ArraysIn(const Napi::CallbackInfo& info) {
  std::vector<mx::array> arrays;
  for (size_t i = 0; i < info.Length(); ++i) CollectArrays(info[i], arrays);
  return arrays;
}

Napi::Value Eval(const Napi::CallbackInfo& info) {
  EvalLocked(info.Env(), ArraysIn(info));
  return info.Env().Undefined();
}

/** The file formats load understands, by extension. */
enum class WeightsFormat { safetensors, npy, unknown };

WeightsFormat FormatOf(const std::string& path) {
  auto endsWith = [&](const std::string& suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (endsWith(".safetensors")) return WeightsFormat::safetensors;
  if (endsWith(".npy")) return WeightsFormat::npy;
  return WeightsFormat::unknown;
}

Napi::Value Load(const Napi::CallbackInfo& info) {
  OpArgs args(info, "load");
  std::string path = args.String(0);
  // Lazy like the npm backend: the file is read when the arrays are evaluated.
  switch (FormatOf(path)) {
    case WeightsFormat::npy:
      return Wrap(args, mx::load(path));
    case WeightsFormat::safetensors: {
      auto loaded = mx::load_safetensors(path).first;
      Napi::Object record = Napi::Object::New(args.Env());
      for (auto& [name, array] : loaded) record.Set(name, Wrap(args, array));
      return record;
    }
    case WeightsFormat::unknown:
      break;
  }
  args.Fail("cannot tell the format of " + path + "; give a .safetensors or .npy file");
}

// ---- random ----

mx::array KeyOrNext(const OpArgs& args, size_t i) {
  if (auto key = args.OptionalArray(i)) return *key;
  return MlxAddon::Of(args.Env()).NextKey();
}

Napi::Value RandomKey(const Napi::CallbackInfo& info) {
  OpArgs args(info, "random.key");
  double seed = args.Number(0);
  if (seed < 0 || seed != std::trunc(seed) || seed > 9007199254740991.0) args.Fail(0, "a non-negative integer seed");
  return Wrap(args, mx::random::key(static_cast<uint64_t>(seed)));
}

Napi::Value RandomSplit(const Napi::CallbackInfo& info) {
  OpArgs args(info, "random.split");
  return Wrap(args, mx::random::split(args.Array(0), args.IntOr(1, 2)));
}

Napi::Value RandomNormal(const Napi::CallbackInfo& info) {
  OpArgs args(info, "random.normal");
  mx::Shape shape = args.Has(0) ? args.Shape(0) : mx::Shape{};
  mx::Dtype dtype = args.DtypeOr(1).value_or(mx::float32);
  return Wrap(args, mx::random::normal(shape, dtype, static_cast<float>(args.NumberOr(2, 0)),
                                       static_cast<float>(args.NumberOr(3, 1)), KeyOrNext(args, 4)));
}

// ---- fast ----

Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  OpArgs args(info, "fast.rmsNorm");
  return Wrap(args, mx::fast::rms_norm(args.Input(0), args.OptionalArray(1), static_cast<float>(args.Number(2))));
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  OpArgs args(info, "fast.layerNorm");
  return Wrap(args, mx::fast::layer_norm(args.Input(0), args.OptionalArray(1), args.OptionalArray(2),
                                         static_cast<float>(args.Number(3))));
}

Napi::Value ScaledDotProductAttention(const Napi::CallbackInfo& info) {
  OpArgs args(info, "fast.scaledDotProductAttention");
  float scale = static_cast<float>(args.Number(3));
  std::string mode;
  std::optional<mx::array> mask;
  if (args.Has(4) && args.Raw(4).IsString()) {
    mode = args.String(4);
    if (mode != "causal") args.Fail(4, "an additive or boolean mask array, or \"causal\"");
  } else if (!args.IsNullish(4)) {
    mode = "array";
    mask = args.Array(4);
  }
  return Wrap(args, mx::fast::scaled_dot_product_attention(args.Input(0), args.Input(1), args.Input(2), scale, mode, mask));
}

// ---- device and memory ----

Napi::Value ActiveMemory(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(mx::get_active_memory()));
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  mx::clear_cache();
  return info.Env().Undefined();
}

}  // namespace

OpTable CoreOps() {
  // Exactly the engine's MxBackend (main/engine/mlx/backend.ts): nothing here that the engine never calls.
  return {
      {"array", Array}, {"zeros", Zeros}, {"ones", Ones}, {"arange", Arange},
      {"add", Add}, {"subtract", Subtract}, {"multiply", Multiply}, {"divide", Divide},
      {"matmul", Matmul}, {"addmm", Addmm},
      {"exp", Exp}, {"tanh", Tanh}, {"sigmoid", Sigmoid}, {"abs", Abs}, {"sqrt", Sqrt}, {"square", Square},
      {"clip", Clip}, {"sum", Sum}, {"mean", Mean},
      {"reshape", Reshape}, {"transpose", Transpose}, {"expandDims", ExpandDims},
      {"concatenate", Concatenate}, {"split", Split}, {"take", Take},
      {"broadcastTo", BroadcastTo}, {"conv2d", Conv2d}, {"quantize", Quantize}, {"quantizedMatmul", QuantizedMatmul},
      {"compile", Compile}, {"eval", Eval}, {"load", Load},
  };
}

OpTable RandomOps() {
  return {{"key", RandomKey}, {"split", RandomSplit}, {"normal", RandomNormal}};
}

OpTable FastOps() {
  return {{"rmsNorm", RmsNorm}, {"layerNorm", LayerNorm}, {"scaledDotProductAttention", ScaledDotProductAttention}};
}

OpTable MetalOps() {
  return {{"getActiveMemory", ActiveMemory}, {"clearCache", ClearCache}};
}

}  // namespace teacache
