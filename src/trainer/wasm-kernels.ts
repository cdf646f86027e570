/**
 * Kernels the wasm backend lacks, composed from kernels it has. Without Conv2DBackpropFilter no CNN can train
 * on wasm: the filter gradient of an NHWC convolution is itself a convolution — of the input with channels
 * as batch, by the output gradient with batch as channels — where the forward stride becomes the dilation,
 * the forward padding is passed explicitly, and the result is cropped to the filter size.
 */
import * as tf from '@tensorflow/tfjs';

type KernelFunc = (params: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

function kernel(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as KernelFunc;
}

const single = (out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo => (Array.isArray(out) ? out[0]! : out);

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [fh, fw, cin, cout] = filterShape;
  const transpose = kernel('Transpose');
  const conv2d = kernel('Conv2D');
  const slice = kernel('Slice');
  const disposeData = (t: tf.TensorInfo): void => (backend as { disposeData(id: unknown): void }).disposeData(t.dataId);

  const xT = single(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } })); // [Cin, H, W, N]
  const dyT = single(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } })); // [OH, OW, N, Cout]
  const { top, bottom, left, right } = info.padInfo;
  const full = single(
    conv2d({
      inputs: { x: xT, filter: dyT },
      backend,
      attrs: {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [info.strideHeight, info.strideWidth],
      },
    }),
  ); // [Cin, ≥fh, ≥fw, Cout]
  const cropped = single(slice({ inputs: { x: full }, backend, attrs: { begin: [0, 0, 0, 0], size: [cin, fh, fw, cout] } }));
  const out = single(transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } })); // [fh, fw, Cin, Cout]
  for (const t of [xT, dyT, full, cropped]) disposeData(t);
  return out;
}

/** Registers the missing kernels on the wasm backend (once per thread). */
export function registerWasmKernels(): void {
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as never });
  }
}
