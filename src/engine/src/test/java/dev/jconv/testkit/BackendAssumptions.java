package dev.jconv.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jconv.backend.Availability;
import dev.jconv.backend.Backends;
import org.junit.jupiter.api.Assumptions;

/**
 * How backend tests treat a backend that cannot run here (no GPU, no CUDA library): they are skipped
 * with the backend's own reason, except when {@code JCONV_REQUIRE_GPU=1}, where skipping would hide a
 * broken GPU setup and they fail instead.
 */
public final class BackendAssumptions {
    public static final String REQUIRE_GPU = "JCONV_REQUIRE_GPU";

    private BackendAssumptions() {}

    /** Returns when {@code backend} is available; otherwise skips the test, or fails it under {@code JCONV_REQUIRE_GPU=1}. */
    public static void assumeAvailable(String backend) {
        Availability a = Backends.byName(backend).availability();
        if (a.available()) {
            return;
        }
        String why = "backend " + backend + " is unavailable: " + a.reason();
        if ("1".equals(System.getenv(REQUIRE_GPU))) {
            fail(why + " (" + REQUIRE_GPU + "=1 turns this skip into a failure)");
        }
        Assumptions.abort(why);
    }
}
