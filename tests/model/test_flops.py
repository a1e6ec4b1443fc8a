"""Graph-derived cost on tiny models whose FLOPs are computed by hand in each test."""

import numpy as np
import openvino as ov
import openvino.opset15 as ops

from perfbench.model.flops import graph_flops


def _const(*shape):
    return ops.constant(np.ones(shape, dtype=np.float32))


def test_convolution():
    # out 1×8×30×30 (3×3 VALID on 32×32), 3 input channels: 2·(8·30·30)·(3·3·3) = 388,800
    x = ops.parameter([1, 3, 32, 32], np.float32)
    y = ops.convolution(x, _const(8, 3, 3, 3), [1, 1], [0, 0], [0, 0], [1, 1])
    assert graph_flops(ov.Model([y], [x])) == 2 * 8 * 30 * 30 * 3 * 3 * 3 == 388_800


def test_strided_padded_convolution_uses_output_size():
    # 3×3 stride 2 pad 1 on 16×16 -> 8×8; 4 -> 6 channels: 2·(6·8·8)·(4·9) = 27,648
    x = ops.parameter([2, 4, 16, 16], np.float32)
    y = ops.convolution(x, _const(6, 4, 3, 3), [2, 2], [1, 1], [1, 1], [1, 1])
    assert graph_flops(ov.Model([y], [x])) == 2 * 2 * 6 * 8 * 8 * 4 * 9


def test_group_convolution_depthwise():
    # depthwise 3×3 on 1×8×10×10 SAME: each output uses 1 channel × 9 taps: 2·800·9
    x = ops.parameter([1, 8, 10, 10], np.float32)
    y = ops.group_convolution(x, _const(8, 1, 1, 3, 3), [1, 1], [1, 1], [1, 1], [1, 1])
    assert graph_flops(ov.Model([y], [x])) == 2 * 8 * 10 * 10 * 9


def test_matmul_with_and_without_transpose():
    # [4,16]x[16,10] -> 2·4·10·16 = 1,280 ; transposed A [16,4]^T gives the same cost
    a = ops.parameter([4, 16], np.float32)
    y = ops.matmul(a, _const(16, 10), False, False)
    assert graph_flops(ov.Model([y], [a])) == 1280
    at = ops.parameter([16, 4], np.float32)
    y2 = ops.matmul(at, _const(16, 10), True, False)
    assert graph_flops(ov.Model([y2], [at])) == 1280


def test_deconvolution_counts_per_input_pixel():
    # ConvolutionBackpropData 1×4×5×5 -> 6 channels, 3×3 kernel: 2·(4·25)·6·9 = 10,800
    x = ops.parameter([1, 4, 5, 5], np.float32)
    y = ops.convolution_backprop_data(x, _const(4, 6, 3, 3), [1, 1])
    assert graph_flops(ov.Model([y], [x])) == 2 * 4 * 25 * 6 * 9


def test_elementwise_ops_cost_nothing():
    x = ops.parameter([1, 100], np.float32)
    assert graph_flops(ov.Model([ops.relu(ops.add(x, x))], [x])) == 0
