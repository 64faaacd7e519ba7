package dev.jconv.spark;

import dev.jconv.Options;
import dev.jconv.backend.Backends;
import dev.jconv.cpu.CpuBackend;
import dev.jconv.cpu.ReferenceBackend;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where a Spark task convolves, and why: on the GPU Spark's scheduler assigned to the task (the {@code gpu}
 * resource of {@link TaskContext#resources()}, set up with {@code spark.executor.resource.gpu.amount} and
 * {@code spark.task.resource.gpu.amount}), else on the CPU. With a GPU the backend is {@code auto}, which tries
 * the GPU backends first and falls back to the CPU when none of them can load (no driver, no cuDNN): the task
 * still runs and the reason says which backend ran. Without a GPU the fast {@code cpu} backend runs, or the
 * {@code cpu-reference} one where the Vector API is missing; a GPU backend is never picked then, so an executor
 * without a GPU of its own does not take GPU 0 from another. The device travels in the {@link #options()} of
 * each plan, so tasks of one executor given different GPUs each use their own.
 *
 * @param backend the backend name to pass to the selector
 * @param gpuOrdinal the CUDA device ordinal for the GPU backends, or -1 when the task has no GPU
 * @param reason in words, for logs and {@code describe()}
 */
public record DeviceChoice(String backend, int gpuOrdinal, String reason) {
    /** The resource name Spark's GPU scheduling uses. */
    public static final String GPU_RESOURCE = "gpu";

    /**
     * The choice for a task with these resources. {@code requested} is {@code auto} (choose from the resources)
     * or a backend name, which is then used as asked.
     */
    public static DeviceChoice forResources(Map<String, ResourceInformation> resources, String requested) {
        ResourceInformation gpu = resources.get(GPU_RESOURCE);
        String[] addresses = gpu == null ? new String[0] : gpu.addresses();
        int ordinal = -1;
        if (addresses.length > 0) {
            try {
                ordinal = Integer.parseInt(addresses[0].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Spark assigned GPU address '" + addresses[0] + "', which is not a "
                        + "CUDA device number; the GPU discovery script must print device ordinals (0, 1, ...)");
            }
        }
        if (!Backends.AUTO.equals(requested)) {
            Backends.byName(requested);
            return new DeviceChoice(requested, ordinal, "backend " + requested + " requested by name");
        }
        if (ordinal >= 0) {
            return new DeviceChoice(Backends.AUTO, ordinal, "the task was assigned GPU " + ordinal
                    + (addresses.length > 1 ? " (first of " + String.join(",", addresses) + ")" : "")
                    + ": GPU backends first, the CPU if none can load");
        }
        String cpu = Backends.byName(CpuBackend.NAME).availability().available() ? CpuBackend.NAME : ReferenceBackend.NAME;
        return new DeviceChoice(cpu, -1, "no GPU assigned to the task: " + cpu);
    }

    /** The choice for the running task (the CPU outside a task, e.g. on the driver). */
    public static DeviceChoice forCurrentTask(String requested) {
        TaskContext task = TaskContext.get();
        return forResources(task == null ? Map.of() : task.resourcesJMap(), requested);
    }

    /** The library options for this choice: the backend, and the task's GPU as the CUDA device when it has one. */
    public Options options() {
        Options options = Options.defaults().withBackend(backend);
        return gpuOrdinal >= 0 ? options.withDeviceIndex(gpuOrdinal) : options;
    }
}
