package dev.jconv.cuda;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Options;
import dev.jconv.backend.Availability;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.DeviceWorkspace;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanCache;
import dev.jconv.backend.PlanLease;
import dev.jconv.cuda.vendor.KernelModules;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code cuda-ptx}: jconv's own CUDA kernels ({@code native-kernels/*.cu}, shipped as PTX and
 * JIT-compiled by the driver on first use) on the selected {@link CudaDevice}. Needs an NVIDIA driver
 * for CUDA 13.0 or newer (r580+) and a Turing or newer GPU; no CUDA toolkit. Plans are cached per
 * geometry; every plan is a {@link DeviceConvPlan}, so device tensors can be used directly.
 */
public final class PtxBackend implements ConvBackend, AutoCloseable {
    public static final String NAME = "cuda-ptx";
    /** Turing: the oldest architecture CUDA 13 (and so our PTX) supports. */
    static final int MIN_COMPUTE_CAPABILITY = 75;
    static final List<String> PTX_RESOURCES = List.of(LaunchPlanner.DIRECT_PTX, LaunchPlanner.IMPLICIT_GEMM_PTX);

    /** Instances {@link #configured} made for devices other than the default one. */
    private static final Map<Integer, PtxBackend> CONFIGURED = new ConcurrentHashMap<>();

    private final Integer deviceIndex;  // null: the default device (Options.defaultDeviceIndex)
    private final PlanCache plans = new PlanCache(this::createPlan);
    private final KernelModules modules = new KernelModules();
    private final LazyProbe<Availability> availability = new LazyProbe<>(this::probe);
    /** The kernel every plan uses, or null for {@link LaunchPlanner}'s rule. */
    private final LaunchPlanner.Kernel kernelChoice;

    public PtxBackend() {
        this(null, null);
    }

    /** A backend whose plans all run {@code kernel}, whatever the planner's rule would pick (for tests of every kernel). */
    PtxBackend(LaunchPlanner.Kernel kernel) {
        this(null, kernel);
    }

    private PtxBackend(Integer deviceIndex, LaunchPlanner.Kernel kernel) {
        this.deviceIndex = deviceIndex;
        this.kernelChoice = kernel;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return availability.get();
    }

    private Availability probe() {
        Availability driver = Cuda.availability();
        if (!driver.available()) {
            return driver;
        }
        try {
            CudaDevice device = device();
            if (device.computeCapability() < MIN_COMPUTE_CAPABILITY) {
                return Availability.no(device.describe() + " is older than Turing (sm_75), the oldest GPU that CUDA 13"
                        + " PTX runs on");
            }
            PtxIsa isa = null;
            for (String resource : PTX_RESOURCES) {
                isa = PtxIsa.of(PtxModule.readResource(resource));
                String tooOld = isa.unsupportedReason(Cuda.driverVersion());
                if (tooOld != null) {
                    return Availability.no(tooOld);
                }
            }
            return Availability.yes(device.describe() + ", driver for CUDA " + Cuda.versionString(Cuda.driverVersion())
                    + ", PTX ISA " + isa + " compiled by the driver on first use");
        } catch (RuntimeException e) {
            return Availability.no(e.getMessage());
        }
    }

    @Override
    public boolean supports(ConvGeometry geometry) {
        return LaunchPlanner.unsupportedReason(geometry) == null;
    }

    /** The plan for {@code geometry}, made once and cached; throws {@link CudaUnavailableException} without a GPU. */
    @Override
    public DeviceConvPlan plan(ConvGeometry geometry) {
        CudaUnavailableException.requireAvailable(NAME, availability());
        return (DeviceConvPlan) plans.get(geometry);
    }


    /**
     * {@code output = conv2d(input, weight, bias)} on device tensors, validated like
     * {@code Functional.conv2d} (PyTorch's messages), waiting until the output is written.
     */
    public void forward(ConvParams params, DeviceTensor input, DeviceTensor weight, DeviceTensor bias, DeviceTensor output) {
        ConvGeometry g = ConvValidator.checkForward(input.shape(), weight.shape(), bias == null ? null : bias.shape(), params);
        ConvValidator.checkOutput(g, output.shape());
        plan(g).forward(input, weight, bias, output);
    }

    @Override
    public PlanLease lease(ConvGeometry geometry) {
        CudaUnavailableException.requireAvailable(NAME, availability());
        return plans.lease(geometry);
    }

    /** The leased plan for {@code geometry} with ReLU in the kernels' epilogue ({@link PtxPlan#withPostOp}). */
    @Override
    public PlanLease lease(ConvGeometry geometry, PostOp postOp) {
        return PlanLease.viewing(lease(geometry), plan -> ((PtxPlan) plan).withPostOp(postOp));
    }

    /** This backend if {@code options} ask for its device, else the shared instance for that device. */
    @Override
    public ConvBackend configured(Options options) {
        if (options.deviceIndex() == deviceIndex()) {
            return this;
        }
        return CONFIGURED.computeIfAbsent(options.deviceIndex(), index -> new PtxBackend(index, kernelChoice));
    }

    private int deviceIndex() {
        return deviceIndex != null ? deviceIndex : Options.defaultDeviceIndex();
    }

    /** The device plans run on ({@link Options#deviceIndex()}; the default one unless configured). */
    public CudaDevice device() {
        return CudaDevice.get(deviceIndex());
    }

    private ConvPlan createPlan(ConvGeometry g) {
        String unsupported = LaunchPlanner.unsupportedReason(g);
        if (unsupported != null) {
            throw new IllegalArgumentException(NAME + " cannot run this convolution: " + unsupported);
        }
        CudaDevice device = device();
        if (LaunchPlanner.outputElements(g) == 0) {
            return new PtxPlan(g, device, null, null, null);
        }
        ConvLaunch launch = kernelChoice == null ? LaunchPlanner.plan(g, device.multiprocessorCount())
                : LaunchPlanner.plan(g, kernelChoice);
        CudaKernel kernel = modules.kernel(device, launch.ptxResource(), launch.kernelName());
        DeviceBuffer taps = null;
        if (launch.scratchBytes() > 0) {
            taps = device.allocate(launch.scratchBytes());
            try {
                taps.copyFrom(LaunchPlanner.taps(g));
            } catch (RuntimeException e) {
                taps.close();
                throw e;
            }
        }
        return new PtxPlan(g, device, launch, kernel, taps);
    }

    /** A workspace on this backend's device with the standalone ReLU and max-pool kernels, for whole networks. */
    @Override
    public DeviceWorkspace openDeviceWorkspace() {
        CudaUnavailableException.requireAvailable(NAME, availability());
        return new PtxDeviceWorkspace(device(), modules);
    }

    /** Plans cached so far. */
    public int planCount() {
        return plans.size();
    }

    /**
     * Frees every plan and unloads the kernels. Calls still running on other threads must have finished.
     * The backend stays usable: later calls plan and load again.
     */
    @Override
    public void close() {
        plans.close();
        modules.close();
    }
}
