// Random stand-ins for a checkpoint's stored tensors, for the memory scripts
// (no checkpoint download): the same quantize-on-load path as real folders.

import type { TensorPlan } from '../main/engine/io/materialize.ts';
import type { MxArray, MxBackend } from '../main/engine/mlx/backend.ts';
import type { ParamShapes } from '../main/engine/models/layers.ts';

/**
 * One source per distinct shape (drawing billions of normals would take longer
 * than the measurement), each layer quantized on its own so what stays
 * resident is exactly what a real load keeps.
 */
export function randomPlans(mx: MxBackend, shapes: ParamShapes, notLinear = /(shared|relative_attention_bias)\.weight$/): { plans: TensorPlan[]; drop: () => void } {
  const sources = new Map<string, MxArray>();
  const plans = Object.entries(shapes).map(([name, shape]) => ({
    name,
    linearWeight: shape.length === 2 && name.endsWith('.weight') && !notLinear.test(name),
    bytes: 2 * shape.reduce((a, b) => a * b, 1),
    build: () => {
      if (shape.length === 1) return mx.ones([...shape]);
      const key = shape.join('x');
      let source = sources.get(key);
      if (!source) {
        source = mx.random.normal([...shape], mx.float32, 0, 1 / Math.sqrt(shape[shape.length - 1]!), mx.random.key(sources.size));
        mx.eval(source);
        sources.set(key, source);
      }
      // A copy per parameter: sharing one buffer would under-count what stays resident unquantized.
      return mx.multiply(source, 1);
    },
  }));
  return { plans, drop: () => sources.clear() };
}
