package dev.jconv.cpu;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * The plain-Java path (what {@code cpu} runs without the Vector API) agrees with {@code cpu-reference} on the same
 * random configurations as {@link CpuBackendPropertyTest}: every padding kind and mode, strides, dilations, groups,
 * bias or none, batched and unbatched; on a 3-thread pool so the task split (pairs of output channels, groups
 * boundaries) is exercised. Called directly, since this JVM has the Vector API; {@link MissingVectorModuleTest}
 * checks the path {@code cpu} takes in a JVM without it.
 */
@AddLifecycleHook(value = PropertySeed.class, propagateTo = PropagationMode.DIRECT_DESCENDANTS)
class PlainJavaPlanPropertyTest {
    private static final WorkerPool POOL = WorkerPool.of(3);

    @Property(tries = 500)
    void agreesWithReference(@ForAll("configurations") AgainstReference.Case c) {
        AgainstReference.check(g -> new PlainJavaPlan(g, POOL), c);
    }

    @Provide
    Arbitrary<AgainstReference.Case> configurations() {
        return new CpuBackendPropertyTest().configurations();
    }
}
