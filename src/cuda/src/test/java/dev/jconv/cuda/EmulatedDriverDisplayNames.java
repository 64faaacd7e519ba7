package dev.jconv.cuda;

import org.junit.jupiter.api.DisplayNameGenerator;

/**
 * Display names for the Surefire execution that runs the GPU tests on jconv's EMULATED CUDA driver
 * (pom.xml, {@code emulated-cuda-driver}): every test class is shown as run on the emulation, so no
 * report reads as a GPU result.
 */
public final class EmulatedDriverDisplayNames extends DisplayNameGenerator.Standard {
    static final String PREFIX = "[EMULATED CUDA driver, CPU, not a GPU] ";

    @Override
    public String generateDisplayNameForClass(Class<?> testClass) {
        return PREFIX + super.generateDisplayNameForClass(testClass);
    }
}
