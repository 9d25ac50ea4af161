package dev.baremetalrt.backend.cuda;

import static dev.baremetalrt.backend.cuda.CudaDriver.check;

import dev.baremetalrt.spi.Settings;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * CUDA graphs of a shard's forward pass for small batches (decode). A step launches ~17 kernels per layer;
 * each launch costs the host more than a decode-sized kernel runs, so the GPU waits on Java. Captured once
 * per (positions, selected rows) and replayed with one launch. Valid because every kernel argument is a
 * device address or a size: positions, tokens and cache addresses are read from the meta buffer at run
 * time. A graph is dropped when a work buffer moves ({@link Scratch#generation()}). Disable with the
 * setting {@code brt.cuda.graphs=false} ({@code BRT_CUDA_GRAPHS=false}).
 */
final class DecodeGraphs implements AutoCloseable {
    private final CUstream stream;
    private final String where;
    private final Map<Long, CUgraphExec> graphs = new HashMap<>();
    private long generation = -1;

    DecodeGraphs(CUstream stream, String where) {
        this.stream = stream;
        this.where = where;
    }

    static boolean enabled() {
        return !Settings.get("cuda.graphs").map(v -> v.equalsIgnoreCase("false") || v.equals("0")).orElse(false);
    }

    /** Runs {@code launches} on the stream: through a graph captured the first time for this shape. */
    void run(int positions, int selected, long bufferGeneration, Runnable launches) {
        if (bufferGeneration != generation) {
            close();
            generation = bufferGeneration;
        }
        long key = (long) positions << 32 | selected;
        CUgraphExec exec = graphs.get(key);
        if (exec == null) {
            exec = capture(launches);
            graphs.put(key, exec);
        }
        check(JCudaDriver.cuGraphLaunch(exec, stream), where + ": launching the decode graph");
    }

    private CUgraphExec capture(Runnable launches) {
        check(JCudaDriver.cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), where + ": cuStreamBeginCapture");
        CUgraph graph = new CUgraph();
        try {
            launches.run();
        } finally {
            int ended = JCudaDriver.cuStreamEndCapture(stream, graph);
            check(ended, where + ": cuStreamEndCapture");
        }
        try {
            CUgraphExec exec = new CUgraphExec();
            check(JCudaDriver.cuGraphInstantiate(exec, graph, 0), where + ": cuGraphInstantiate");
            return exec;
        } finally {
            JCudaDriver.cuGraphDestroy(graph);
        }
    }

    @Override
    public void close() {
        for (CUgraphExec exec : graphs.values()) {
            JCudaDriver.cuGraphExecDestroy(exec);
        }
        graphs.clear();
    }
}
