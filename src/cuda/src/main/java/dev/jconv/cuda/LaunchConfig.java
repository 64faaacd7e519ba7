package dev.jconv.cuda;

/** Grid and block dimensions and dynamic shared memory of one kernel launch, checked against CUDA's limits. */
public record LaunchConfig(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedMemoryBytes) {
    /** CUDA's limits on every GPU jconv supports (compute capability 7.5+). */
    public static final long MAX_GRID_X = Integer.MAX_VALUE;
    public static final int MAX_GRID_YZ = 65535;
    public static final int MAX_THREADS_PER_BLOCK = 1024;
    /** Dynamic shared memory a kernel may use without opting in per function. */
    public static final int DEFAULT_MAX_SHARED_BYTES = 48 * 1024;

    public LaunchConfig {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid (" + gridX + ", " + gridY + ", " + gridZ + ") is outside CUDA's limits"
                    + " (x 1.." + MAX_GRID_X + ", y and z 1.." + MAX_GRID_YZ + ")");
        }
        if (blockX < 1 || blockY < 1 || blockZ < 1 || (long) blockX * blockY * blockZ > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException("block (" + blockX + ", " + blockY + ", " + blockZ + ") is outside CUDA's limit of "
                    + MAX_THREADS_PER_BLOCK + " threads");
        }
        if (sharedMemoryBytes < 0 || sharedMemoryBytes > DEFAULT_MAX_SHARED_BYTES) {
            throw new IllegalArgumentException("dynamic shared memory " + sharedMemoryBytes + " bytes is outside 0.."
                    + DEFAULT_MAX_SHARED_BYTES);
        }
    }

    public static LaunchConfig of1d(int gridX, int blockX, int sharedMemoryBytes) {
        return new LaunchConfig(gridX, 1, 1, blockX, 1, 1, sharedMemoryBytes);
    }

    public int threadsPerBlock() {
        return blockX * blockY * blockZ;
    }

    public long blocks() {
        return (long) gridX * gridY * gridZ;
    }

    @Override
    public String toString() {
        return "grid (" + gridX + ", " + gridY + ", " + gridZ + "), block (" + blockX + ", " + blockY + ", " + blockZ + "), "
                + sharedMemoryBytes + " bytes dynamic shared memory";
    }
}
