package dev.baremetalrt.backend.cuda;

import static dev.baremetalrt.backend.cuda.CudaDriver.check;

import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * A shard's weights in device memory, uploaded once from the (mapped) model file in chunks, with progress
 * in the log. Q8_0 and Q4_0 go through a staging buffer and are repacked on the device; norm vectors are
 * widened to float32.
 */
final class DeviceWeights implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeviceWeights.class.getName());
    /** Bytes per host-to-device copy: large enough for full PCIe speed, small enough for progress. */
    private static final long CHUNK = 64L << 20;

    /** A weight matrix {@code [rows, cols]}; {@code scales} is null unless the format is repacked. */
    record Matrix(DeviceFormat format, CUdeviceptr data, CUdeviceptr scales, int rows, int cols) {}

    record Layer(CUdeviceptr attnNorm, Matrix q, Matrix k, Matrix v, Matrix o, CUdeviceptr ffnNorm, Matrix gate, Matrix up, Matrix down) {}

    final Matrix embedding;
    final CUdeviceptr outputNorm;
    final Matrix output;
    final Layer[] layers;
    final CUdeviceptr invFreq;

    private final ShardSpec spec;
    private final CudaDevice device;
    private final DeviceAllocator allocator;
    private final CUstream stream;
    private final List<CUdeviceptr> owned = new ArrayList<>();
    private final Map<String, Matrix> byName = new HashMap<>();
    private final long totalUploadBytes;
    private long uploaded;
    private int lastPercentLogged;
    private long bytes;
    private DevicePointer staging;
    private long stagingBytes;

    DeviceWeights(ShardSpec spec, CudaDevice device, DeviceAllocator allocator, CUstream stream, dev.baremetalrt.spi.LoadProgress progress) {
        this.spec = spec;
        this.device = device;
        this.allocator = allocator;
        this.stream = stream;
        ModelConfig c = spec.weights().config();
        this.totalUploadBytes = uploadBytes(spec);
        long start = System.nanoTime();
        try {
            int dim = c.dim();
            embedding = spec.embedding() ? matrix(TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize()) : null;
            if (spec.head()) {
                outputNorm = vector(TensorNames.OUTPUT_NORM, dim);
                output = matrix(spec.weights().tensor(TensorNames.OUTPUT).isPresent() ? TensorNames.OUTPUT : TensorNames.TOKEN_EMBEDDING, dim, c.vocabSize());
            } else {
                outputNorm = null;
                output = null;
            }
            layers = new Layer[spec.layers().size()];
            for (int i = 0; i < layers.length; i++) {
                int l = spec.layers().start() + i;
                layers[i] = new Layer(
                        vector(TensorNames.attnNorm(l), dim),
                        matrix(TensorNames.attnQ(l), dim, dim),
                        matrix(TensorNames.attnK(l), dim, c.kvDim()),
                        matrix(TensorNames.attnV(l), dim, c.kvDim()),
                        matrix(TensorNames.attnOutput(l), dim, dim),
                        vector(TensorNames.ffnNorm(l), dim),
                        matrix(TensorNames.ffnGate(l), dim, c.ffnDim()),
                        matrix(TensorNames.ffnUp(l), dim, c.ffnDim()),
                        matrix(TensorNames.ffnDown(l), c.ffnDim(), dim));
                progress.loaded(i + 1, layers.length);
            }
            double[] frequencies = c.ropeInverseFrequencies();
            float[] f = new float[frequencies.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) frequencies[i];
            }
            invFreq = own(allocator.allocate(4L * Math.max(1, f.length), "RoPE frequencies"), 4L * f.length);
            if (f.length > 0) {
                check(JCudaDriver.cuMemcpyHtoD(invFreq, Pointer.to(f), 4L * f.length), device.id + ": uploading RoPE frequencies");
            }
            check(JCudaDriver.cuStreamSynchronize(stream), device.id + ": finishing the upload of " + spec.describe());
        } catch (RuntimeException e) {
            close();
            throw e;
        } finally {
            freeStaging();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        LOG.info(() -> "%s: uploaded %s of weights for %s in %d ms (%.2f GB/s)".formatted(device.id, MemoryPlan.mib(bytes), spec.describe(), ms,
                bytes / 1e6 / Math.max(1, ms)));
    }

    /** Bytes of weight data this shard will upload (for progress and the up-front memory check). */
    static long uploadBytes(ShardSpec spec) {
        Map<String, Long> sizes = new HashMap<>();
        var w = spec.weights();
        if (spec.embedding()) {
            sizes.put(TensorNames.TOKEN_EMBEDDING, w.requireTensor(TensorNames.TOKEN_EMBEDDING).data().byteSize());
        }
        if (spec.head()) {
            String head = w.tensor(TensorNames.OUTPUT).isPresent() ? TensorNames.OUTPUT : TensorNames.TOKEN_EMBEDDING;
            sizes.put(head, w.requireTensor(head).data().byteSize());
        }
        for (int l = spec.layers().start(); l < spec.layers().end(); l++) {
            for (String name : TensorNames.layerTensors(l)) {
                w.tensor(name).ifPresent(t -> sizes.put(t.name(), t.data().byteSize()));
            }
        }
        return sizes.values().stream().mapToLong(Long::longValue).sum();
    }

    long bytes() {
        return bytes;
    }

    private CUdeviceptr own(CUdeviceptr p, long size) {
        owned.add(p);
        bytes += size;
        return p;
    }

    private Matrix matrix(String name, int cols, int rows) {
        Matrix cached = byName.get(name);
        if (cached != null) {
            return cached; // tied embedding and head on one shard: one copy
        }
        WeightTensor t = spec.weights().requireTensor(name, cols, rows);
        DeviceFormat format = DeviceFormat.of(t.type());
        long size = t.data().byteSize();
        Matrix m;
        if (format.repacked) {
            DevicePointer raw = staging(size);
            copy(t, raw);
            CUdeviceptr data = own(allocator.allocate(size, name), size);
            long quantBytes = format.quantBytes(t.elementCount());
            CUdeviceptr scales = data.withByteOffset(quantBytes);
            long blocks = t.elementCount() / t.type().blockSize();
            device.kernels().launch("repack_" + format.suffix, LaunchGeometry.elementwiseBlocks(blocks), 1, LaunchGeometry.ELEMENTWISE_THREADS, 0, stream,
                    raw, data, scales, blocks);
            // the staging buffer is reused by the next tensor: wait for the repack
            check(JCudaDriver.cuStreamSynchronize(stream), device.id + ": repacking " + name);
            m = new Matrix(format, data, scales, rows, cols);
        } else {
            CUdeviceptr data = own(allocator.allocate(size, name), size);
            copy(t, data);
            m = new Matrix(format, data, null, rows, cols);
        }
        byName.put(name, m);
        return m;
    }

    /** A norm vector as float32 on the device: uploaded as a one-row matrix and dequantized by the embedding kernel. */
    private CUdeviceptr vector(String name, int n) {
        WeightTensor t = spec.weights().requireTensor(name, n);
        WeightTensor asRow = new WeightTensor(name, t.type(), new long[] {n, 1}, t.data());
        DeviceFormat format = DeviceFormat.of(t.type());
        CUdeviceptr out = own(allocator.allocate(4L * n, name), 4L * n);
        long size = t.data().byteSize();
        DevicePointer raw = staging(size + (format.repacked ? size : 0) + 16);
        copy(asRow, raw);
        CUdeviceptr data = raw;
        CUdeviceptr scales = null;
        if (format.repacked) {
            data = raw.withByteOffset(size);
            scales = data.withByteOffset(format.quantBytes(n));
            long blocks = n / t.type().blockSize();
            device.kernels().launch("repack_" + format.suffix, 1, 1, (int) blocks, 0, stream, raw, data, scales, blocks);
        }
        CUdeviceptr zero = raw.withByteOffset(size + (format.repacked ? size : 0)); // token id 0: the only row
        check(JCudaDriver.cuMemsetD8Async(zero, (byte) 0, 4, stream), device.id + ": " + name);
        device.kernels().launch("embed_" + format.suffix, 1, 1, LaunchGeometry.ELEMENTWISE_THREADS, 0, stream, data, scales, zero, out, n);
        check(JCudaDriver.cuStreamSynchronize(stream), device.id + ": widening " + name);
        return out;
    }

    private DevicePointer staging(long size) {
        if (size > stagingBytes) {
            freeStaging();
            staging = allocator.allocate(size, "upload staging buffer");
            stagingBytes = size;
        }
        return staging;
    }

    private void freeStaging() {
        DeviceAllocator.free(staging);
        staging = null;
        stagingBytes = 0;
    }

    /** Host to device in chunks; mapped (direct) segments are copied from in place, heap ones through an array. */
    private void copy(WeightTensor t, CUdeviceptr dst) {
        MemorySegment data = t.data();
        long size = data.byteSize();
        for (long off = 0; off < size; off += CHUNK) {
            long len = Math.min(CHUNK, size - off);
            MemorySegment slice = data.asSlice(off, len);
            ByteBuffer buffer = slice.asByteBuffer();
            Pointer src = buffer.isDirect() ? Pointer.to(buffer) : Pointer.to(slice.toArray(ValueLayout.JAVA_BYTE));
            check(JCudaDriver.cuMemcpyHtoD(dst.withByteOffset(off), src, len), "%s: uploading %s of %s".formatted(device.id, t.name(), spec.describe()));
            progress(len);
        }
    }

    private void progress(long len) {
        uploaded += len;
        if (totalUploadBytes < (512L << 20)) {
            return; // small shards load in well under a second
        }
        int percent = (int) (100 * uploaded / totalUploadBytes);
        if (percent >= lastPercentLogged + 10) {
            lastPercentLogged = percent / 10 * 10;
            LOG.log(Level.INFO, "{0}: loading {1}: {2}% of {3}", new Object[] {device.id, spec.describe(), lastPercentLogged, MemoryPlan.mib(totalUploadBytes)});
        }
    }

    @Override
    public void close() {
        for (CUdeviceptr p : owned) {
            DeviceAllocator.free(p);
        }
        owned.clear();
        bytes = 0;
    }
}
