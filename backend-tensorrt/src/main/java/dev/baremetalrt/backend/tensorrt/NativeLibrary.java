package dev.baremetalrt.backend.tensorrt;

import dev.baremetalrt.spi.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JNI layer ({@code libbrt_trtllm_jni}, built by gcc into this jar) and the implementation libraries it opens
 * (the real {@code libbrt_trtllm.so} or the test double). The JNI library is unpacked once to
 * {@code BRT_HOME/native/} (its name carries its content hash) and loaded; an implementation library is opened
 * once per path and stays loaded for the life of the process. Only {@link NativeExecutor} calls the natives, with
 * checked arguments and live handles.
 */
final class NativeLibrary {
    private static final String JNI_RESOURCE = "native/%s/%s";
    private static final Map<Path, Long> OPENED = new ConcurrentHashMap<>();
    private static volatile String jniFailure;
    private static volatile boolean jniLoaded;

    private NativeLibrary() {}

    /** The platform folder name used in the jar, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osName = os.contains("win") ? "windows" : os.contains("mac") ? "osx" : "linux";
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
        return osName + "-" + archName;
    }

    /** Loads the JNI layer once. @throws NativeException (LOAD_FAILED) saying why it cannot */
    static synchronized void loadJni() {
        if (jniLoaded) {
            return;
        }
        if (jniFailure != null) {
            throw new NativeException(NativeException.LOAD_FAILED, jniFailure);
        }
        String file = System.mapLibraryName("brt_trtllm_jni");
        String resource = JNI_RESOURCE.formatted(platform(), file);
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("this jar has no JNI layer for %s (%s); it is built by gcc on Linux during the Maven build".formatted(platform(), resource));
            }
            byte[] bytes = in.readAllBytes();
            String hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path dir = Settings.home().resolve("native").resolve("tensorrt-" + hash);
            Path target = dir.resolve(file);
            if (!Files.exists(target) || Files.size(target) != bytes.length) {
                Files.createDirectories(dir);
                Path temporary = Files.createTempFile(dir, "jni", ".tmp");
                Files.write(temporary, bytes);
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            System.load(target.toAbsolutePath().toString());
            jniLoaded = true;
        } catch (IOException | java.security.NoSuchAlgorithmException | LinkageError e) {
            jniFailure = "the tensorrt-llm JNI layer could not be loaded: " + e.getMessage();
            throw new NativeException(NativeException.LOAD_FAILED, jniFailure);
        }
    }

    /** Opens an implementation of brt_trtllm.h (once per path). @throws NativeException saying why it cannot */
    static long implementation(Path library) {
        loadJni();
        Path key = library.toAbsolutePath().normalize();
        if (!Files.isRegularFile(key)) {
            throw new NativeException(NativeException.LOAD_FAILED, "no file " + key);
        }
        return OPENED.computeIfAbsent(key, p -> open(p.toString()));
    }

    static native long open(String path);

    static native String version(long library);

    static native long create(long library, String engineDir, String optionsJson);

    /** floats: temperature, topP, minP, repetition, presence and frequency penalties. */
    static native long enqueue(long library, long executor, int[] inputIds, int maxTokens, boolean streaming, float[] floats, int topK,
            boolean hasSeed, long seed, int endId, int[] stopWords, int[] stopWordLengths);

    /** Responses (empty on timeout), or null once the executor is shut down and everything was delivered. */
    static native NativeResponse[] await(long library, long executor, int timeoutMs);

    static native void cancel(long library, long executor, long requestId);

    /** iterations, active, queued, completed, max active, iteration ms, GPU bytes, KV max/free/used blocks, tokens per block. */
    static native double[] stats(long library, long executor);

    static native void shutdown(long library, long executor);

    static native void destroy(long library, long executor);
}
