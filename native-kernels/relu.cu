// relu: the standalone ReLU of a network run on the device (dev.jconv.nn.ReLU when no convolution
// precedes it to take it into its epilogue), in place or into another buffer.
//
// Math, for every element i < planes * plane_size of a contiguous float32 tensor:
//   output[i] = input[i] < 0 ? 0 : input[i]
// which is torch.relu bit for bit: NaN propagates (NaN < 0 is false; fmaxf would drop it) and -0.0
// stays -0.0 (-0.0 < 0 is false), as dev.jconv.PostOp.RELU on the host. input == output is allowed
// (each thread reads its element before writing it, and no other thread touches it).
//
// Launch geometry (dev.jconv.cuda.ReluKernel): one thread per element, RELU_BLOCK = 256 threads per
// block, grid.x = ceil(planes * plane_size / 256); the total is split into two ints so that it may
// exceed 2^31 while every kernel argument stays a 32-bit int; the flat index is 64-bit.
// Memory traffic: one coalesced 4-byte read and one 4-byte write per element, 8 bytes per element.

#define RELU_BLOCK 256

extern "C" __global__ void __launch_bounds__(RELU_BLOCK)
relu(const float* input, float* output, int planes, int plane_size) {
    const size_t index = (size_t)blockIdx.x * RELU_BLOCK + threadIdx.x;
    if (index >= (size_t)planes * plane_size) {
        return;
    }
    const float v = input[index];
    output[index] = v < 0.0f ? 0.0f : v;
}
