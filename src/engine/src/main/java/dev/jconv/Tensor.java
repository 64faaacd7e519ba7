package dev.jconv;

import dev.jconv.backend.ConvPlan;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense float32 host tensor in row-major (C) order, the layout of a PyTorch contiguous tensor.
 * Convolution inputs are NCHW {@code (N, C, H, W)} or unbatched CHW {@code (C, H, W)}; weights are
 * {@code (out_channels, in_channels / groups, kH, kW)}; biases are {@code (out_channels)}.
 *
 * <p>Storage: a tensor is a view of {@code numel} consecutive floats of one of
 * <ul>
 *   <li>a whole {@code float[]} ({@link #zeros}, {@link #of}): the usual case, used by every backend in place;</li>
 *   <li>part of a {@code float[]} from an offset ({@link #wrap(float[], int, int...)}), or a heap
 *       {@link FloatBuffer} (which is such a part of its array): not copied when wrapped;</li>
 *   <li>a direct (off-heap) {@link FloatBuffer} ({@link #wrap(FloatBuffer, int...)}): not copied when wrapped.</li>
 * </ul>
 * Wrapping never copies: writes through the tensor show in the caller's array or buffer and the other way round;
 * the caller keeps owning that memory and must keep it alive and unchanged in size while the tensor is used.
 * Kernels work on whole arrays, so a forward pass given a tensor that is not a whole array copies it once into
 * (and an output once back from) a staging array its plan keeps for reuse ({@link ConvolutionPlan}): exactly
 * one copy each way, no allocation once warm. {@link #isWholeArray()} says which case a tensor is.
 *
 * <p>The shape is fixed; the elements are mutable through {@link #set}, {@link #copyFrom} and {@link #data()}.
 * A tensor is not synchronized: share it between threads only for reading.
 *
 * <p>Versions: like a PyTorch tensor's version counter, a tensor counts the writes made through it (and through
 * the tensors sharing its array: {@link #reshape}), so that a plan can prepare a weight once and reuse it until
 * the next write ({@link ConvPlan#forward(float[], float[], long, float[], float[])}) instead of comparing its
 * values on every call. Writes to an array this class does not own go uncounted, so a tensor whose array came
 * from the caller ({@link #of}, {@link #wrap}) or was handed out ({@link #data()}) has no version and is compared:
 * a {@code Conv2d}'s own weight keeps its version as long as it is changed only through {@link #set} and
 * {@link #copyFrom} (or replaced with the setter).
 */
public final class Tensor {
    private final int[] shape;
    private final int numel;
    private final float[] array;      // null for a direct buffer
    private final int offset;         // of element 0 in array
    private final FloatBuffer direct; // element 0 at index 0; null for an array
    private final Writes writes;      // shared by every tensor viewing the same array

    /** What the tensors viewing one array share: the writes made through them, and whether others can write. */
    private static final class Writes {
        /** Writes through these tensors ({@link #set}, {@link #copyFrom}, {@link #wrote()}). */
        volatile long count;
        /** The array is the caller's or was handed out by {@link #data()}: its writes go uncounted. */
        volatile boolean handedOut;

        Writes(boolean handedOut) {
            this.handedOut = handedOut;
        }
    }

    private Tensor(int[] shape, float[] array, int offset, FloatBuffer direct, Writes writes) {
        this.shape = shape;
        this.numel = (int) numel(shape);
        this.array = array;
        this.offset = offset;
        this.direct = direct;
        this.writes = writes;
    }

    /** A tensor over {@code data}, an array of its own ({@code owned}) or the caller's. */
    private Tensor(int[] shape, float[] data, boolean owned) {
        this(shape, data, 0, null, new Writes(!owned));
    }

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        int[] s = checkedShape(shape);
        return new Tensor(s, new float[Math.toIntExact(numel(s))], true);
    }

    /** A tensor holding a copy of {@code values} (as {@code torch.tensor} copies its data); the lengths must agree. */
    public static Tensor copyOf(float[] values, int... shape) {
        return new Tensor(of(values, shape).shape, values.clone(), true);
    }

    /** Wraps {@code data} (not copied) with the given shape; the lengths must agree. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = checkedShape(shape);
        if (numel(s) != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.format(s) + " is invalid for input of size " + data.length);
        }
        return new Tensor(s, data, false);
    }

    /**
     * A view (not a copy) of {@code array[offset .. offset + numel)} with the given shape; the array may be longer,
     * so one array can hold several tensors (a batch arena, say).
     */
    public static Tensor wrap(float[] array, int offset, int... shape) {
        int[] s = checkedShape(shape);
        long n = numel(s);
        if (offset < 0 || offset + n > array.length) {
            throw new IllegalArgumentException("shape " + Shapes.format(s) + " from offset " + offset
                    + " does not fit an array of size " + array.length);
        }
        return new Tensor(s, array, offset, null, new Writes(true));
    }

    /**
     * A view (not a copy) of the buffer's floats from its position on, with the given shape; the buffer needs
     * at least {@code numel} floats remaining. Its position, limit and mark are not used afterwards and not
     * changed. A heap buffer is viewed through its array; a direct buffer is read and written in place.
     */
    public static Tensor wrap(FloatBuffer buffer, int... shape) {
        int[] s = checkedShape(shape);
        long n = numel(s);
        if (n > buffer.remaining()) {
            throw new IllegalArgumentException("shape " + Shapes.format(s) + " needs " + n + " floats, the buffer has "
                    + buffer.remaining() + " remaining");
        }
        if (buffer.hasArray()) {
            return new Tensor(s, buffer.array(), buffer.arrayOffset() + buffer.position(), null, new Writes(true));
        }
        return new Tensor(s, null, 0, buffer.slice(), new Writes(true));
    }

    /** Uniform random values in [lo, hi), reproducible from {@code seed}. */
    public static Tensor uniform(long seed, float lo, float hi, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.array.length; i++) {
            t.array[i] = lo + (float) rng.nextDouble() * (hi - lo);
        }
        return t;
    }

    /** Standard normal values (like {@code torch.randn}), reproducible from {@code seed}. */
    public static Tensor randn(long seed, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.array.length; i += 2) {
            // Box-Muller: two normals from two uniforms.
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(u1));
            t.array[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < t.array.length) {
                t.array[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
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
        return numel;
    }

    /** Whether this tensor is a whole {@code float[]} (offset 0, same length), which {@link #data()} returns. */
    public boolean isWholeArray() {
        return array != null && offset == 0 && array.length == numel;
    }

    /**
     * The backing array, row-major; writes are visible in the tensor. Only for a tensor that is a whole array
     * ({@link #isWholeArray()}); a view throws {@link IllegalStateException} (use {@link #copyTo} or
     * {@link #toArray()}). From then on the tensor has no version (see the class comment).
     */
    public float[] data() {
        float[] whole = inPlace();
        writes.handedOut = true;
        return whole;
    }

    /**
     * The backing array of a whole-array tensor without handing it out: for this package's code that reads it, or
     * writes it and then says so ({@link #wrote()}).
     */
    float[] inPlace() {
        if (!isWholeArray()) {
            throw new IllegalStateException("tensor " + Shapes.format(shape) + " is a view of "
                    + (array == null ? "a direct buffer" : "an array of " + array.length + " floats from offset " + offset)
                    + ", not a whole array: use copyTo or toArray");
        }
        return array;
    }

    /** Counts a write made through {@link #inPlace()}. */
    void wrote() {
        writes.count++;
    }

    /**
     * The version of this tensor's values, for {@link ConvPlan#forward(float[], float[], long, float[], float[])}:
     * changed by every write through it or a tensor sharing its array; {@link ConvPlan#UNVERSIONED} when the array
     * is the caller's or was handed out.
     */
    long version() {
        return writes.handedOut ? ConvPlan.UNVERSIONED : writes.count;
    }

    /** The elements, row-major, in a new array. */
    public float[] toArray() {
        float[] out = new float[numel];
        copyTo(out, 0);
        return out;
    }

    /** Copies the elements, row-major, into {@code dst[dstOffset ..]}. */
    public void copyTo(float[] dst, int dstOffset) {
        if (array != null) {
            System.arraycopy(array, offset, dst, dstOffset, numel);
        } else {
            direct.get(0, dst, dstOffset, numel);
        }
    }

    /** Overwrites the elements with {@code src[srcOffset .. srcOffset + numel)}. */
    public void copyFrom(float[] src, int srcOffset) {
        writes.count++;
        if (array != null) {
            System.arraycopy(src, srcOffset, array, offset, numel);
        } else {
            direct.put(0, src, srcOffset, numel);
        }
    }

    public float get(int... index) {
        int i = index(index);
        return array != null ? array[offset + i] : direct.get(i);
    }

    public void set(float value, int... index) {
        int i = index(index);
        writes.count++;
        if (array != null) {
            array[offset + i] = value;
        } else {
            direct.put(i, value);
        }
    }

    /**
     * A tensor sharing this one's data under another shape with the same number of elements; one size may be
     * {@code -1}, inferred from the others, as in {@code x.reshape(-1, 64 * 7 * 7)}. Errors in PyTorch's words.
     */
    public Tensor reshape(int... newShape) {
        return new Tensor(checkedShape(inferShape(newShape, numel)), array, offset, direct, writes);
    }

    /** {@code newShape} with its {@code -1} resolved for {@code numel} elements, checked as PyTorch's infer_size. */
    static int[] inferShape(int[] newShape, long numel) {
        int inferred = -1;
        long known = 1;
        for (int d = 0; d < newShape.length; d++) {
            if (newShape[d] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred");
                }
                inferred = d;
            } else if (newShape[d] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + newShape[d]);
            } else {
                // capped where no int-sized tensor can match, so many large sizes cannot overflow into a match
                known = Math.min(known * newShape[d], Long.MAX_VALUE / Integer.MAX_VALUE);
            }
        }
        int[] shape = newShape.clone();
        if (inferred >= 0) {
            if (known == 0) {
                if (numel == 0) {
                    throw new IllegalArgumentException("cannot reshape tensor of 0 elements into shape "
                            + Shapes.format(newShape) + " because the unspecified dimension size -1 can be any value"
                            + " and is ambiguous");
                }
            } else if (numel % known == 0) {
                shape[inferred] = Math.toIntExact(numel / known);
                return shape;
            }
        } else if (known == numel) {
            return shape;
        }
        throw new IllegalArgumentException("shape '" + Shapes.format(newShape) + "' is invalid for input of size " + numel);
    }

    /** A copy that is a whole array of its own. */
    public Tensor copy() {
        return new Tensor(shape.clone(), toArray(), true);
    }

    private int index(int[] index) {
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
        if (numel(shape) > Shapes.MAX_ELEMENTS) {
            throw new IllegalArgumentException("tensor of size " + Shapes.format(shape)
                    + " has more elements than a Java array can hold");
        }
        return shape.clone();
    }

    static long numel(int[] shape) {
        return Shapes.elements(shape);
    }

    /** Formats as PyTorch prints a size, e.g. {@code Tensor[2, 3, 4, 4]}. */
    @Override
    public String toString() {
        return "Tensor" + Shapes.format(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(toArray(), t.toArray());
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(toArray());
    }
}
