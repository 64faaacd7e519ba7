/**
 * jconv's engine: tensors, {@code Conv2d}/{@code Functional}, the backend selector, the CPU backends, the
 * {@code nn} modules and the state_dict readers.
 * On the module path, requiring {@code jdk.incubator.vector} here resolves the Vector API for the {@code cpu}
 * backend without {@code --add-modules}; backends in other modules (jconv-cuda) are found as
 * {@link dev.jconv.backend.BackendProvider} services.
 */
module dev.jconv {
    requires jdk.incubator.vector;
    // only dev.jconv.io.Pictures (picture files as tensors) uses javax.imageio; applications that never read a
    // picture need not resolve the desktop module
    requires static java.desktop;

    exports dev.jconv;
    exports dev.jconv.backend;
    exports dev.jconv.cpu;
    exports dev.jconv.io;
    exports dev.jconv.nn;

    uses dev.jconv.backend.BackendProvider;

    provides dev.jconv.backend.BackendProvider
            with dev.jconv.cpu.CpuBackendProvider, dev.jconv.cpu.ReferenceBackendProvider;
}
