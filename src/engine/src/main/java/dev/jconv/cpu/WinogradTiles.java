package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import jdk.incubator.vector.FloatVector;

/**
 * What both Winograd plans share on small maps, where they run on vectors of {@code LANES} tiles in pass order
 * ({@link WinogradPlan} on maps of a few tile columns, {@link Winograd2x2Plan} always): gathering the tiles' input
 * patches, storing their outputs, and the GEMMs on {@link ChannelGemmKernel} over panels of tiles.
 *
 * <p>Tile {@code t} of a pass is in image {@code t / tilesPerImage}, at tile row and column of
 * {@code t % tilesPerImage}; it reads the {@code side x side} padded input patch at {@code (step * row,
 * step * column)} and writes {@code step x step} outputs there. Padding (every mode) is resolved through the plan's
 * source-index tables: {@code rowSource[y]} and {@code colSource[x]} give the input row and column of padded
 * position {@code (y, x)}, or -1 for a zero.
 */
final class WinogradTiles {
    private static final int LANES = GemmKernel.LANES;

    private final ConvGeometry g;
    private final int side;
    private final int step;
    private final int tileCols;
    private final int tilesPerImage;
    private final int[] rowSource;
    private final int[] colSource;

    WinogradTiles(ConvGeometry g, int side, int step, int tileRows, int tileCols, int[] rowSource, int[] colSource) {
        this.g = g;
        this.side = side;
        this.step = step;
        this.tileCols = tileCols;
        this.tilesPerImage = tileRows * tileCols;
        this.rowSource = rowSource;
        this.colSource = colSource;
    }

    /**
     * The input patches of channel {@code c} of tiles {@code [t0, t0 + LANES)} of the pass starting at image
     * {@code first}: element {@code (r, i)} of the tile in lane {@code l} to {@code patch[(side * r + i) * LANES +
     * l]}, zeros for lanes at or past {@code columns}.
     */
    void gather(float[] input, int first, int c, int t0, int columns, float[] patch) {
        int width = g.inWidth();
        int elements = side * side;
        for (int lane = 0; lane < LANES; lane++) {
            int t = t0 + lane;
            if (t >= columns) {
                for (int e = 0; e < elements; e++) {
                    patch[e * LANES + lane] = 0f;
                }
                continue;
            }
            int tile = t % tilesPerImage;
            int y0 = step * (tile / tileCols);
            int x0 = step * (tile % tileCols);
            int plane = ((first + t / tilesPerImage) * g.inChannels() + c) * g.inHeight() * width;
            for (int r = 0, e = lane; r < side; r++) {
                int sy = rowSource[y0 + r];
                for (int i = 0; i < side; i++, e += LANES) {
                    int sx = colSource[x0 + i];
                    patch[e] = sy < 0 || sx < 0 ? 0f : input[plane + sy * width + sx];
                }
            }
        }
    }

    /**
     * Stores the outputs of output channel {@code k} of tiles {@code [t0, min(t0 + LANES, columns))} of the pass
     * starting at image {@code first}, output {@code (i, j)} of the tile in lane {@code l} from
     * {@code y[(step * i + j) * LANES + l]}; those past the map's last row or column are dropped.
     */
    void scatter(float[] y, int first, int k, int t0, int columns, float[] output) {
        int oh = g.outHeight();
        int ow = g.outWidth();
        for (int lane = 0, end = Math.min(LANES, columns - t0); lane < end; lane++) {
            int t = t0 + lane;
            int tile = t % tilesPerImage;
            int y0 = step * (tile / tileCols);
            int x0 = step * (tile % tileCols);
            int at = ((first + t / tilesPerImage) * g.outChannels() + k) * oh * ow + y0 * ow + x0;
            int rows = Math.min(step, oh - y0);
            int cols = Math.min(step, ow - x0);
            for (int i = 0; i < rows; i++, at += ow) {
                for (int j = 0; j < cols; j++) {
                    output[at + j] = y[(step * i + j) * LANES + lane];
                }
            }
        }
    }

    /**
     * One GEMM {@code M[k][tile] = sum_c U[k][c] * V[c][tile]} of a group on {@code kernel}: {@code V}'s {@code cpg}
     * rows at {@code v[v0 + c * rowStride]}, {@code M}'s {@code kpg} rows at {@code m[m0 + k * rowStride]},
     * {@code columns} tiles each. Block {@code b} of {@code U} (channels {@code [b * W, b * W + W)}, {@code W} the
     * kernel's channels, as {@code [c][W]}) is {@code u[u0 + (block0 + b) / blocksPerArray]} from
     * {@code ((block0 + b) % blocksPerArray) * cpg * W}.
     *
     * <p>The tiles are copied into panels of {@code P} first ({@code P} per channel, the kernel's layout; one vector
     * per channel, whose lanes past {@code P} the next channel's copy overwrites, the last one's landing in the
     * panels' slack; {@code V}'s rows must have a vector of slack past the last tile), then per block of {@code U}
     * every panel, each finished register tile written to its {@code M} rows. Blocks outside, panels inside: each
     * block of {@code U} comes from memory once per call and is reused from L1 for every panel ({@code U} is
     * several times the weights; with the panels outside, its stream, not the FMAs, set the speed: 256 channels on
     * 14x14, one thread, 1.29 ms for {@link WinogradPlan}'s GEMMs). Values past the last tile come from the slack;
     * their results are not stored.
     */
    static void multiply(ChannelGemmKernel kernel, float[] v, int v0, int rowStride, int columns, int cpg, int kpg,
                         float[][] u, int u0, int blocksPerArray, int block0, float[] m, int m0) {
        int p = kernel.pixels;
        int width = kernel.channels();
        int runs = FlatLayout.ceilDiv(columns, p);
        float[] panels = new float[runs * cpg * p + LANES];
        for (int run = 0, dst = 0; run < runs; run++) {
            for (int c = 0, from = v0 + run * p; c < cpg; c++, from += rowStride, dst += p) {
                if (p <= LANES) {
                    FloatVector.fromArray(GemmKernel.F, v, from).intoArray(panels, dst);
                } else { // 128-bit vectors, 6-tile panels
                    System.arraycopy(v, from, panels, dst, p);
                }
            }
        }
        float[] tile = new float[kernel.tileLength()];
        for (int block = 0, blocks = FlatLayout.ceilDiv(kpg, width); block < blocks; block++) {
            if (WorkerPool.stopRequested()) {
                return; // cancelled
            }
            int b = block0 + block;
            float[] ub = u[u0 + b / blocksPerArray];
            int w0 = b % blocksPerArray * cpg * width;
            int channels = Math.min(width, kpg - block * width);
            for (int run = 0; run < runs; run++) {
                kernel.run(panels, run * cpg * p, ub, w0, cpg, tile);
                int valid = Math.min(p, columns - run * p);
                for (int c = 0, plane = m0 + (block * width) * rowStride + run * p; c < channels;
                        c++, plane += rowStride) {
                    for (int i = 0; i < valid; i++) {
                        m[plane + i] = tile[i * width + c];
                    }
                }
            }
        }
    }
}
