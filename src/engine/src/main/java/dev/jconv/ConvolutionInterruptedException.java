package dev.jconv;

import java.util.concurrent.CancellationException;

/**
 * A forward pass stopped because its thread was interrupted ({@link Thread#interrupt()}). The pass checks
 * between units of work (cpu: between pool tasks; cpu-reference: between output rows; GPU backends: between
 * kernel launches), so it stops within one unit. When this is thrown the thread's interrupt flag is still set,
 * no pool worker is still running a task of the call, the call's scratch is back in its plan's pool, and the
 * output holds partial results (treat it as garbage). The plan stays usable.
 *
 * <p>Unchecked, a {@link CancellationException}, so a service's timeout handling for cancelled work catches it.
 */
public class ConvolutionInterruptedException extends CancellationException {
    private static final long serialVersionUID = 1L;

    public ConvolutionInterruptedException(String message) {
        super(message);
    }

    /**
     * Throws if the current thread's interrupt flag is set, leaving the flag set. Backends call it at their
     * task boundaries.
     */
    public static void throwIfInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new ConvolutionInterruptedException("convolution interrupted: the calling thread was interrupted");
        }
    }
}
