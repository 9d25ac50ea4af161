package dev.baremetalrt.core.model;

import dev.baremetalrt.spi.LayerRange;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A content checksum of the tensors a shard needs, so that nodes can check they hold the same weights
 * before a plan gives them layers. Cheap by design: SHA-256 over each tensor's canonical name, type,
 * shape and size, plus four sampled 4 KiB blocks of its data (start, one third, two thirds, end), or the
 * whole tensor when it is 16 KiB or smaller. It reads about 150 KiB per layer whatever the model size,
 * and it is format-independent: the same weights as GGUF or as a Hugging Face directory give the same
 * checksum. It detects a different model, quantization or conversion; it does not prove two files are
 * bit-identical.
 */
public final class ModelChecksums {
    static final int SAMPLE = 4096;

    private ModelChecksums() {}

    /** Hex SHA-256 of the tensors of {@code layers}, with the embedding and/or head when asked. */
    public static String of(Model model, LayerRange layers, boolean embedding, boolean head) {
        List<String> names = new ArrayList<>();
        if (embedding) {
            names.add(TensorNames.TOKEN_EMBEDDING);
        }
        for (int l = layers.start(); l < layers.end(); l++) {
            names.addAll(TensorNames.layerTensors(l));
        }
        if (head) {
            names.add(TensorNames.OUTPUT_NORM);
            names.add(TensorNames.OUTPUT);
        }
        MessageDigest sha = sha256();
        for (String name : names) {
            // The head is hashed as "output" whether it is stored separately or tied to the embedding:
            // what matters is the weights it applies.
            WeightTensor t = name.equals(TensorNames.OUTPUT)
                    ? model.tensor(TensorNames.OUTPUT).orElseGet(() -> model.requireTensor(TensorNames.TOKEN_EMBEDDING))
                    : model.requireTensor(name);
            sha.update((name + "|" + t.type() + "|" + Arrays.toString(t.shape()) + "|" + t.data().byteSize() + "\n").getBytes(StandardCharsets.UTF_8));
            MemorySegment data = t.data();
            long size = data.byteSize();
            if (size <= 4L * SAMPLE) {
                sha.update(data.toArray(ValueLayout.JAVA_BYTE));
            } else {
                for (long at : new long[] {0, size / 3, 2 * size / 3, size - SAMPLE}) {
                    sha.update(data.asSlice(at, SAMPLE).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Checksum of the whole model. */
    public static String of(Model model) {
        return of(model, new LayerRange(0, model.config().layerCount()), true, true);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
