package dev.jconv.cpu;

/**
 * How the channel-vectorized plans ({@link ChannelGemmPlan}, {@link StemPlan}) split their work, per group
 * {@code blocksPerGroup} channel blocks times {@code tiles} pixel tiles, into tasks: runs of channel blocks first
 * (each task reads its blocks' weights once, from L2, for all its tiles), then runs of tiles when there are too
 * few blocks for the threads; {@value #TASKS_PER_THREAD} tasks per thread where there are several threads, so
 * dynamic scheduling can even them out. Task {@code t}'s ranges are pure arithmetic on {@code t}.
 */
final class BlockTileTasks {
    /** Aim for this many tasks per thread. */
    static final int TASKS_PER_THREAD = 4;

    private final int groups;
    private final int blocksPerGroup;
    private final int tiles;
    private final int blockChunk;
    private final int blockChunks;
    private final int tileChunk;
    private final int tileChunks;

    BlockTileTasks(int groups, int blocksPerGroup, int tiles, int threads) {
        this.groups = groups;
        this.blocksPerGroup = blocksPerGroup;
        this.tiles = tiles;
        int wanted = threads == 1 ? 1 : threads * TASKS_PER_THREAD;
        int blockSplit = Math.max(1, Math.min(blocksPerGroup, FlatLayout.ceilDiv(wanted, groups)));
        blockChunk = FlatLayout.ceilDiv(blocksPerGroup, blockSplit);
        blockChunks = FlatLayout.ceilDiv(blocksPerGroup, blockChunk);
        int tileSplit = Math.max(1, Math.min(tiles, FlatLayout.ceilDiv(wanted, groups * blockChunks)));
        tileChunk = FlatLayout.ceilDiv(tiles, tileSplit);
        tileChunks = FlatLayout.ceilDiv(tiles, tileChunk);
    }

    /** How many tasks. */
    int count() {
        return groups * blockChunks * tileChunks;
    }

    /** Task {@code task}'s group. */
    int group(int task) {
        return task / tileChunks / blockChunks;
    }

    /** Task {@code task}'s first channel block within its group. */
    int firstBlock(int task) {
        return task / tileChunks % blockChunks * blockChunk;
    }

    /** One past task {@code task}'s last channel block within its group. */
    int lastBlock(int task) {
        return Math.min(blocksPerGroup, firstBlock(task) + blockChunk);
    }

    /** Task {@code task}'s first tile. */
    int firstTile(int task) {
        return task % tileChunks * tileChunk;
    }

    /** One past task {@code task}'s last tile. */
    int lastTile(int task) {
        return Math.min(tiles, firstTile(task) + tileChunk);
    }
}
