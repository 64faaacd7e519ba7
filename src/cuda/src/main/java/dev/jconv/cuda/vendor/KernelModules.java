package dev.jconv.cuda.vendor;

import dev.jconv.cuda.CudaDevice;
import dev.jconv.cuda.CudaKernel;
import dev.jconv.cuda.PtxModule;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** PTX modules a backend loaded, one per (device, resource), unloaded together when the backend closes. */
public final class KernelModules implements AutoCloseable {
    private record Key(int device, String resource) {}

    private final Map<Key, PtxModule> modules = new ConcurrentHashMap<>();

    /** The kernel {@code name} from {@code resource} on {@code device}, loading the module on first use. */
    public CudaKernel kernel(CudaDevice device, String resource, String name) {
        return modules.computeIfAbsent(new Key(device.ordinal(), resource), k -> device.loadModule(resource)).kernel(name);
    }

    @Override
    public void close() {
        for (Key k : List.copyOf(modules.keySet())) {
            PtxModule m = modules.remove(k);
            if (m != null) {
                m.close();
            }
        }
    }
}
