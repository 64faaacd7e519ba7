package dev.jconv.cuda;

import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

/** One kernel of a loaded {@link PtxModule}; valid while the module is open. */
public final class CudaKernel {
    private final PtxModule module;
    private final String name;
    private final CUfunction function;

    CudaKernel(PtxModule module, String name, CUfunction function) {
        this.module = module;
        this.name = name;
        this.function = function;
    }

    public String name() {
        return name;
    }

    /**
     * Queues the kernel on {@code stream}. Launch errors (bad configuration, too many resources) are
     * thrown here; errors while it runs surface at the next synchronisation.
     */
    public void launch(LaunchConfig config, CudaStream stream, KernelArgs args) {
        module.checkLoaded();
        module.device().makeCurrent();
        int result = JCudaDriver.cuLaunchKernel(function,
                config.gridX(), config.gridY(), config.gridZ(),
                config.blockX(), config.blockY(), config.blockZ(),
                config.sharedMemoryBytes(), stream.jcudaStream(), args.toKernelParams(), null);
        if (result != 0) {
            throw new CudaException("cuLaunchKernel(" + name + ", " + config + ")", result);
        }
    }

    /** Registers per thread the JIT gave this kernel on this device. */
    public int registersPerThread() {
        return attribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS);
    }

    public int maxThreadsPerBlock() {
        return attribute(CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
    }

    private int attribute(int attribute) {
        module.checkLoaded();
        int[] value = new int[1];
        Cuda.check(JCudaDriver.cuFuncGetAttribute(value, attribute, function), "cuFuncGetAttribute(" + name + ")");
        return value[0];
    }

    @Override
    public String toString() {
        return name;
    }
}
