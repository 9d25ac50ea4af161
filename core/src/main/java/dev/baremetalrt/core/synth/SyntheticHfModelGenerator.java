package dev.baremetalrt.core.synth;

import static java.util.Objects.requireNonNull;

import dev.baremetalrt.core.gguf.GgufWriter;
import dev.baremetalrt.core.json.JsonWriter;
import dev.baremetalrt.core.model.SafetensorsWriter;
import dev.baremetalrt.spi.WeightType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * Writes a synthetic model as a Hugging Face directory, as transformers' {@code save_pretrained} lays it
 * out: {@code config.json}, {@code model.safetensors} or shards {@code model-0000i-of-0000n.safetensors}
 * with {@code model.safetensors.index.json}, and a Llama-2-style {@code tokenizer.json} (BPE with byte
 * fallback; merges derived from the vocabulary the way transformers converts a SentencePiece model) with
 * {@code tokenizer_config.json}. The weights are those {@link SyntheticModelGenerator} writes for the same
 * shape and seed, with q/k rows permuted to HF's rotate-half order, so both files hold one model.
 */
public final class SyntheticHfModelGenerator {
    /** transformers' default {@code max_shard_size} ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private SyntheticHfModelGenerator() {}

    /** Writes the directory with transformers' default shard size. */
    public static void write(ModelShape shape, WeightType type, long seed, Path dir) {
        write(shape, type, seed, dir, DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * Writes the directory; tensors go into shards of at most {@code maxShardBytes} (a single larger tensor
     * gets a shard of its own, as in transformers).
     */
    public static void write(ModelShape shape, WeightType type, long seed, Path dir, long maxShardBytes) {
        requireNonNull(shape, "shape is null");
        requireNonNull(dir, "dir is null");
        String dtype = switch (requireNonNull(type, "type is null")) {
            case F32 -> "F32";
            case F16 -> "F16";
            case BF16 -> "BF16";
            default -> throw new IllegalArgumentException("HF safetensors models hold F32, F16 or BF16 weights, not " + type
                    + " (write a GGUF file for quantized types)");
        };
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        }
        List<SafetensorsWriter> shards = shards(shape, type, dtype, seed, maxShardBytes);
        SyntheticVocabulary vocab = new SyntheticVocabulary(shape.vocabSize());
        try {
            Files.createDirectories(dir);
            writeJson(dir.resolve("config.json"), config(shape, type));
            writeJson(dir.resolve("tokenizer.json"), tokenizer(vocab));
            writeJson(dir.resolve("tokenizer_config.json"), tokenizerConfig());
            // Weights of an earlier model in this directory must not outlive it.
            Files.deleteIfExists(dir.resolve("model.safetensors"));
            Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
            try (var old = Files.newDirectoryStream(dir, "model-*-of-*.safetensors")) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model directory " + dir + ": " + e.getMessage(), e);
        }
        if (shards.size() == 1) {
            shards.getFirst().write(dir.resolve("model.safetensors"));
            return;
        }
        Map<String, Object> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String file = "model-%05d-of-%05d.safetensors".formatted(i + 1, shards.size());
            shards.get(i).write(dir.resolve(file));
            shards.get(i).names().forEach(n -> weightMap.put(n, file));
            total += shards.get(i).dataBytes();
        }
        writeJson(dir.resolve("model.safetensors.index.json"), Map.of("metadata", Map.of("total_size", total), "weight_map", weightMap));
    }

    /** One tensor under its HF name, shape in PyTorch order. */
    private record HfTensor(String name, long[] shape, GgufWriter.TensorData data) {}

    private static List<SafetensorsWriter> shards(ModelShape shape, WeightType type, String dtype, long seed, long maxShardBytes) {
        List<SafetensorsWriter> shards = new ArrayList<>();
        for (HfTensor t : tensors(shape, type, seed)) {
            long bytes = type.byteSize(java.util.Arrays.stream(t.shape).reduce(1, Math::multiplyExact));
            if (shards.isEmpty() || (!shards.getLast().isEmpty() && shards.getLast().dataBytes() + bytes > maxShardBytes)) {
                shards.add(new SafetensorsWriter().metadata("format", "pt"));
            }
            shards.getLast().add(t.name, dtype, t.shape, t.data);
        }
        return shards;
    }

    /** The tensors in transformers' order, with the GGUF generator's tensor indices (see {@link SyntheticWeights}). */
    private static List<HfTensor> tensors(ModelShape shape, WeightType type, long seed) {
        int kvDim = shape.dim() / shape.heads() * shape.kvHeads();
        IntUnaryOperator same = IntUnaryOperator.identity();
        IntUnaryOperator rotateHalf = fromRotateHalf(shape.dim() / shape.heads());
        List<HfTensor> t = new ArrayList<>();
        t.add(matrix("model.embed_tokens.weight", type, shape.vocabSize(), shape.dim(), seed, 0, same));
        for (int l = 0; l < shape.layers(); l++) {
            String p = "model.layers." + l + ".";
            t.add(ones(p + "input_layernorm.weight", type, shape.dim()));
            t.add(matrix(p + "self_attn.q_proj.weight", type, shape.dim(), shape.dim(), seed, SyntheticWeights.matrixIndex(l, 0), rotateHalf));
            t.add(matrix(p + "self_attn.k_proj.weight", type, kvDim, shape.dim(), seed, SyntheticWeights.matrixIndex(l, 1), rotateHalf));
            t.add(matrix(p + "self_attn.v_proj.weight", type, kvDim, shape.dim(), seed, SyntheticWeights.matrixIndex(l, 2), same));
            t.add(matrix(p + "self_attn.o_proj.weight", type, shape.dim(), shape.dim(), seed, SyntheticWeights.matrixIndex(l, 3), same));
            t.add(ones(p + "post_attention_layernorm.weight", type, shape.dim()));
            t.add(matrix(p + "mlp.gate_proj.weight", type, shape.ffnDim(), shape.dim(), seed, SyntheticWeights.matrixIndex(l, 4), same));
            t.add(matrix(p + "mlp.up_proj.weight", type, shape.ffnDim(), shape.dim(), seed, SyntheticWeights.matrixIndex(l, 5), same));
            t.add(matrix(p + "mlp.down_proj.weight", type, shape.dim(), shape.ffnDim(), seed, SyntheticWeights.matrixIndex(l, 6), same));
        }
        t.add(ones("model.norm.weight", type, shape.dim()));
        t.add(matrix("lm_head.weight", type, shape.vocabSize(), shape.dim(), seed, SyntheticWeights.outputIndex(shape.layers()), same));
        return t;
    }

    /**
     * HF row {@code h*d + c*d/2 + i} of a q/k projection holds the interleaved (GGUF) row {@code h*d + 2i + c}
     * (llama2.c's {@code permute}, as transformers' conversion script applies it).
     */
    private static IntUnaryOperator fromRotateHalf(int headDim) {
        int half = headDim / 2;
        return row -> {
            int head = row / headDim;
            int within = row % headDim;
            int c = within / half;
            int i = within % half;
            return head * headDim + 2 * i + c;
        };
    }

    private static HfTensor matrix(String name, WeightType type, int rows, int cols, long seed, int tensorIndex, IntUnaryOperator sourceRow) {
        return new HfTensor(name, new long[] {rows, cols}, out -> SyntheticWeights.writeRows(type, cols, rows, seed, tensorIndex, sourceRow, out));
    }

    /** Norm weights of 1, stored in the model's dtype as transformers saves them. */
    private static HfTensor ones(String name, WeightType type, int n) {
        return new HfTensor(name, new long[] {n}, out -> {
            float[] v = new float[n];
            java.util.Arrays.fill(v, 1f);
            ByteBuffer buf = ByteBuffer.allocate((int) type.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
            Quantizer.encode(type, v, 0, n, buf);
            SyntheticWeights.writeFully(out, buf.rewind());
        });
    }

    private static Map<String, Object> config(ModelShape shape, WeightType type) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("hidden_act", "silu");
        c.put("hidden_size", shape.dim());
        c.put("intermediate_size", shape.ffnDim());
        c.put("num_hidden_layers", shape.layers());
        c.put("num_attention_heads", shape.heads());
        c.put("num_key_value_heads", shape.kvHeads());
        c.put("vocab_size", shape.vocabSize());
        c.put("max_position_embeddings", shape.contextLength());
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", (double) shape.ropeTheta());
        c.put("rope_scaling", null);
        c.put("tie_word_embeddings", false);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", switch (type) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        return c;
    }

    /** Llama 2's tokenizer.json layout (as transformers' LlamaConverter writes it) over the synthetic vocabulary. */
    private static Map<String, Object> tokenizer(SyntheticVocabulary vocab) {
        Map<String, Object> vocabMap = new LinkedHashMap<>();
        for (int i = 0; i < vocab.tokens.length; i++) {
            vocabMap.put(vocab.tokens[i], i);
        }
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", i);
            a.put("content", vocab.tokens[i]);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
            added.add(a);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", "<unk>");
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocabMap);
        model.put("merges", merges(vocab));
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("version", "1.0");
        t.put("truncation", null);
        t.put("padding", null);
        t.put("added_tokens", added);
        t.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        t.put("pre_tokenizer", null);
        t.put("post_processor", Map.of("type", "TemplateProcessing",
                "single", List.of(Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)), Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                "pair", List.of(Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)), Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                        Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 1)), Map.of("Sequence", Map.of("id", "B", "type_id", 1))),
                "special_tokens", Map.of("<s>", Map.of("id", "<s>", "ids", List.of(1), "tokens", List.of("<s>")))));
        t.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"),
                Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        t.put("model", model);
        return t;
    }

    /**
     * Every split of a normal piece into two pieces of the vocabulary, ordered by the merged piece's rank
     * (its SentencePiece score) and then by the parts' ranks: transformers' SentencePieceExtractor, which
     * makes BPE merging pick what SentencePiece's highest-score-first merging picks.
     */
    static List<Object> merges(SyntheticVocabulary vocab) {
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < vocab.tokens.length; i++) {
            if (vocab.types[i] == 1) {
                ids.put(vocab.tokens[i], i);
            }
        }
        List<Object> merges = new ArrayList<>();
        for (int i = 0; i < vocab.tokens.length; i++) {
            String piece = vocab.tokens[i];
            if (vocab.types[i] != 1) {
                continue;
            }
            List<int[]> splits = new ArrayList<>();
            for (int k = 1; k < piece.length(); k++) {
                Integer left = ids.get(piece.substring(0, k));
                Integer right = ids.get(piece.substring(k));
                if (left != null && right != null) {
                    splits.add(new int[] {left, right});
                }
            }
            splits.sort(java.util.Comparator.<int[]>comparingInt(s -> s[0]).thenComparingInt(s -> s[1]));
            for (int[] s : splits) {
                merges.add(vocab.tokens[s[0]] + " " + vocab.tokens[s[1]]);
            }
        }
        return merges;
    }

    private static Map<String, Object> tokenizerConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("add_bos_token", true);
        c.put("add_eos_token", false);
        c.put("bos_token", "<s>");
        c.put("eos_token", "</s>");
        c.put("unk_token", "<unk>");
        c.put("clean_up_tokenization_spaces", false);
        c.put("legacy", true);
        c.put("tokenizer_class", "LlamaTokenizer");
        return c;
    }

    private static void writeJson(Path file, Object value) {
        try {
            Files.writeString(file, JsonWriter.write(value, 2) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
