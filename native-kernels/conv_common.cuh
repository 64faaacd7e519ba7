// Shared by every jconv convolution kernel: PyTorch's padding modes as an index mapping.
//
// A convolution reads input coordinate i = out * stride - pad + tap * dilation, which may fall
// outside [0, size). Instead of materialising a padded copy, every kernel maps such a coordinate
// back into the input, exactly like dev.jconv.PaddingMode.sourceIndex on the Java side:
//   zeros     -> -1 (the caller reads 0)
//   reflect   -> mirror without repeating the edge:  -1 -> 1,  size -> size - 2
//   replicate -> clamp to the edge
//   circular  -> wrap around (floor modulo)
// The codes are fixed here and in dev.jconv.cuda.PtxKernels.paddingModeCode; keep them in step.
#pragma once

#define JCONV_PAD_ZEROS 0
#define JCONV_PAD_REFLECT 1
#define JCONV_PAD_REPLICATE 2
#define JCONV_PAD_CIRCULAR 3

__device__ __forceinline__ int jconv_source_index(int i, int size, int mode) {
    if ((unsigned)i < (unsigned)size) {
        return i;
    }
    switch (mode) {
    case JCONV_PAD_REFLECT: {
        // PyTorch requires pad < size, so valid outputs reflect once; the range check keeps the
        // window reads of a partial edge tile (outputs that are never written) inside the input
        const int j = i < 0 ? -i : 2 * (size - 1) - i;
        return (unsigned)j < (unsigned)size ? j : -1;
    }
    case JCONV_PAD_REPLICATE:
        return i < 0 ? 0 : size - 1;
    case JCONV_PAD_CIRCULAR: {
        int m = i % size;
        return m < 0 ? m + size : m;
    }
    default:
        return -1;
    }
}
