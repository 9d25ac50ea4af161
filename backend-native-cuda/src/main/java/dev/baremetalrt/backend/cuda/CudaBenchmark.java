package dev.baremetalrt.backend.cuda;

import static dev.baremetalrt.backend.cuda.CudaDriver.check;

import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.SessionStep;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.TensorPayload;
import dev.baremetalrt.spi.WeightType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/**
 * GPU benchmark of the cuda backend on a stack of synthetic decoder layers (default: 8 layers shaped like
 * Llama 70B), run on the GPU machine:
 * <pre>java -cp 'jars/*' dev.baremetalrt.backend.cuda.CudaBenchmark [--layers 8] [--types Q8_0,Q4_0,F16] [--context 512] [--prefill 512]</pre>
 * Prints, per weight type: the decode step (one position through every layer, hidden states in and out,
 * median of {@code --steps}) and its effective bandwidth (weight bytes / step), next to the device's copy
 * bandwidth measured in the same run; and prefill of {@code --prefill} positions in TFLOP/s of matrix work.
 * {@code bench/torch_eager.py} measures PyTorch on the same shapes.
 */
public final class CudaBenchmark {
    private CudaBenchmark() {}

    public static void main(String[] args) {
        int layers = 8;
        List<WeightType> types = List.of(WeightType.Q8_0, WeightType.Q4_0, WeightType.F16);
        int context = 512;
        int prefill = 512;
        int steps = 32;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--layers" -> layers = Integer.parseInt(value);
                case "--types" -> types = Arrays.stream(value.split(",")).map(WeightType::parse).toList();
                case "--context" -> context = Integer.parseInt(value);
                case "--prefill" -> prefill = Integer.parseInt(value);
                case "--steps" -> steps = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--layers --types --context --prefill --steps)");
            }
        }
        ModelConfig shape = new ModelConfig("llama", 8192, 28672, layers, 64, 8, 32000, 4096, 1e-5f, 500000f, 128);
        CudaBackendProvider provider = new CudaBackendProvider();
        System.out.println("probe      " + provider.probe().detail());
        List<String> rows = new ArrayList<>();
        try (Backend backend = provider.open(BackendOptions.defaults())) {
            double copy = copyBandwidth();
            rows.add("device copy bandwidth: %.0f GB/s (cuMemcpyDtoD of 2 GiB, read + written, median of 10)".formatted(copy));
            rows.add("%-5s %8s %12s %10s %9s %14s %12s".formatted("type", "layers", "weights GB", "decode ms", "GB/s", "% of copy bw", "prefill TF/s"));
            for (WeightType type : types) {
                try (SyntheticLayers weights = new SyntheticLayers(shape, type)) {
                    Shard shard = backend.load(new ShardSpec(weights, new LayerRange(0, layers), false, false, Math.max(context, prefill) + steps + 8));
                    double stepSeconds = decodeStep(shard, shape.dim(), context, steps);
                    double prefillSeconds = prefill(shard, shape.dim(), prefill);
                    long bytes = weights.layerMatrixBytes() * layers;
                    double gbs = bytes / stepSeconds / 1e9;
                    double tflops = 2.0 * prefill * weights.layerMatrixParameters() * layers / prefillSeconds / 1e12;
                    rows.add("%-5s %8d %12.2f %10.3f %9.0f %13.0f%% %12.1f".formatted(type, layers, bytes / 1e9, stepSeconds * 1e3, gbs, 100 * gbs / copy, tflops));
                    System.out.println(rows.getLast());
                    shard.close();
                }
            }
        }
        System.out.println();
        rows.forEach(System.out::println);
    }

    /** Median seconds of one decode step after {@code context} cached positions. */
    private static double decodeStep(Shard shard, int dim, int context, int steps) {
        SplittableRandom random = new SplittableRandom(1);
        shard.openSession("decode");
        try {
            shard.forward(StepBatch.of(SessionStep.ofHidden("decode", 0, hidden(random, context, dim), SessionStep.Logits.LAST)));
            double[] times = new double[steps];
            for (int i = 0; i < steps; i++) {
                TensorPayload x = hidden(random, 1, dim);
                long start = System.nanoTime();
                shard.forward(StepBatch.of(SessionStep.ofHidden("decode", context + i, x, SessionStep.Logits.LAST)));
                times[i] = (System.nanoTime() - start) / 1e9;
            }
            return median(times);
        } finally {
            shard.release("decode");
        }
    }

    /** Median seconds of a prefill of {@code positions} (3 runs after a warm-up). */
    private static double prefill(Shard shard, int dim, int positions) {
        SplittableRandom random = new SplittableRandom(2);
        TensorPayload x = hidden(random, positions, dim);
        double[] times = new double[3];
        for (int r = -1; r < times.length; r++) {
            shard.openSession("prefill");
            long start = System.nanoTime();
            shard.forward(StepBatch.of(SessionStep.ofHidden("prefill", 0, x, SessionStep.Logits.LAST)));
            if (r >= 0) {
                times[r] = (System.nanoTime() - start) / 1e9;
            }
            shard.release("prefill");
        }
        return median(times);
    }

    private static TensorPayload hidden(SplittableRandom random, int positions, int dim) {
        float[] values = new float[positions * dim];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return TensorPayload.ofFloats(values, positions, dim);
    }

    /** Device-to-device copy of 2 GiB: bytes read plus bytes written per second, median of 10. */
    private static double copyBandwidth() {
        CudaDevice device = CudaDevice.all().getFirst();
        device.makeCurrent();
        DeviceAllocator allocator = new DeviceAllocator(device, "bandwidth test");
        long bytes = 2L << 30;
        DevicePointer a = allocator.allocate(bytes, "copy source");
        DevicePointer b = allocator.allocate(bytes, "copy target");
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        try {
            check(JCudaDriver.cuMemsetD32(a, 0x3c003c00, bytes / 4), "memset");
            check(JCudaDriver.cuEventCreate(start, 0), "cuEventCreate");
            check(JCudaDriver.cuEventCreate(stop, 0), "cuEventCreate");
            double[] gbs = new double[10];
            for (int r = -2; r < gbs.length; r++) {
                check(JCudaDriver.cuEventRecord(start, null), "cuEventRecord");
                check(JCudaDriver.cuMemcpyDtoD(b, a, bytes), "cuMemcpyDtoD");
                check(JCudaDriver.cuEventRecord(stop, null), "cuEventRecord");
                check(JCudaDriver.cuEventSynchronize(stop), "cuEventSynchronize");
                float[] ms = new float[1];
                check(JCudaDriver.cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
                if (r >= 0) {
                    gbs[r] = 2.0 * bytes / (ms[0] / 1e3) / 1e9;
                }
            }
            return median(gbs);
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
            DeviceAllocator.free(a);
            DeviceAllocator.free(b);
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
