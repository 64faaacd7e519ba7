package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import dev.jconv.Options;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Plans cached per full geometry, like PyTorch's cuDNN benchmark cache: each geometry is planned once even when
 * many threads ask at the same time. Every backend keeps one; together they share one process-wide byte budget.
 *
 * <p>Bounded: each plan reports what it keeps between calls ({@link ConvPlan#retainedBytes()}: scratch, packed
 * weights, GPU workspace), and when the plans of all caches together keep more than {@link #budgetBytes()}, the
 * least recently used are dropped until they fit. A dropped plan is closed at once if no call is using it, else
 * when its last {@link Lease} is closed; a later call for that geometry plans again. The budget defaults to an
 * eighth of the maximum heap ({@link Options#planCacheBytes()}: {@code -Djconv.planCacheBytes} or
 * {@code JCONV_PLAN_CACHE_BYTES}; 0 keeps no plan between calls) and can be changed with {@link #setBudgetBytes}.
 *
 * <p>Thread-safe. The bookkeeping takes one short process-wide lock per lease and release; planning itself runs
 * outside it.
 */
public final class PlanCache implements AutoCloseable {
    private static final Object LOCK = new Object();
    /** Every cached plan of every cache, least recently used first. */
    private static final LinkedHashMap<Entry, Boolean> LRU = new LinkedHashMap<>(64, 0.75f, true);
    private static long budgetBytes = initialBudget();
    private static long retainedBytes;
    private static long dropsOverBudget;

    private final Map<ConvGeometry, Entry> entries = new HashMap<>(); // guarded by LOCK
    private final Function<ConvGeometry, ConvPlan> planner;

    public PlanCache(Function<ConvGeometry, ConvPlan> planner) {
        this.planner = planner;
    }

    /**
     * The plan for {@code geometry}, made now if not cached, held until the lease is closed: it is not closed
     * while the lease is open, even if it is dropped from the cache meanwhile.
     */
    public Lease lease(ConvGeometry geometry) {
        Entry e;
        synchronized (LOCK) {
            e = entries.computeIfAbsent(geometry, Entry::new);
            e.users++;
        }
        ConvPlan plan;
        try {
            plan = e.plan(planner);
        } catch (RuntimeException | Error failure) {
            synchronized (LOCK) {
                e.users--;
                if (e.users == 0 && entries.get(geometry) == e) {
                    entries.remove(geometry);
                }
            }
            throw failure;
        }
        List<ConvPlan> dropped;
        synchronized (LOCK) {
            if (!e.evicted) {
                if (LRU.get(e) == null) {
                    LRU.put(e, Boolean.TRUE);
                }
                account(e);
            }
            dropped = evictOverBudget();
        }
        dropped.forEach(ConvPlan::close);
        return new Lease(e, plan);
    }

    /**
     * The cached plan for {@code geometry} without holding it: valid until the cache drops it (then using it
     * throws), which with the default budget takes many other shapes. Long-lived holders use {@link #lease}.
     */
    public ConvPlan get(ConvGeometry geometry) {
        try (Lease l = lease(geometry)) {
            return l.plan();
        }
    }

    /** Plans this cache holds now. */
    public int size() {
        synchronized (LOCK) {
            return (int) entries.values().stream().filter(e -> e.plan != null).count();
        }
    }

    /** Drops every plan of this cache, closing each now or, if in use, when its last lease closes. */
    public void clear() {
        List<ConvPlan> dropped = new ArrayList<>();
        synchronized (LOCK) {
            for (Entry e : List.copyOf(entries.values())) {
                ConvPlan p = drop(e);
                if (p != null) {
                    dropped.add(p);
                }
            }
        }
        dropped.forEach(ConvPlan::close);
    }

    /** {@link #clear()}; the cache stays usable. */
    @Override
    public void close() {
        clear();
    }

    /** Bytes the cached plans of every cache keep between calls, as they last reported. */
    public static long retainedBytes() {
        synchronized (LOCK) {
            return retainedBytes;
        }
    }

    /**
     * Plans dropped so far, by every cache together, to stay in the budget (not counting {@link #clearAll} or a
     * cache closed): a count that grows while a workload repeats means its plans do not fit, and it plans and
     * transforms its weights again on every pass.
     */
    public static long dropsOverBudget() {
        synchronized (LOCK) {
            return dropsOverBudget;
        }
    }

    /** Plans cached by every cache together. */
    public static int planCount() {
        synchronized (LOCK) {
            return LRU.size();
        }
    }

    public static long budgetBytes() {
        synchronized (LOCK) {
            return budgetBytes;
        }
    }

    /** Sets the process-wide budget (0: keep no plan between calls) and drops plans at once to fit it. */
    public static void setBudgetBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("plan cache budget must not be negative, got " + bytes);
        }
        List<ConvPlan> dropped;
        synchronized (LOCK) {
            budgetBytes = bytes;
            dropped = evictOverBudget();
        }
        dropped.forEach(ConvPlan::close);
    }

    /** Drops every cached plan of every backend (plans in use close when their calls end). */
    public static void clearAll() {
        List<ConvPlan> dropped = new ArrayList<>();
        synchronized (LOCK) {
            for (Entry e : List.copyOf(LRU.keySet())) {
                ConvPlan p = e.cache().drop(e);
                if (p != null) {
                    dropped.add(p);
                }
            }
        }
        dropped.forEach(ConvPlan::close);
    }

    /** One line for {@code jconv info}, e.g. {@code 3 plans keep 1.2 MiB of a 512.0 MiB budget}. */
    public static String describe() {
        synchronized (LOCK) {
            return String.format(Locale.ROOT, "%d plan%s keep%s %.1f MiB of a %.1f MiB budget (least recently used "
                            + "dropped first; -Djconv.planCacheBytes or JCONV_PLAN_CACHE_BYTES sets it)", LRU.size(),
                    LRU.size() == 1 ? "" : "s", LRU.size() == 1 ? "s" : "", retainedBytes / 1048576.0,
                    budgetBytes / 1048576.0);
        }
    }

    /**
     * {@link Options#planCacheBytes()}; a value that does not parse must not make this class unusable (every
     * backend needs it), so it is reported once through {@code System.Logger} and the default used instead.
     */
    private static long initialBudget() {
        try {
            return Options.planCacheBytes();
        } catch (IllegalArgumentException e) {
            long fallback = Runtime.getRuntime().maxMemory() / Options.PLAN_CACHE_HEAP_DIVISOR;
            System.getLogger(PlanCache.class.getName()).log(System.Logger.Level.WARNING,
                    e.getMessage() + "; using the default plan cache budget of " + fallback + " bytes");
            return fallback;
        }
    }

    /** Re-reads what {@code e}'s plan keeps. Caller holds LOCK. */
    private static void account(Entry e) {
        long now = e.plan.retainedBytes();
        retainedBytes += now - e.bytes;
        e.bytes = now;
    }

    /** Drops least recently used plans until the rest fit; returns the idle ones to close. Caller holds LOCK. */
    private static List<ConvPlan> evictOverBudget() {
        List<ConvPlan> idle = new ArrayList<>();
        Iterator<Entry> eldest = LRU.keySet().iterator();
        while (retainedBytes > budgetBytes && eldest.hasNext()) {
            Entry e = eldest.next();
            eldest.remove();
            dropsOverBudget++;
            ConvPlan p = e.cache().forget(e);
            if (p != null) {
                idle.add(p);
            }
        }
        return idle;
    }

    /** Removes {@code e} from the LRU order and this cache; returns its plan if nobody uses it. Caller holds LOCK. */
    private ConvPlan drop(Entry e) {
        LRU.remove(e);
        return forget(e);
    }

    /** Removes {@code e} from this cache and the byte count; returns its plan if nobody uses it. Caller holds LOCK. */
    private ConvPlan forget(Entry e) {
        if (entries.get(e.geometry) == e) {
            entries.remove(e.geometry);
        }
        if (e.evicted) {
            return null;
        }
        e.evicted = true;
        retainedBytes -= e.bytes;
        e.bytes = 0;
        return e.users == 0 ? e.plan : null;
    }

    private void release(Entry e) {
        ConvPlan toClose = null;
        List<ConvPlan> dropped = List.of();
        synchronized (LOCK) {
            e.users--;
            if (e.evicted) {
                if (e.users == 0) {
                    toClose = e.plan;
                }
            } else {
                account(e); // scratch may have grown during the call
                dropped = evictOverBudget();
            }
        }
        if (toClose != null) {
            toClose.close();
        }
        dropped.forEach(ConvPlan::close);
    }

    /** A plan held for the length of one or more calls; see {@link PlanCache#lease}. */
    public final class Lease implements PlanLease {
        private final Entry entry;
        private final ConvPlan plan;
        private boolean closed;

        private Lease(Entry entry, ConvPlan plan) {
            this.entry = entry;
            this.plan = plan;
        }

        @Override
        public ConvPlan plan() {
            return plan;
        }

        /** Gives the plan back; idempotent. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(entry);
            }
        }
    }

    /** One geometry's plan and its bookkeeping; the counters are guarded by LOCK. */
    private final class Entry {
        final ConvGeometry geometry;
        private volatile ConvPlan plan;
        int users;
        long bytes;
        boolean evicted;

        Entry(ConvGeometry geometry) {
            this.geometry = geometry;
        }

        PlanCache cache() {
            return PlanCache.this;
        }

        /** Plans once; threads asking meanwhile wait and share the result (or each retry after a failure). */
        ConvPlan plan(Function<ConvGeometry, ConvPlan> planner) {
            ConvPlan p = plan;
            if (p == null) {
                synchronized (this) {
                    p = plan;
                    if (p == null) {
                        p = planner.apply(geometry);
                        plan = p;
                    }
                }
            }
            return p;
        }
    }
}
