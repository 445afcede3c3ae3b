// Conversions between JS values and MLX arrays: JS numbers, booleans, nested
// lists and typed arrays in; numbers, booleans and nested lists out. Reading
// values evaluates, under the addon's evaluation lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <mlx/mlx.h>
#include <napi.h>

namespace teacache {

namespace mx = mlx::core;

/**
 * An MLX array from a JS value (an addon array, number, boolean, nested list
 * or typed array). JS numbers become float32 unless `dtype` says otherwise,
 * as in the npm backend. Throws a TypeError naming `what` on anything else.
 */
mx::array ArrayFromJs(Napi::Env env, Napi::Value value, std::optional<mx::Dtype> dtype, const std::string& what);

/** The dtype a bare JS number takes next to an array of `other`: floats keep theirs, the rest float32. */
mx::Dtype ScalarDtypeBeside(mx::Dtype other);

/** Evaluates `arrays` on the calling thread under the addon's evaluation lock. */
void EvalLocked(Napi::Env env, std::vector<mx::array> arrays);

/** Every addon array reachable through JS arrays and plain objects in `value`. */
void CollectArrays(Napi::Value value, std::vector<mx::array>& out);

/** The array's values as nested JS lists (numbers or booleans); evaluates it. */
Napi::Value ArrayToList(Napi::Env env, const mx::array& array);

/** The single value of a one-element array; evaluates it. */
Napi::Value ArrayItem(Napi::Env env, const mx::array& array);

/** A short description of a JS value for error messages ("the string \"x\"", "a list"); never runs JS code. */
std::string DescribeJs(Napi::Value value);

/** "(2,3)" for error messages. */
std::string ShapeText(const mx::Shape& shape);

}  // namespace teacache
