/**
 * TensorFlow.js's wasm backend (4.x) has no kernel for the convolution weight gradient
 * (`Conv2DBackpropFilter`), so `tf.grad` of any `conv2d` throws there. This registers a fallback
 * for 'wasm': a pure-JavaScript direct loop over NHWC tensors (no im2col, no SIMD), reading the
 * inputs from the wasm heap and writing the result into a wasm-heap output. It is what a user of
 * the wasm backend would have to write; its time counts against the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';

type WasmBackend = {
  readSync(dataId: unknown): Float32Array;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
};

/** dW[kh, kw, ci, co] = sum over n, oy, ox of x[n, oy*s - pad + kh, ox*s - pad + kw, ci] * dy[n, oy, ox, co]. */
export function conv2dBackpropFilterNhwc(
  x: Float32Array,
  xShape: number[],
  dy: Float32Array,
  dyShape: number[],
  filterShape: number[],
  strideH: number,
  strideW: number,
  padTop: number,
  padLeft: number,
  dw: Float32Array,
): void {
  const [n, h, w, ci] = xShape;
  const [, oh, ow, co] = dyShape;
  const [kh, kw] = filterShape;
  dw.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dyOff = ((b * oh + oy) * ow + ox) * co;
        for (let r = 0; r < kh; r++) {
          const iy = oy * strideH - padTop + r;
          if (iy < 0 || iy >= h) continue;
          for (let c = 0; c < kw; c++) {
            const ix = ox * strideW - padLeft + c;
            if (ix < 0 || ix >= w) continue;
            const xOff = ((b * h + iy) * w + ix) * ci;
            const wOff = (r * kw + c) * ci * co;
            for (let i = 0; i < ci; i++) {
              const xv = x[xOff + i];
              if (xv === 0) continue;
              const o = wOff + i * co;
              for (let j = 0; j < co; j++) dw[o + j] += xv * dy[dyOff + j];
            }
          }
        }
      }
    }
  }
}

let registered = false;

/** Registers the fallback on 'wasm' (once; a no-op if the backend has its own kernel). */
export function registerWasmConvFilterFallback(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  registered = true;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: 'same' | 'valid' | number;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat !== 'NHWC') throw new Error('conv filter fallback: NHWC only');
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput(a.filterShape, 'float32');
      conv2dBackpropFilterNhwc(
        b.readSync(x.dataId),
        x.shape,
        b.readSync(dy.dataId),
        dy.shape,
        a.filterShape,
        info.strideHeight,
        info.strideWidth,
        info.padInfo.top,
        info.padInfo.left,
        b.typedArrayFromHeap(out),
      );
      return out;
    },
  });
}
