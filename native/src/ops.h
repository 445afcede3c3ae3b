// The module-level functions of the addon (mx.add, mx.random.normal, ...),
// named and behaving as in @frost-beta/mlx. Each reads its arguments through
// OpArgs and returns new wrapped arrays; none keeps state.
#pragma once

#include <utility>
#include <vector>

#include <napi.h>

namespace teacache {

using OpTable = std::vector<std::pair<const char*, Napi::Function::Callback>>;

/** Top-level functions: mx.<name>. */
OpTable CoreOps();
/** mx.random.<name>. */
OpTable RandomOps();
/** mx.fast.<name>. */
OpTable FastOps();
/** mx.metal.<name>: device and memory queries, named as in the npm backend. */
OpTable MetalOps();

}  // namespace teacache
