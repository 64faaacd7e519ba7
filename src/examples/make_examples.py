#!/usr/bin/env python3
"""Writes the bundled example for jconv's README quick start (run from anywhere):

    python3 src/examples/make_examples.py

input.npy   (1, 3, 8, 8)  float32: an image-like input; channel 0 has a vertical edge, channel 1 a
                          horizontal edge, channel 2 a bright 4x4 square in the middle.
weight.npy  (4, 3, 3, 3)  float32: four classic filters applied to the mean of the three channels:
                          Sobel x (vertical edges), Sobel y (horizontal edges), Laplacian, 3x3 box blur.
bias.npy    (4,)          float32: 0 for the edge filters, 0.5 for the blur.
expected_output.npy (1, 4, 8, 8) float32: PyTorch's F.conv2d(input, weight, bias, padding=1), which the
                          README's command must reproduce (a test checks it). Needs torch; the inputs
                          need only numpy.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def make_input():
    x = np.zeros((1, 3, 8, 8), dtype=np.float32)
    x[0, 0, :, 4:] = 1.0          # vertical edge between columns 3 and 4
    x[0, 1, 4:, :] = 1.0          # horizontal edge between rows 3 and 4
    x[0, 2, 2:6, 2:6] = 1.0       # bright square
    return x


def make_weight():
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    sobel_y = sobel_x.T.copy()
    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32)
    blur = np.full((3, 3), 1.0 / 9.0, dtype=np.float32)
    filters = [sobel_x, sobel_y, laplacian, blur]
    # Each filter sees the mean of the three input channels.
    return np.stack([np.stack([f / 3.0] * 3) for f in filters]).astype(np.float32)


def main():
    x = make_input()
    w = make_weight()
    b = np.array([0.0, 0.0, 0.0, 0.5], dtype=np.float32)
    np.save(os.path.join(HERE, "input.npy"), x)
    np.save(os.path.join(HERE, "weight.npy"), w)
    np.save(os.path.join(HERE, "bias.npy"), b)
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("torch not installed: expected_output.npy left as it is")
        return
    y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1)
    np.save(os.path.join(HERE, "expected_output.npy"), y.numpy())
    print("wrote input.npy, weight.npy, bias.npy and expected_output.npy (torch %s)" % torch.__version__)


if __name__ == "__main__":
    main()
