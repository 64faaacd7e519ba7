package dev.jconv.cuda;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PTX ISA version a PTX file declares ({@code .version 9.0}) and the driver it needs: the driver
 * JIT-compiles PTX and only understands ISA versions up to its own CUDA release (minor-version
 * compatibility does not extend to PTX). Linux driver branches from NVIDIA's CUDA release notes.
 */
public record PtxIsa(int major, int minor) {
    private static final Pattern VERSION = Pattern.compile("^\\s*\\.version\\s+(\\d+)\\.(\\d+)", Pattern.MULTILINE);

    /** ISA -> {CUDA version as cuDriverGetVersion encodes it, minimum Linux driver branch}. */
    private static final Map<PtxIsa, int[]> RELEASES = Map.of(
            new PtxIsa(8, 0), new int[] {12000, 525},
            new PtxIsa(8, 1), new int[] {12010, 530},
            new PtxIsa(8, 2), new int[] {12020, 535},
            new PtxIsa(8, 3), new int[] {12030, 545},
            new PtxIsa(8, 4), new int[] {12040, 550},
            new PtxIsa(8, 5), new int[] {12050, 555},
            new PtxIsa(8, 7), new int[] {12080, 570},
            new PtxIsa(8, 8), new int[] {12090, 575},
            new PtxIsa(9, 0), new int[] {13000, 580});

    /** Reads the {@code .version} directive; throws if the text has none. */
    public static PtxIsa of(String ptx) {
        Matcher m = VERSION.matcher(ptx);
        if (!m.find()) {
            throw new IllegalArgumentException("not PTX: no .version directive");
        }
        return new PtxIsa(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** Whether jconv knows which driver this ISA needs. */
    public boolean isKnown() {
        return RELEASES.containsKey(this);
    }

    /** The CUDA version (as {@code cuDriverGetVersion} reports it) a driver must support to JIT this PTX. */
    public int requiredCudaVersion() {
        return release()[0];
    }

    /** e.g. {@code "r580"}. */
    public String minimumLinuxDriver() {
        return "r" + release()[1];
    }

    /** Null when a driver supporting {@code driverCudaVersion} can JIT this PTX, else the reason why not. */
    public String unsupportedReason(int driverCudaVersion) {
        if (!isKnown() || driverCudaVersion >= requiredCudaVersion()) {
            return null;  // an unknown (newer) ISA is left to the driver, whose error PtxModule explains
        }
        return "the NVIDIA driver supports CUDA " + Cuda.versionString(driverCudaVersion)
                + ", but jconv's kernels are PTX ISA " + this + ", which needs a driver for CUDA "
                + Cuda.versionString(requiredCudaVersion()) + " or newer (Linux driver " + minimumLinuxDriver()
                + "+); update the NVIDIA driver";
    }

    private int[] release() {
        int[] r = RELEASES.get(this);
        if (r == null) {
            throw new IllegalStateException("unknown PTX ISA " + this);
        }
        return r;
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
