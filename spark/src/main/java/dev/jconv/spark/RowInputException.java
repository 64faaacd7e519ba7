package dev.jconv.spark;

/**
 * One input row (a picture, a tensor) that cannot be convolved: unreadable, the wrong shape, or the wrong
 * number of channels for the weight. The message starts with the row's name (its file for pictures), so the
 * driver can print it as the job's one error line; Spark carries it from the executor as the cause of the
 * job's failure.
 */
public final class RowInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RowInputException(String rowName, String problem) {
        super(rowName + ": " + problem);
    }

    /** For a cause whose message names the row already, e.g. {@code <file>: not a picture ...}. */
    public RowInputException(String message, Throwable cause) {
        super(message, cause);
    }

    public RowInputException(String rowName, String problem, Throwable cause) {
        super(rowName + ": " + problem, cause);
    }

    /** The first {@link RowInputException} in {@code failure}'s cause chain, or null. */
    public static RowInputException find(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RowInputException e) {
                return e;
            }
        }
        return null;
    }
}
