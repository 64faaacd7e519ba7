package dev.jconv.testkit;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;

/** What a piece of code allocates, for tests that promise memory bounds. */
public final class Allocations {
    private Allocations() {}

    /** Bytes this thread allocated while running {@code r} (HotSpot's per-thread counter); skips the test elsewhere. */
    public static long during(Runnable r) {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean hs && hs.isThreadAllocatedMemorySupported()
                && hs.isThreadAllocatedMemoryEnabled(), "this JVM cannot count allocated bytes per thread");
        com.sun.management.ThreadMXBean hs = (com.sun.management.ThreadMXBean) bean;
        long id = Thread.currentThread().getId();
        long before = hs.getThreadAllocatedBytes(id);
        r.run();
        return hs.getThreadAllocatedBytes(id) - before;
    }
}
