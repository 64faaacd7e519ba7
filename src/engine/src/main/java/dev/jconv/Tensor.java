package dev.jconv;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense float32 host tensor in row-major (C) order, the layout of a PyTorch contiguous tensor.
 * Convolution inputs are NCHW {@code (N, C, H, W)} or unbatched CHW {@code (C, H, W)}; weights are
 * {@code (out_channels, in_channels / groups, kH, kW)}; biases are {@code (out_channels)}.
 *
 * <p>The shape is fixed; the elements are mutable through {@link #set} and {@link #data()}. A tensor
 * is not synchronized: share it between threads only for reading.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;

    private Tensor(int[] shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        int[] s = checkedShape(shape);
        return new Tensor(s, new float[Math.toIntExact(numel(s))]);
    }

    /** Wraps {@code data} (not copied) with the given shape; the lengths must agree. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = checkedShape(shape);
        if (numel(s) != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.format(s) + " is invalid for input of size " + data.length);
        }
        return new Tensor(s, data);
    }

    /** Uniform random values in [lo, hi), reproducible from {@code seed}. */
    public static Tensor uniform(long seed, float lo, float hi, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = lo + (float) rng.nextDouble() * (hi - lo);
        }
        return t;
    }

    /** Standard normal values (like {@code torch.randn}), reproducible from {@code seed}. */
    public static Tensor randn(long seed, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i += 2) {
            // Box-Muller: two normals from two uniforms.
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(u1));
            t.data[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < t.data.length) {
                t.data[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
            }
        }
        return t;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The size of dimension {@code d}; negative {@code d} counts from the end, as in PyTorch. */
    public int size(int d) {
        return shape[d < 0 ? d + shape.length : d];
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return data.length;
    }

    /** The backing array, row-major; writes are visible in the tensor. */
    public float[] data() {
        return data;
    }

    public float get(int... index) {
        return data[offset(index)];
    }

    public void set(float value, int... index) {
        data[offset(index)] = value;
    }

    /** A tensor sharing this one's data under another shape with the same number of elements. */
    public Tensor reshape(int... newShape) {
        return of(data, newShape);
    }

    public Tensor copy() {
        return new Tensor(shape.clone(), data.clone());
    }

    private int offset(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices for a tensor of size "
                    + Shapes.format(shape) + ", got " + index.length);
        }
        int off = 0;
        for (int d = 0; d < shape.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("index " + index[d] + " is out of bounds for dimension " + d
                        + " with size " + shape[d]);
            }
            off = off * shape[d] + index[d];
        }
        return off;
    }

    private static int[] checkedShape(int[] shape) {
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Shapes.format(shape));
            }
        }
        if (numel(shape) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of size " + Shapes.format(shape)
                    + " has more elements than a Java array can hold");
        }
        return shape.clone();
    }

    static long numel(int[] shape) {
        for (int s : shape) {
            if (s == 0) {
                return 0; // empty, however large the other dimensions
            }
        }
        long n = 1;
        for (int s : shape) {
            n *= s;
            if (n > Integer.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    /** Formats as PyTorch prints a size, e.g. {@code Tensor[2, 3, 4, 4]}. */
    @Override
    public String toString() {
        return "Tensor" + Shapes.format(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }
}
