package dev.jconv.report;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for long benchmark runs: how many (layer, backend) pairs are done, which one runs
 * now, the elapsed time and an estimate of what is left. It draws only for a person watching: it is silent
 * when stderr is not a terminal ({@code System.console() == null}, e.g. in scripts, CI or when piped) and
 * with {@code --quiet}, so logs and redirected output never fill with bar redraws.
 */
public final class BenchProgress implements AutoCloseable {
    private final ProgressBar bar;
    private int started;

    private BenchProgress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar over {@code total} pairs on {@link System#err}, or a silent one (see the class comment). */
    public static BenchProgress start(int total, boolean quiet) {
        return start(total, System.err, !quiet && System.console() != null);
    }

    /** A bar on {@code out} when {@code enabled}, otherwise one that prints nothing. */
    public static BenchProgress start(int total, PrintStream out, boolean enabled) {
        if (!enabled) {
            return new BenchProgress(null);
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName("bench")
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(out, 120))
                .build();
        return new BenchProgress(bar);
    }

    /** Marks the previous pair done and shows the one about to run, e.g. {@code [3/46] 1,64,... on cpu}. */
    public void next(String description) {
        if (started > 0) {
            done();
        }
        started++;
        if (bar != null) {
            bar.setExtraMessage(description);
        }
    }

    /** Whether anything is drawn. */
    public boolean visible() {
        return bar != null;
    }

    private void done() {
        if (bar != null) {
            bar.step();
        }
    }

    /** Completes the last pair and ends the bar's line. */
    @Override
    public void close() {
        if (started > 0) {
            done();
            started = 0;
        }
        if (bar != null) {
            bar.close();
        }
    }
}
