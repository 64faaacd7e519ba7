package dev.jconv.spark;

import java.io.Serializable;

/**
 * What the Spark module applies to each tensor, as a serializable value broadcast once per job: one convolution
 * layer ({@link ConvLayer}) or a network from a spec and a {@code state_dict} ({@link ConvNetwork}). Both run
 * through the same {@link ConvPartitions} machinery: rows batched by shape into NCHW batches, one prepared copy
 * per executor JVM ({@link ExecutorLayers}), the device taken from the task ({@link DeviceChoice}).
 */
public sealed interface ConvModel extends Serializable permits ConvLayer, ConvNetwork {
}
