/**
 * Conv2D and both of its gradients on the native addon: matrix products over the input's patches, never
 * written out whole (the forward pass and the filter gradient pack the patches a tile at a time; the input
 * gradient scatters the patches' gradients back). NCHW or a shape the addon refuses goes to the wasm kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvGradAttrs, KernelArgs, KernelFunc, WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import type { NativeAddon } from './addon.js';

type Mode = 0 | 1 | 2;

interface ConvAttrs {
  strides: [number, number] | number;
  pad: ConvGradAttrs['pad'];
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function run(addon: NativeAddon, backend: WasmBackend & WasmBackendInternals, mode: Mode, info: tf.backend_util.Conv2DInfo, t: { x?: tf.TensorInfo; f?: tf.TensorInfo; dy?: tf.TensorInfo; bias?: tf.TensorInfo }, outShape: number[], activation = 0): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const { memory, at } = heapView(backend);
  addon.conv2d(memory, mode, at(t.x), at(t.f), at(t.dy), at(out), at(t.bias), activation,
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left);
  return out;
}

const float = (...ts: Array<tf.TensorInfo | undefined>): boolean => ts.every((t) => t?.dtype === 'float32');

/** Conv2D over `fallback`. */
export function nativeConv2D(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs;
    if (a.dataFormat === 'NCHW' || !float(x, filter)) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    return run(addon, args.backend as WasmBackend & WasmBackendInternals, 0, info, { x, f: filter }, info.outShape);
  };
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1 };

/**
 * FusedConv2D over `fallback`: the convolution with its bias and a relu in the same pass (tfjs fuses them when
 * no gradient is recorded: validation, prediction). Other activations, PReLU or a bias that is not one value
 * per output channel go to the wasm kernel.
 */
export function nativeFusedConv2D(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const a = args.attrs as unknown as ConvAttrs & { activation?: string };
    const act = ACTIVATIONS[a.activation ?? 'linear'];
    const cout = filter?.shape[3];
    const plainBias = !bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === cout);
    if (!x || !filter || a.dataFormat === 'NCHW' || !float(x, filter) || act === undefined || preluActivationWeights || !plainBias) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    return run(addon, args.backend as WasmBackend & WasmBackendInternals, 0, info, { x, f: filter, ...(bias ? { bias } : {}) }, info.outShape, act);
  };
}

/** Conv2DBackpropFilter over `fallback`. */
export function nativeConvFilterGrad(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as ConvGradAttrs;
    if (a.dataFormat === 'NCHW' || !float(x, dy)) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    return run(addon, args.backend as WasmBackend & WasmBackendInternals, 1, info, { x, dy }, a.filterShape);
  };
}

/** Conv2DBackpropInput over `fallback`. */
export function nativeConvInputGrad(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as ConvGradAttrs & { dilations?: [number, number] | number };
    if (a.dataFormat === 'NCHW' || !float(dy, filter)) return fallback(args);
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    return run(addon, args.backend as WasmBackend & WasmBackendInternals, 2, info, { dy, f: filter }, a.inputShape);
  };
}
