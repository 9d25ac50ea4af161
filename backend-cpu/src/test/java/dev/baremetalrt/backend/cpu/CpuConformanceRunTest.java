package dev.baremetalrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baremetalrt.conformance.ConformanceRun;
import dev.baremetalrt.spi.Backend;
import dev.baremetalrt.spi.BackendCapabilities;
import dev.baremetalrt.spi.BackendOptions;
import dev.baremetalrt.spi.BackendProvider;
import dev.baremetalrt.spi.ProbeResult;
import dev.baremetalrt.spi.Shard;
import dev.baremetalrt.spi.ShardSpec;
import dev.baremetalrt.spi.StepBatch;
import dev.baremetalrt.spi.StepResult;
import dev.baremetalrt.spi.TensorPayload;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code brt conformance}'s runner on the cpu backend, and on deliberately broken backends built from it:
 * the suite must pass the first and fail exactly the rules each breakage touches.
 */
class CpuConformanceRunTest {
    @Test
    void theCpuBackendPassesEveryRule() {
        ConformanceRun.Report report = ConformanceRun.run("cpu");
        StringWriter text = new StringWriter();
        report.print(new PrintWriter(text));
        assertTrue(report.allPassed(), text.toString());
        assertEquals(Set.of("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"), report.byRule().keySet(), text.toString());
        assertTrue(report.toMarkdown().contains("| R4 | pass |"), report.toMarkdown());
    }

    @Test
    void aKvCacheThatIgnoresTruncateFailsR4Only() {
        ConformanceRun.Report report = ConformanceRun.run("class:" + TruncateIgnoringProvider.class.getName());
        assertEquals(Set.of("R4"), failedRules(report), describe(report));
    }

    @Test
    void logitsOffByOnePercentFailR1Only() {
        ConformanceRun.Report report = ConformanceRun.run("class:" + NoisyLogitsProvider.class.getName());
        assertEquals(Set.of("R1"), failedRules(report), describe(report));
    }

    @Test
    void aWholeModelEngineThatRefusesLayerRangesPassesEveryRule() {
        ConformanceRun.Report report = ConformanceRun.run("class:" + WholeModelOnlyProvider.class.getName());
        assertTrue(report.allPassed(), describe(report));
    }

    @Test
    void aShardThatNeverFreesASessionFailsR6Only() {
        ConformanceRun.Report report = ConformanceRun.run("class:" + ReleaseIgnoringProvider.class.getName());
        assertEquals(Set.of("R6"), failedRules(report), describe(report));
    }

    @Test
    void anUnknownBackendIsOneClearSetupFailure() {
        ConformanceRun.Report report = ConformanceRun.run("no-such-backend");
        assertFalse(report.allPassed());
        assertTrue(report.cases().stream().anyMatch(c -> c.failure() != null && c.failure().contains("no-such-backend")), describe(report));
    }

    private static Set<String> failedRules(ConformanceRun.Report report) {
        return report.cases().stream().filter(c -> c.failure() != null).map(ConformanceRun.Case::rule).collect(Collectors.toSet());
    }

    private static String describe(ConformanceRun.Report report) {
        StringWriter text = new StringWriter();
        report.print(new PrintWriter(text));
        return text.toString();
    }

    /** The cpu backend with every shard wrapped by {@code wrap}. */
    abstract static class BrokenCpuProvider implements BackendProvider {
        abstract Shard wrap(Shard shard);

        /** What the wrapped backend declares; the cpu backend's by default. */
        BackendCapabilities declare(BackendCapabilities cpu) {
            return cpu;
        }

        /** Refuses specs before they reach the cpu backend; accepts all by default. */
        void check(ShardSpec spec) {}

        @Override
        public String id() {
            return "broken-cpu";
        }

        @Override
        public ProbeResult probe() {
            return new CpuBackendProvider().probe();
        }

        @Override
        public Backend open(BackendOptions options) {
            Backend cpu = new CpuBackendProvider().open(options);
            return new Backend() {
                @Override
                public String id() {
                    return "broken-cpu";
                }

                @Override
                public BackendCapabilities capabilities() {
                    return declare(cpu.capabilities());
                }

                @Override
                public Shard load(ShardSpec spec) {
                    check(spec);
                    return wrap(cpu.load(spec));
                }

                @Override
                public void close() {
                    cpu.close();
                }
            };
        }
    }

    /** A shard that forwards everything to {@code inner}, with forward's results passed through {@code results}. */
    record DelegatingShard(Shard inner, boolean ignoreTruncate, boolean ignoreRelease, UnaryOperator<StepResult> results) implements Shard {
        DelegatingShard(Shard inner, boolean ignoreTruncate, UnaryOperator<StepResult> results) {
            this(inner, ignoreTruncate, false, results);
        }

        @Override
        public ShardSpec spec() {
            return inner.spec();
        }

        @Override
        public void openSession(String sessionId) {
            inner.openSession(sessionId);
        }

        @Override
        public StepResult forward(StepBatch batch) {
            return results.apply(inner.forward(batch));
        }

        @Override
        public void truncate(String sessionId, int length) {
            if (!ignoreTruncate) {
                inner.truncate(sessionId, length);
            }
        }

        @Override
        public void release(String sessionId) {
            if (!ignoreRelease) {
                inner.release(sessionId);
            }
        }

        @Override
        public int sessionLength(String sessionId) {
            return inner.sessionLength(sessionId);
        }

        @Override
        public dev.baremetalrt.spi.MemoryReport memory() {
            return inner.memory();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** Broken: truncate does nothing, so a replay after it meets a cache that is too long. */
    public static final class TruncateIgnoringProvider extends BrokenCpuProvider {
        @Override
        Shard wrap(Shard shard) {
            return new DelegatingShard(shard, true, UnaryOperator.identity());
        }
    }

    /** Not broken but limited: a whole-model engine (no layer ranges) that refuses part of a model, as TensorRT-LLM would. */
    public static final class WholeModelOnlyProvider extends BrokenCpuProvider {
        @Override
        Shard wrap(Shard shard) {
            return shard;
        }

        @Override
        BackendCapabilities declare(BackendCapabilities cpu) {
            return new BackendCapabilities(cpu.weightTypes(), false, cpu.maxBatchSessions(), cpu.devices());
        }

        @Override
        void check(ShardSpec spec) {
            boolean whole = spec.layers().start() == 0 && spec.layers().end() == spec.weights().config().layerCount() && spec.embedding() && spec.head();
            if (!whole) {
                throw new dev.baremetalrt.spi.BackendException("this backend loads whole models only, not " + spec.describe());
            }
        }
    }

    /** Broken: release does nothing, so every session's KV cache stays allocated. */
    public static final class ReleaseIgnoringProvider extends BrokenCpuProvider {
        @Override
        Shard wrap(Shard shard) {
            return new DelegatingShard(shard, false, true, UnaryOperator.identity());
        }
    }

    /** Broken: the last stage's logits are 1% too large (a head or norm scale error). */
    public static final class NoisyLogitsProvider extends BrokenCpuProvider {
        @Override
        Shard wrap(Shard shard) {
            if (!shard.spec().head()) {
                return shard;
            }
            return new DelegatingShard(shard, false, result -> new StepResult(result.outputs().stream().map(o -> {
                float[] v = o.tensor().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 1.01f;
                }
                return new StepResult.Output(o.sessionId(), TensorPayload.ofFloats(v, o.tensor().shape()));
            }).toList()));
        }
    }
}
