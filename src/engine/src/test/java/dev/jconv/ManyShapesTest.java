package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.testkit.ForkedJvm;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 10,000 distinct input shapes in a 200 MB heap complete: the plan caches stay within their byte budget by
 * dropping the least recently used plans. Every plan kept would need about 1.5 GB.
 */
class ManyShapesTest {

    @Test
    void tenThousandShapesFitA200MegabyteHeap() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(ManyShapesMain.class, List.of("-Xmx200m", "-Djconv.threads=2"), 600,
                "10000");
        assertEquals(0, r.exitCode(), "exit code; stderr:\n" + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("shapes 10000", lines.get(0));
        long budget = Long.parseLong(lines.get(1).substring("budget ".length()));
        long maxRetained = Long.parseLong(lines.get(2).substring("max retained ".length()));
        assertEquals(200L * 1024 * 1024 / 8, budget, 1024 * 1024, "default budget: an eighth of the heap");
        assertTrue(maxRetained <= budget, "cached plans kept " + maxRetained + " bytes, budget " + budget);
        assertTrue(maxRetained > budget / 2, "the cache was used, not bypassed: " + maxRetained);
    }
}
