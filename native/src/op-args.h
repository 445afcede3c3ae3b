// Reads one op call's JS arguments into MLX values, with errors that name the
// op and the argument ("reshape: argument 2 must be ..."). Optional arguments
// may be left out or passed as undefined, as in the npm backend.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <mlx/mlx.h>
#include <napi.h>

namespace teacache {

namespace mx = mlx::core;

class OpArgs {
 public:
  OpArgs(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  Napi::Env Env() const { return info_.Env(); }
  size_t Count() const { return info_.Length(); }
  /** Given and not undefined. */
  bool Has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined(); }
  bool IsNullish(size_t i) const { return !Has(i) || info_[i].IsNull(); }
  Napi::Value Raw(size_t i) const { return info_[i]; }

  /** An addon array (no conversion). */
  const mx::array& Array(size_t i) const;
  /** An addon array, or nothing for null/undefined. */
  std::optional<mx::array> OptionalArray(size_t i) const;
  /** An array, a number, a boolean or a list; bare numbers take their dtype from `beside` (weak scalars). */
  mx::array Input(size_t i, std::optional<mx::Dtype> beside = std::nullopt) const;
  /** Two operands of a binary op, each bare number typed after the other operand. */
  std::pair<mx::array, mx::array> Operands(size_t i, size_t j) const;
  std::vector<mx::array> ArrayList(size_t i) const;

  double Number(size_t i) const;
  double NumberOr(size_t i, double fallback) const { return Has(i) ? Number(i) : fallback; }
  int Int(size_t i) const;
  int IntOr(size_t i, int fallback) const { return Has(i) ? Int(i) : fallback; }
  bool BoolOr(size_t i, bool fallback) const;
  std::string String(size_t i) const;
  std::optional<mx::Dtype> DtypeOr(size_t i) const;
  bool IsDtype(size_t i) const;

  /** A shape given as a number or a list of numbers. */
  mx::Shape Shape(size_t i) const;
  /** A shape spread over arguments i.. (numbers and lists of numbers, flattened). */
  mx::Shape ShapeFrom(size_t i) const;
  /** Axes given as a number or a list of numbers; nothing when left out. */
  std::optional<std::vector<int>> Axes(size_t i) const;

  [[noreturn]] void Fail(size_t i, const std::string& expected) const;
  [[noreturn]] void Fail(const std::string& message) const;

 private:
  int ToInt(Napi::Value value, size_t i, const char* expected) const;

  const Napi::CallbackInfo& info_;
  const char* op_;
};

}  // namespace teacache
