// Turns a request into an image: resolves defaults against the model, encodes
// the prompts, builds the schedule and guidance, and runs the TeaCache sampler.
// Runs in the engine (worker thread or CLI); no Electron imports.

import type { BackendInfo, MxArray, MxBackend } from './mlx/backend.ts';
import { releaseUnreferencedArrays } from './mlx/memory.ts';
import { EngineError } from '../core/errors.ts';
import type { ImageModel, ModelInfo } from './models/image-model.ts';
import type { GenerationRequest, ResolvedRequest } from '../core/request.ts';
import { cfgWeight, resolveRequest } from '../core/resolve-request.ts';
import { scheduleFor } from '../core/schedule.ts';
import { combineGuidance, sample, type Guidance, type SamplerStats, type StepEvent } from './sampler/sampler.ts';
import { createPolicy } from '../core/teacache/create-policy.ts';
import { TeaCache } from '../core/teacache/teacache.ts';

export interface GenerationResult {
  readonly request: ResolvedRequest;
  readonly model: ModelInfo;
  readonly backend: BackendInfo;
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  readonly rgb: Uint8Array;
  readonly timesteps: readonly number[];
  readonly events: readonly StepEvent[];
  readonly stats: SamplerStats & { readonly forwards: number };
  readonly wallMs: number;
  /** Prompt words the model does not know (they were read as <unk>). */
  readonly unknownWords: readonly string[];
}

export interface GenerateHooks {
  readonly signal?: { readonly aborted: boolean };
  /** Record the input-side signal of every step (StepEvent.signal) even when the policy does not read it. */
  readonly measureSignal?: boolean;
  /** Each step's velocity as used in the update (calibration reads the output-side change from these). */
  onVelocity?(index: number, velocity: MxArray, computed: boolean): void;
  /** Each step's event, and a way to render the current estimate as RGB (costly: call sparingly). */
  onStep?(event: StepEvent, previewRgb: () => Uint8Array): void;
  /** Initial latents in diffusers' unpacked layout (the model's noiseShape), used instead of noise drawn from the seed. */
  readonly noise?: MxArray;
}

/** A request with every choice made against the model, and its schedule: resolved once, then run as is. */
export interface ResolvedRun {
  readonly request: ResolvedRequest;
  readonly timesteps: readonly number[];
}

export class Generator {
  constructor(
    readonly mx: MxBackend,
    readonly backend: BackendInfo,
    readonly model: ImageModel,
  ) {}

  /** Fills the request's omitted choices from this model and computes its schedule; throws BAD_REQUEST for a size it cannot make. */
  resolve(request: GenerationRequest): ResolvedRun {
    const resolved = resolveRequest(this.model, request);
    return { request: resolved, timesteps: scheduleFor(resolved, this.model.info.sizeMultiple) };
  }

  async generate(request: GenerationRequest, hooks: GenerateHooks = {}): Promise<GenerationResult> {
    return this.generateResolved(this.resolve(request), hooks);
  }

  /** Runs a request already resolved by resolve() (the worker announces it before running it). */
  async generateResolved(run: ResolvedRun, hooks: GenerateHooks = {}): Promise<GenerationResult> {
    const { mx, model } = this;
    const started = performance.now();
    const { request: resolved, timesteps } = run;
    const { width, height, guidanceMode } = resolved;

    // Only a model that embeds guidance sees the value; under CFG it weighs the two branches instead.
    const embeddedGuidance = guidanceMode === 'embedded' ? resolved.guidanceScale : undefined;
    const prompts = guidanceMode === 'cfg' ? [resolved.prompt, resolved.negativePrompt] : [resolved.prompt];
    const text = model.encodeTextReleasing ? await model.encodeTextReleasing(prompts) : model.encodeText(prompts);
    mx.eval(text.context, text.pooled);
    const noise = hooks.noise ? model.packNoise(checkedNoise(model, hooks.noise, width, height), width, height) : model.noise(resolved.seed, width, height);
    const { rows, cols } = noise;

    const guidance: Guidance =
      guidanceMode === 'cfg'
        ? {
            mode: 'cfg',
            scale: cfgWeight(model.defaults, resolved.guidanceScale),
            velocityPair: (x, t) => {
              // One batched forward for both branches: cheaper than two.
              const both = model.velocity(mx.concatenate([x, x], 0), rows, cols, t, text);
              return mx.split(both, 2, 0) as [MxArray, MxArray];
            },
          }
        : {
            mode: 'single',
            velocity: (x, t) => model.velocity(x, rows, cols, t, text, embeddedGuidance),
          };
    const { split } = model;
    if (split) {
      // The same forward as velocity()/velocityPair() above, stopped at the blocks.
      guidance.split =
        guidance.mode === 'cfg'
          ? (x, t) => {
              const part = split.call(model, mx.concatenate([x, x], 0), rows, cols, t, text);
              return {
                ...part,
                velocity: (blockOutput) => {
                  const [pos, neg] = mx.split(part.output(blockOutput), 2, 0) as [MxArray, MxArray];
                  return combineGuidance(mx, pos, neg, guidance.scale);
                },
              };
            }
          : (x, t) => {
              const part = split.call(model, x, rows, cols, t, text, embeddedGuidance);
              return { ...part, velocity: part.output };
            };
    }

    const cache = resolved.cache.enabled ? new TeaCache<MxArray>(createPolicy(resolved.cache)) : undefined;
    const output = await sample(mx, {
      betweenSteps: releaseUnreferencedArrays,
      noise: noise.tokens,
      timesteps,
      guidance,
      ...(cache ? { cache, reuse: resolved.cache.reuse } : {}),
      ...(hooks.measureSignal ? { measureSignal: true } : {}),
      ...(hooks.onVelocity ? { onVelocity: hooks.onVelocity } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onStep: (event, estimate) => hooks.onStep?.(event, () => model.toRgb(estimate(), width, height)),
    });
    cache?.free();
    const rgb = model.toRgb(output.result, width, height);
    // Only plain JS values leave this call, so every array it made can go back to MLX now.
    await releaseUnreferencedArrays('major');
    return {
      request: resolved,
      model: model.info,
      backend: this.backend,
      width,
      height,
      rgb,
      timesteps,
      events: output.events,
      stats: { ...output.stats, forwards: output.stats.misses },
      wallMs: performance.now() - started,
      unknownWords: text.unknownWords,
    };
  }
}

/** Given latents must have the model's unpacked shape at this size; anything else is refused, saying which shape fits. */
function checkedNoise(model: ImageModel, noise: MxArray, width: number, height: number): MxArray {
  const expected = model.noiseShape(width, height);
  const unpatchified = model.unpatchifiedNoiseShape?.(width, height);
  const given = noise.shape.join(',');
  if (given === expected.join(',')) return noise;
  if (unpatchified && model.patchifyNoise && given === unpatchified.join(',')) return model.patchifyNoise(noise);
  const also = unpatchified ? `, or [${unpatchified.join(', ')}] unpatchified` : '';
  throw new EngineError(
    'BAD_REQUEST',
    `The given noise has shape [${noise.shape.join(', ')}], but ${model.info.name} at ${width}×${height} starts from [${expected.join(', ')}] (diffusers' latent layout${also}): make it at that size, or pass --width/--height to match it.`,
    { field: 'noise', shape: noise.shape, expected },
  );
}
