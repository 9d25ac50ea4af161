package dev.baremetalrt.cluster;

import static java.util.Objects.requireNonNull;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What a node offers the cluster: the backend it runs stages on, memory it can give them, and its model
 * files with their content checksums (core's {@code ModelChecksums}: a node whose copy differs gets no
 * shard of that model).
 *
 * @param nodeId          the member id
 * @param backend         backend id its stages run on
 * @param probe           what that backend's probe found (devices, instruction set, driver)
 * @param devices         the backend's devices, as {@code id: description}
 * @param freeMemoryBytes memory for weights and KV caches
 * @param models          model files it holds
 * @param wholeModel      its backend runs whole models in its own generation loop (TensorRT-LLM): it takes a
 *                        whole model as one stage or nothing
 */
public record NodeInventory(String nodeId, String backend, String probe, List<String> devices, long freeMemoryBytes, List<ModelOffer> models,
                            boolean wholeModel) {
    /** A node whose backend runs layer ranges. */
    public NodeInventory(String nodeId, String backend, String probe, List<String> devices, long freeMemoryBytes, List<ModelOffer> models) {
        this(nodeId, backend, probe, devices, freeMemoryBytes, models, false);
    }

    /**
     * One model file on a node, with the sizes the planner needs: bytes of the largest decoder layer and of
     * the output head (the embedding table, when the first stage holds it, is counted as the head's size),
     * and the node's measured speed on it ({@link LayerCalibration}; 0 when calibration is off).
     */
    public record ModelOffer(String modelId, String path, String checksum, int layerCount, long layerBytes, long headBytes, double layersPerSecond) {
        public ModelOffer {
            requireNonNull(modelId, "modelId is null");
            requireNonNull(path, "path is null");
            requireNonNull(checksum, "checksum is null");
        }
    }

    public NodeInventory {
        requireNonNull(nodeId, "nodeId is null");
        requireNonNull(backend, "backend is null");
        requireNonNull(probe, "probe is null");
        devices = List.copyOf(devices);
        models = List.copyOf(models);
    }

    JsonObject toJson() {
        JsonArray offers = new JsonArray();
        for (ModelOffer m : models) {
            offers.add(new JsonObject().put("modelId", m.modelId()).put("path", m.path()).put("checksum", m.checksum()).put("layerCount", m.layerCount())
                    .put("layerBytes", m.layerBytes()).put("headBytes", m.headBytes()).put("layersPerSecond", m.layersPerSecond()));
        }
        return new JsonObject().put("nodeId", nodeId).put("backend", backend).put("probe", probe).put("devices", new JsonArray(devices))
                .put("freeMemoryBytes", freeMemoryBytes).put("models", offers).put("wholeModel", wholeModel);
    }

    static NodeInventory fromJson(JsonObject json) {
        List<ModelOffer> offers = new ArrayList<>();
        for (Object o : json.getJsonArray("models")) {
            JsonObject m = (JsonObject) o;
            offers.add(new ModelOffer(m.getString("modelId"), m.getString("path"), m.getString("checksum"), m.getInteger("layerCount"),
                    m.getLong("layerBytes", 0L), m.getLong("headBytes", 0L), m.getDouble("layersPerSecond", 0.0)));
        }
        List<String> devices = new ArrayList<>();
        json.getJsonArray("devices", new JsonArray()).forEach(d -> devices.add(String.valueOf(d)));
        return new NodeInventory(json.getString("nodeId"), json.getString("backend"), json.getString("probe", ""), devices, json.getLong("freeMemoryBytes"), offers,
                json.getBoolean("wholeModel", false));
    }
}
