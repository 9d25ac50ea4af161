package dev.baremetalrt.core.model;

import dev.baremetalrt.core.json.JsonException;
import dev.baremetalrt.core.json.JsonValues;
import dev.baremetalrt.core.tokenizer.HfTokenizers;
import dev.baremetalrt.core.tokenizer.Tokenizer;
import dev.baremetalrt.spi.ModelConfig;
import dev.baremetalrt.spi.RopeScaling;
import dev.baremetalrt.spi.TensorNames;
import dev.baremetalrt.spi.WeightTensor;
import dev.baremetalrt.spi.WeightType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face model directory: {@code config.json} (LlamaForCausalLM / MistralForCausalLM),
 * {@code model.safetensors} or shards listed in {@code model.safetensors.index.json}, and
 * {@code tokenizer.json}. Tensors are served under GGUF's names with GGUF's shapes. HF stores q/k rows in
 * rotate-half order; they are permuted to the interleaved order backends expect, into a copy made once
 * per tensor (the only weights copied; everything else is read from the mapping).
 */
public final class HfModel implements Model {
    static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM");

    private final String modelId;
    private final Path dir;
    private final ModelConfig config;
    private final boolean tiedEmbeddings;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileOf;
    private final Tokenizer tokenizer;
    private final Arena copies = Arena.ofShared();
    private final Map<String, WeightTensor> permuted = new ConcurrentHashMap<>();

    private HfModel(String modelId, Path dir, ModelConfig config, boolean tiedEmbeddings, List<SafetensorsFile> files,
                    Map<String, SafetensorsFile> fileOf, Tokenizer tokenizer) {
        this.modelId = modelId;
        this.dir = dir;
        this.config = config;
        this.tiedEmbeddings = tiedEmbeddings;
        this.files = files;
        this.fileOf = fileOf;
        this.tokenizer = tokenizer;
    }

    public static HfModel open(Path dir) {
        return open(dir, dir.toAbsolutePath().normalize().getFileName().toString());
    }

    public static HfModel open(Path dir, String modelId) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelException("directory %s is not a model: it has no config.json".formatted(dir));
        }
        Map<String, Object> cfg = readJson(configFile);
        String what = configFile.toString();
        ModelConfig config;
        boolean tied;
        try {
            config = config(cfg, what);
            tied = JsonValues.optBoolean(cfg, "tie_word_embeddings", what).orElse(false);
        } catch (JsonException | IllegalArgumentException e) {
            throw new ModelException("%s: %s".formatted(what, e.getMessage()));
        }
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> fileOf = new HashMap<>();
            for (Path shard : shards(dir)) {
                SafetensorsFile f = SafetensorsFile.open(shard);
                files.add(f);
                for (String name : f.entries().keySet()) {
                    fileOf.put(name, f);
                }
            }
            if (!HfTokenizers.present(dir)) {
                throw new ModelException("model directory %s has no tokenizer.json".formatted(dir));
            }
            HfModel model = new HfModel(modelId, dir, config, tied, List.copyOf(files), fileOf, HfTokenizers.load(dir));
            model.checkTensors();
            return model;
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, Object> readJson(Path file) {
        try {
            return dev.baremetalrt.core.json.Json.parseObject(Files.readString(file), file.toString());
        } catch (java.io.IOException e) {
            throw new ModelException("cannot read %s: %s".formatted(file, e.getMessage()));
        } catch (JsonException e) {
            throw new ModelException("%s: %s".formatted(file, e.getMessage()));
        }
    }

    private static List<Path> shards(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            Map<String, Object> weightMap = JsonValues.optObject(readJson(index), "weight_map", index.toString())
                    .orElseThrow(() -> new ModelException(index + " has no weight_map"));
            Set<String> names = new java.util.TreeSet<>();
            for (Object v : weightMap.values()) {
                if (!(v instanceof String s) || s.contains("/") || s.contains("\\") || !s.endsWith(".safetensors")) {
                    throw new ModelException(index + ": weight_map values must be .safetensors file names in the same directory");
                }
                names.add(s);
            }
            return names.stream().map(dir::resolve).toList();
        }
        Path single = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(single)) {
            throw new ModelException("model directory %s has neither model.safetensors nor model.safetensors.index.json".formatted(dir));
        }
        return List.of(single);
    }

    static ModelConfig config(Map<String, Object> c, String what) {
        List<Object> archs = JsonValues.optList(c, "architectures", what).orElse(List.of("LlamaForCausalLM"));
        if (archs.isEmpty() || !(archs.getFirst() instanceof String arch) || !ARCHITECTURES.contains(arch)) {
            throw new JsonException("architectures %s is not supported (supported: %s)".formatted(archs, ARCHITECTURES));
        }
        int dim = (int) JsonValues.integer(c, "hidden_size", 1, 1 << 20, what);
        int heads = (int) JsonValues.integer(c, "num_attention_heads", 1, 4096, what);
        int kvHeads = JsonValues.optInteger(c, "num_key_value_heads", 1, 4096, what).orElse((long) heads).intValue();
        long headDim = JsonValues.optInteger(c, "head_dim", 1, 1 << 16, what).orElse((long) dim / heads);
        if (headDim * heads != dim) {
            throw new JsonException("head_dim %d x %d heads != hidden_size %d is not supported".formatted(headDim, heads, dim));
        }
        float theta = JsonValues.optNumber(c, "rope_theta", what).orElse(10000.0).floatValue();
        RopeScaling scaling = ropeScaling(c, theta, (int) headDim, what);
        return new ModelConfig(arch.equals("MistralForCausalLM") ? "mistral" : "llama", dim,
                (int) JsonValues.integer(c, "intermediate_size", 1, 1 << 22, what),
                (int) JsonValues.integer(c, "num_hidden_layers", 1, 4096, what),
                heads, kvHeads,
                (int) JsonValues.integer(c, "vocab_size", 1, 10_000_000, what),
                JsonValues.optInteger(c, "max_position_embeddings", 1, 1 << 24, what).orElse(2048L).intValue(),
                JsonValues.optNumber(c, "rms_norm_eps", what).orElse(1e-6).floatValue(),
                theta,
                (int) headDim,
                scaling);
    }

    /** {@code rope_scaling}: absent, null or {@code default} (none), {@code linear} or Llama 3.1's {@code llama3}. */
    static RopeScaling ropeScaling(Map<String, Object> c, float theta, int ropeDim, String what) {
        if (c.get("rope_scaling") == null) {
            return RopeScaling.NONE;
        }
        Map<String, Object> s = JsonValues.optObject(c, "rope_scaling", what).orElseThrow();
        String where = what + " rope_scaling";
        String type = JsonValues.optString(s, "rope_type", where).or(() -> JsonValues.optString(s, "type", where))
                .orElseThrow(() -> new JsonException(where + " has neither rope_type nor type"));
        try {
            return ropeScaling(s, type, theta, ropeDim, where);
        } catch (IllegalArgumentException e) {
            throw new JsonException(where + ": " + e.getMessage());
        }
    }

    private static RopeScaling ropeScaling(Map<String, Object> s, String type, float theta, int ropeDim, String where) {
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> RopeScaling.linear(JsonValues.optNumber(s, "factor", where)
                    .orElseThrow(() -> new JsonException(where + ": linear scaling needs a factor")).floatValue(), ropeDim);
            case "llama3" -> RopeScaling.llama3(
                            JsonValues.optNumber(s, "factor", where).orElseThrow(() -> new JsonException(where + ": llama3 scaling needs factor")),
                            JsonValues.optNumber(s, "low_freq_factor", where).orElseThrow(() -> new JsonException(where + ": llama3 scaling needs low_freq_factor")),
                            JsonValues.optNumber(s, "high_freq_factor", where).orElseThrow(() -> new JsonException(where + ": llama3 scaling needs high_freq_factor")),
                            (int) JsonValues.integer(s, "original_max_position_embeddings", 1, 1 << 24, where),
                            theta, ropeDim);
            default -> throw new JsonException("%s type '%s' is not supported (supported: default, linear, llama3)".formatted(where, type));
        };
    }

    /** HF tensor name of a canonical (GGUF) name. */
    static String hfName(String canonical) {
        switch (canonical) {
            case TensorNames.TOKEN_EMBEDDING:
                return "model.embed_tokens.weight";
            case TensorNames.OUTPUT_NORM:
                return "model.norm.weight";
            case TensorNames.OUTPUT:
                return "lm_head.weight";
            default:
                break;
        }
        if (!canonical.startsWith("blk.")) {
            return null;
        }
        int dot = canonical.indexOf('.', 4);
        String layer = canonical.substring(4, dot);
        String part = switch (canonical.substring(dot + 1)) {
            case "attn_norm.weight" -> "input_layernorm.weight";
            case "attn_q.weight" -> "self_attn.q_proj.weight";
            case "attn_k.weight" -> "self_attn.k_proj.weight";
            case "attn_v.weight" -> "self_attn.v_proj.weight";
            case "attn_output.weight" -> "self_attn.o_proj.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "ffn_gate.weight" -> "mlp.gate_proj.weight";
            case "ffn_up.weight" -> "mlp.up_proj.weight";
            case "ffn_down.weight" -> "mlp.down_proj.weight";
            default -> null;
        };
        return part == null ? null : "model.layers." + layer + "." + part;
    }

    private void checkTensors() {
        LlamaLayout.expectedShapes(config, !tiedEmbeddings).forEach(this::expect);
    }

    private void expect(String canonical, long... ggufShape) {
        String name = hfName(canonical);
        SafetensorsFile f = fileOf.get(name);
        if (f == null) {
            throw new ModelException("model %s (%s) has no tensor %s".formatted(modelId, dir, name));
        }
        SafetensorsFile.Entry e = f.entries().get(name);
        long[] hfShape = reversed(ggufShape);
        if (!Arrays.equals(e.shape(), hfShape)) {
            throw new ModelException("model %s: tensor %s has shape %s, config.json (%s) needs %s"
                    .formatted(modelId, name, Arrays.toString(e.shape()), config.summary(), Arrays.toString(hfShape)));
        }
        WeightType type = SafetensorsFile.weightType(e.dtype());
        if (type == null || (ggufShape.length == 1 && type != WeightType.F32 && type != WeightType.F16 && type != WeightType.BF16)) {
            throw new ModelException("model %s: tensor %s has dtype %s; supported: F32, F16, BF16".formatted(modelId, name, e.dtype()));
        }
    }

    private static long[] reversed(long[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public Path path() {
        return dir;
    }

    @Override
    public Optional<WeightTensor> tensor(String name) {
        if (name.equals(TensorNames.OUTPUT) && tiedEmbeddings) {
            return Optional.empty();
        }
        String hf = hfName(name);
        SafetensorsFile f = hf == null ? null : fileOf.get(hf);
        if (f == null) {
            return Optional.empty();
        }
        SafetensorsFile.Entry e = f.entries().get(hf);
        WeightType type = SafetensorsFile.weightType(e.dtype());
        long[] shape = reversed(e.shape());
        boolean q = name.endsWith(".attn_q.weight");
        if (q || name.endsWith(".attn_k.weight")) {
            return Optional.of(permuted.computeIfAbsent(name, n ->
                    new WeightTensor(n, type, shape, toInterleaved(f.data(e), q ? config.headCount() : config.kvHeadCount(), (int) shape[0], type))));
        }
        return Optional.of(new WeightTensor(name, type, shape, f.data(e)));
    }

    /**
     * Rows from HF's rotate-half order to GGUF's interleaved order, per head: interleaved row
     * {@code 2i + c} is HF row {@code c * headDim/2 + i} (the inverse of llama2.c's {@code permute}).
     */
    private MemorySegment toInterleaved(MemorySegment hf, int heads, int columns, WeightType type) {
        int headDim = config.headDim();
        long rowBytes = type.byteSize(columns);
        MemorySegment out = copies.allocate(hf.byteSize(), 64);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < headDim / 2; i++) {
                for (int c = 0; c < 2; c++) {
                    long from = (long) (h * headDim + c * (headDim / 2) + i) * rowBytes;
                    long to = (long) (h * headDim + 2 * i + c) * rowBytes;
                    MemorySegment.copy(hf, from, out, to, rowBytes);
                }
            }
        }
        return out.asReadOnly();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
        if (copies.scope().isAlive()) {
            copies.close();
        }
    }

    @Override
    public String toString() {
        return "model " + modelId + " (" + config.summary() + ", " + files.size() + " safetensors file(s))";
    }
}
