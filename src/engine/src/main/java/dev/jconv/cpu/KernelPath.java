package dev.jconv.cpu;

/**
 * The distinct code paths inside the {@code cpu} plans' vector kernels that a convolution's shape decides. Each is
 * a branch HotSpot profiles: C2 compiles a kernel with only the branches it has seen taken and turns the others
 * into uncommon traps, so a shape taking a path nobody took before deoptimizes the kernel back to the
 * interpreter, where Vector API code runs about a hundred times slower, until C2 has compiled it again (seconds
 * on a loaded machine). {@link KernelWarmup} takes every one of them before real shapes do; {@code
 * KernelWarmupTest} checks that it still does.
 */
enum KernelPath {
    /** 8-channel x 3-vector tiles with weights packed per call ({@code GemmKernel.tile8x3Packed}). */
    PACKED_FULL_TILE,
    /** The ragged end of the flat range, vector by vector, packed weights ({@code tile8x1Packed}). */
    PACKED_TAIL,
    /** Full tiles with the weights read in place ({@code tile8x3}), for short flat ranges and big weights. */
    IN_PLACE_FULL_TILE,
    /** The ragged end with the weights read in place ({@code tile8x1}). */
    IN_PLACE_TAIL,
    /** A channel block of all 8 rows (every {@code rowsValid > m} test true). */
    FULL_BLOCK,
    /**
     * A channel block of fewer than 8 rows. {@link KernelWarmup} runs one of a single row, so every
     * {@code rowsValid > m} test has also been seen false, whatever the block's row count.
     */
    PARTIAL_BLOCK,
    /** The GEMM reads the caller's input as it is (1x1, stride 1, no padding). */
    DIRECT_INPUT,
    /** Each task copies the padded, phase-split rows it reads. */
    FUSED_COPY,
    /** The copy is one parallel step before the multiply (channels split over tasks). */
    SEPARATE_COPY,
    /** An output vector inside one output row: one plain store. */
    WHOLE_STORE,
    /** An output vector crossing a row end or the flat end: spilled and copied run by run. */
    SPILLED_STORE,
    /** Depthwise 3x3 stride 1, four output rows at a time. */
    DEPTHWISE_FOUR_ROWS,
    /** Depthwise 3x3, one output row at a time (strides other than 1, and the rows left over). */
    DEPTHWISE_ONE_ROW_3X3,
    /** Depthwise with other kernel sizes, one output row at a time, taps in a loop. */
    DEPTHWISE_ONE_ROW,
    /** A depthwise output vector of all lanes. */
    DEPTHWISE_FULL_VECTOR,
    /** A depthwise output vector of fewer lanes: rows narrower than a vector (wider rows end overlapping). */
    DEPTHWISE_PARTIAL_VECTOR,
    /** Depthwise 3x3 on narrow planes: a block of all {@code LANES} channels, pixel-interleaved. */
    DEPTHWISE_CHANNEL_BLOCK,
    /** The last channel block when the channel count is not a multiple of {@code LANES} (zeroed lanes). */
    DEPTHWISE_PARTIAL_CHANNEL_BLOCK,
    /** Stride-2 phase rows copied with a vector deinterleave ({@code FlatLayout.fillRows}). */
    DEINTERLEAVED_COPY
}
